#!/bin/sh
# Installs the Debian 12 packages tessera builds, tests and demos with, when missing.
set -e
PKGS="build-essential pkg-config python3 ffmpeg
libavcodec-dev libavformat-dev libavfilter-dev libavutil-dev libswscale-dev libswresample-dev
libcairo2-dev libpango1.0-dev fonts-dejavu-core libjansson-dev libevent-dev libopus-dev
libsrtp2-dev libssl-dev espeak-ng sox clang libclang-rt-14-dev"
# SIP: the sofia-sip stack, and sipp (package sip-tester) for the tests.
PKGS="$PKGS libsofia-sip-ua-dev sip-tester"
# WebRTC: libnice for ICE; Chromium and Node.js (playwright-core) for the browser tests.
PKGS="$PKGS libnice-dev chromium nodejs"
# bench/fanout.py's veth-drop model: network namespaces, veth and an nftables drop rule.
PKGS="$PKGS iproute2 nftables"
# npm: Debian's package, unless the installed nodejs bundles its own (NodeSource's does).
command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"
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
