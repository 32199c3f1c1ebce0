#!/bin/sh
# Install the Debian packages dspd's build and tests need, if any is missing.
# Used by `make check` and the README's set-up; needs root (or sudo) only when
# something is actually missing.  prometheus is there for promtool only
# (tests/e2e/test_monitoring.py); its service stays off in the test container.
# python3-numpy/scipy are for /usr/bin/python3 (the independent response
# computation of tests/e2e/test_response.py); chromium and chromium-driver
# for the web page test (tests/e2e/test_web.py).
set -eu
pkgs="build-essential pkg-config libasound2-dev libjson-c-dev libevent-dev
libsystemd-dev libcmocka-dev python3 alsa-utils clang libclang-rt-14-dev
libfftw3-dev libsndfile1-dev libebur128-dev libsamplerate0-dev sox brutefir
systemd systemd-container valgrind ladspa-sdk swh-plugins strace
dpkg-dev debhelper lintian prometheus python3-numpy python3-scipy chromium
chromium-driver"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y --no-install-recommends $missing
