#!/bin/sh
# monitor-levels.sh - print dspd's levels once a second, one line per channel,
# and warn when a channel clips or the xrun counters rise.
#
# Needs only python3 (for the Unix socket); no dspd library, no dspctl.
# Works on the control socket and on the read-only monitor socket.
#
#   examples/monitor-levels.sh [-s SOCKET] [-i SECONDS] [-n COUNT]
#
# SOCKET defaults to $DSPD_SOCKET, else /run/dspd/control.sock.  COUNT
# stops after that many rounds (default: run until interrupted).
# Exit status: 0 done or interrupted, 1 dspd answered an error, 2 usage,
# 3 dspd unreachable or gone.
set -eu

socket=${DSPD_SOCKET:-/run/dspd/control.sock}
interval=1
count=0

usage() {
	echo "usage: $0 [-s SOCKET] [-i SECONDS] [-n COUNT]" >&2
	exit 2
}

while getopts s:i:n:h opt; do
	case $opt in
	s) socket=$OPTARG ;;
	i) interval=$OPTARG ;;
	n) count=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage
case $interval in '' | *[!0-9.]* | *.*.*) usage ;; esac
case $count in '' | *[!0-9]*) usage ;; esac

command -v python3 >/dev/null 2>&1 || {
	echo "$0: python3 is needed to talk to the socket" >&2
	exit 3
}

# One connection; each round sends "levels" and "xruns" (JSON-RPC 2.0, one
# object per line) and reads the two answers, skipping notifications.
exec python3 -c '
import json, socket, sys, time

path, interval, count = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
try:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
except OSError as e:
    print("monitor-levels: cannot connect to %s: %s" % (path, e.strerror),
          file=sys.stderr)
    sys.exit(3)
replies = sock.makefile("r", encoding="utf-8")
next_id = 0

def call(method):
    global next_id
    next_id += 1
    request = {"jsonrpc": "2.0", "id": next_id, "method": method}
    sock.sendall((json.dumps(request) + "\n").encode())
    for line in replies:
        msg = json.loads(line)
        if msg.get("id") != next_id:
            continue          # a notification, or an answer we no longer wait for
        if "error" in msg:
            print("monitor-levels: %s: %s" % (method, msg["error"].get("message")),
                  file=sys.stderr)
            sys.exit(1)
        return msg["result"]
    print("monitor-levels: dspd closed the connection", file=sys.stderr)
    sys.exit(3)

def db(value):
    return "  -inf" if value <= -199 else "%6.1f" % value

clipped, xruns, rounds = {}, None, 0
try:
    while True:
        levels, counts = call("levels"), call("xruns")
        now = time.strftime("%H:%M:%S")
        for tap in ("capture", "playback"):
            for ch in levels.get(tap, []):
                key = (tap, ch["channel"])
                print("%s %-8s ch %d  peak %s  rms %s dBFS  clipped %d"
                      % (now, tap, ch["channel"], db(ch["peak_dbfs"]),
                         db(ch["rms_dbfs"]), ch["clipped"]))
                if key in clipped and ch["clipped"] > clipped[key]:
                    print("%s warning: %s channel %d clipped %d samples"
                          % (now, tap, ch["channel"], ch["clipped"] - clipped[key]),
                          file=sys.stderr)
                clipped[key] = ch["clipped"]
        now_xruns = (counts["capture"], counts["playback"])
        if xruns is not None and now_xruns != xruns:
            print("%s warning: xruns rose: capture +%d, playback +%d"
                  % (now, now_xruns[0] - xruns[0], now_xruns[1] - xruns[1]),
                  file=sys.stderr)
        xruns = now_xruns
        sys.stdout.flush()
        rounds += 1
        if count and rounds >= count:
            break
        time.sleep(interval)
except KeyboardInterrupt:
    pass
except (ConnectionError, BrokenPipeError):
    print("monitor-levels: dspd closed the connection", file=sys.stderr)
    sys.exit(3)
' "$socket" "$interval" "$count"
