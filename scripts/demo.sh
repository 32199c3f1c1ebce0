#!/bin/sh
# demo.sh - run dspd on the virtual paced test device (no sound card needed):
# a 1 kHz sine at -6 dBFS is captured, passed through dspd and "played";
# live levels are shown, and halfway the gain is set to -6 dB with dspctl.
#   make demo            (builds, installs missing packages, runs ~12 s)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d /tmp/dspd-demo.XXXXXX)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT INT TERM
export ALSA_CONFIG_PATH="/usr/share/alsa/alsa.conf:$top/build/alsa/tests.conf"
export DSPD_SOCKET="$dir/control.sock"
cat > "$dir/dspd.conf" <<CONF
// demo: the dspdtest device plays the role of a sound card
{
  "rate": 48000, "period_frames": 256, "periods": 4,
  "capture":  { "device": "dspdtest_sine", "channels": 2, "format": "S32_LE" },
  "playback": { "device": "dspdtest", "channels": 2, "format": "S32_LE" },
  "control":  { "socket": "$dir/control.sock" },
  "realtime": { "mlock": false },
  "pipeline": [ { "type": "gain", "name": "trim", "db": 0.0 } ]
}
CONF
"$top/daemon/dspd" -c "$dir/dspd.conf" &
pid=$!
i=0
while [ ! -S "$DSPD_SOCKET" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
"$top/ctl/dspctl" status
for step in 1 2 3 4 5 6 7 8 9 10 11 12; do
	[ "$step" = 6 ] && { echo; echo '$ dspctl set gain -6'; "$top/ctl/dspctl" set gain -6; }
	echo; "$top/ctl/dspctl" levels
	sleep 1
done
echo; "$top/ctl/dspctl" xruns
