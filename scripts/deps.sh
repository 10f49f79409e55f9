#!/bin/sh
# Installs the Debian 12 packages tessera builds, tests and demos with, when missing.
set -e
PKGS="build-essential pkg-config python3 ffmpeg
libavcodec-dev libavformat-dev libavfilter-dev libavutil-dev libswscale-dev libswresample-dev
libcairo2-dev libpango1.0-dev fonts-dejavu-core libjansson-dev libevent-dev libopus-dev
libsrtp2-dev libssl-dev espeak-ng sox clang libclang-rt-14-dev"
# SIP: the sofia-sip stack, and sipp (package sip-tester) and baresip (a second,
# independent SIP stack) for the tests; espeak-ng (above) renders the PIN prompts.
PKGS="$PKGS libsofia-sip-ua-dev sip-tester baresip-core"
# WebRTC: libnice for ICE; Chromium and Node.js (playwright-core) for the browser tests.
PKGS="$PKGS libnice-dev chromium nodejs"
# Firefox ESR (Debian's, driven over WebDriver BiDi by puppeteer-core from npm) for the
# Firefox WebRTC tests: its SDP and ICE differ from Chromium's (bundle-only, no H.264).
PKGS="$PKGS firefox-esr"
# Broadcast: nginx with the RTMP module as the live RTMP server of the tests (the
# test starts its own instance on a free port; the packaged service is not used).
PKGS="$PKGS nginx-light libnginx-mod-rtmp"
# Bad networks in the tests (a share of packets dropped inside a test's namespace)
# and bench/fanout.py's veth-drop model: network namespaces, veth, nftables.
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
# Packages must not start services here (nginx would take port 80): exit code 101
# from policy-rc.d tells invoke-rc.d not to start anything during this install.
policy=/usr/sbin/policy-rc.d
made_policy=""
if [ ! -e "$policy" ] && [ "$(id -u)" -eq 0 ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && made_policy=1
fi
status=0
$SUDO apt-get install -y -q --no-install-recommends $missing || status=$?
[ -z "$made_policy" ] || rm -f "$policy"
exit $status
