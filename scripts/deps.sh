#!/bin/sh
# Installs the Debian 12 packages tessera builds, tests and demos with, when missing.
set -e
PKGS="build-essential pkg-config python3 ffmpeg
libavcodec-dev libavformat-dev libavfilter-dev libavutil-dev libswscale-dev libswresample-dev
libcairo2-dev libpango1.0-dev fonts-dejavu-core libjansson-dev libevent-dev libopus-dev
libsrtp2-dev libssl-dev espeak-ng sox clang libclang-rt-14-dev"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
    echo "deps: all packages present"
    exit 0
fi
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends $missing
