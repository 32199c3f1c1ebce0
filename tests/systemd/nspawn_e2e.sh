#!/bin/sh
# nspawn_e2e.sh - dspd as a systemd service under a real systemd.
#
# Stages `make install DESTDIR=STAGE PREFIX=/usr/local` plus the dspdtest
# ALSA device, boots this machine's own root as a throwaway overlay in
# systemd-nspawn with STAGE/usr/local bound read-only onto /usr/local, and
# inside, like a package's postinst would: systemd-sysusers,
# systemd-tmpfiles --create, an Environment= drop-in pointing alsa-lib at
# the test device.  Then it checks
#   - systemctl start dspd: READY, STATUS=, the sockets of dspd.socket and
#     dspd-monitor.socket (modes, group audio) passed by name;
#   - dspctl status through the socket as a member of audio, refused to
#     others; SCHED_FIFO and mlock without any capability;
#   - an xrun in the journal with its structured fields;
#   - systemctl reload dspd: applied; a bad file fails the reload and the
#     running configuration stays;
#   - a hung audio thread (the device's `stall`): WatchdogSec restarts the
#     service, the socket survives;
#   - a bad configuration at start: failed with 78, not restarted.
#   - the web page through dspd-http.socket (the service itself has no
#     network): the page, the token's control role, read-only without it.
#
# Run from the tree root as root after `make all plugin`.
# Exit status: 0 passed, 1 failed, 77 cannot run here (the reason on stderr).
set -eu

ROOT=$(pwd)
PLUGIN=$ROOT/build/alsa/libasound_module_pcm_dspdtest.so
TESTLIB=/usr/local/lib/dspd-test        # inside the container
XRUN_MESSAGE_ID=5d1c0e7b3a8f4c2e9b6d4a1f0e2c7b93
. "$ROOT/tests/systemd/container.sh"

# ---- can this machine do it? ----------------------------------------------
container_init dspd-e2e-$$
[ -x daemon/dspd ] && [ -x ctl/dspctl ] && [ -f "$PLUGIN" ] || skip "build first: make all plugin"
STAGE=$WORK/stage
on_failure() {
	echo "---- exit $rc; journalctl -u dspd (last 30 lines)"
	ct journalctl -u dspd --no-pager -n 30
}

# ---- stage what `make install` installs, and the test device -----------------
# the binaries as built (-o all: never rebuild them here)
make -s -o all install DESTDIR="$STAGE" PREFIX=/usr/local >/dev/null
for f in sbin/dspd bin/dspctl lib/systemd/system/dspd.service lib/systemd/system/dspd.socket \
	lib/systemd/system/dspd-monitor.socket lib/sysusers.d/dspd.conf lib/tmpfiles.d/dspd.conf \
	lib/systemd/system/dspd-http.socket share/dspd/web/index.html share/man/man8/dspd.8; do
	[ -f "$STAGE/usr/local/$f" ] || { echo "FAIL: make install did not install /usr/local/$f"; exit 1; }
done
[ -f "$STAGE/etc/dspd/dspd.conf" ] || { echo "FAIL: make install did not install /etc/dspd/dspd.conf"; exit 1; }
mkdir -p "$STAGE$TESTLIB"
cp "$PLUGIN" "$STAGE$TESTLIB/"
sed "s|@PLUGIN@|$TESTLIB/libasound_module_pcm_dspdtest.so|" tests/alsa/tests.conf.in > "$STAGE$TESTLIB/tests.conf"

# the configuration, bound read-write onto /etc/dspd: the host side edits it
write_config() {        # PERIOD_FRAMES
	cat > "$STAGE/etc/dspd/dspd.conf.tmp" <<-EOF
	{
		"rate": 48000, "period_frames": $1, "periods": 4,
		"capture": { "device": "dspdtest:CONTROL=\"/run/dspd/device.ctl\"",
		             "channels": 2, "format": "S32_LE" },
		"playback": { "device": "dspdtest:REPORT=\"/run/dspd/report.json\"",
		              "channels": 2, "format": "S32_LE" },
		"control": { "socket": "/run/dspd/control.sock" },
		"http": { "token_file": "/etc/dspd/http-token" }
	}
	EOF
	mv "$STAGE/etc/dspd/dspd.conf.tmp" "$STAGE/etc/dspd/dspd.conf"
}
write_config 1024
HTTP_TOKEN=nspawn-test-token-0123456789
echo "$HTTP_TOKEN" > "$STAGE/etc/dspd/http-token"

# ---- boot ------------------------------------------------------------------
container_boot --bind-ro="$STAGE/usr/local:/usr/local" --bind="$STAGE/etc/dspd:/etc/dspd"

# ---- assertions --------------------------------------------------------------
prop() { ct systemctl show dspd -p "$1" --value; }
status_field() {        # FIELD [dspctl args]: one field of dspctl --json status
	field=$1; shift
	ct "$@" /usr/local/bin/dspctl --json status |
		python3 -c "import json,sys; print(json.load(sys.stdin)$field)"
}
device_command() {
	ct sh -c "echo '$1' > /run/dspd/device.ctl.tmp && mv /run/dspd/device.ctl.tmp /run/dspd/device.ctl"
}
wait_for() {    # SECONDS WHAT COMMAND...: until COMMAND succeeds
	secs=$1; what=$2; shift 2
	for _ in $(seq $((secs * 10))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "$what (waited $secs s)"
}

# ---- provision, as a package's postinst would --------------------------------
ct systemd-sysusers /usr/local/lib/sysusers.d/dspd.conf
ct systemd-tmpfiles --create /usr/local/lib/tmpfiles.d/dspd.conf
ct getent passwd dspd >/dev/null || fail "systemd-sysusers did not create the user dspd"
expect "/run/dspd owner" "$(ct stat -c '%U:%G %a' /run/dspd)" "dspd:dspd 755"
ct sh -c "mkdir -p /etc/systemd/system/dspd.service.d && printf '[Service]\nEnvironment=ALSA_CONFIG_PATH=/usr/share/alsa/alsa.conf:$TESTLIB/tests.conf\n' > /etc/systemd/system/dspd.service.d/test-device.conf"
ct chown root:dspd /etc/dspd/http-token
ct chmod 0640 /etc/dspd/http-token
ct systemctl daemon-reload
say "provisioned: user dspd, /run/dspd, drop-in for the test device, the web page's token"

# ---- start ---------------------------------------------------------------------
ct systemctl start dspd-monitor.socket
ct systemctl start dspd-http.socket
t=$(date +%s.%N)
ct systemctl start dspd || fail "systemctl start dspd"
say "systemctl start dspd returned (READY=1) after $(since "$t") s"
expect "ActiveState" "$(prop ActiveState)" active
expect "dspd.socket" "$(ct systemctl is-active dspd.socket)" active
status=$(prop StatusText)
echo "$status" | grep -Eq '^48000 Hz S32_LE 2ch -> S32_LE 2ch, period 1024, (starting|running), 0 xruns$' ||
	fail "STATUS= \"$status\""
expect "WatchdogUSec" "$(prop WatchdogUSec)" 10s
expect "control socket" "$(ct stat -c '%a %U:%G' /run/dspd/control.sock)" "660 root:audio"
expect "monitor socket" "$(ct stat -c '%a %U:%G' /run/dspd/monitor.sock)" "666 root:root"
ct journalctl -u dspd --no-pager | grep -q "using sockets passed by systemd" ||
	fail "dspd did not take the sockets of dspd.socket"
say "active; STATUS=\"$status\"; sockets 0660 root:audio and 0666"

# ---- dspctl through the sockets --------------------------------------------
MEMBER="setpriv --reuid=nobody --regid=nogroup --groups=audio"
OUTSIDER="setpriv --reuid=nobody --regid=nogroup --clear-groups"
wait_for 10 "dspd running" sh -c "[ \"\$(nsenter -t $LEADER -a /usr/local/bin/dspctl --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"state\"])')\" = running ]"
expect "state (audio member)" "$(status_field '["state"]' $MEMBER)" running
# SCHED_FIFO and mlockall need no capability, only LimitRTPRIO= and
# LimitMEMLOCK=, which systemd can set only as high as its own hard limits
expect "LimitRTPRIO" "$(prop LimitRTPRIO)" 95
expect "LimitMEMLOCK" "$(prop LimitMEMLOCK)" infinity
ceiling=$(awk '/^Max realtime priority/ { print $5 }' /proc/$LEADER/limits)
if [ "$ceiling" -ge 70 ]; then
	expect "rt (LimitRTPRIO, no capability)" "$(status_field '["rt"]' $MEMBER)" True
	expect "mlock (LimitMEMLOCK)" "$(status_field '["mlock"]' $MEMBER)" True
	rt_note="SCHED_FIFO and mlock without capabilities"
else
	expect "rt without RLIMIT_RTPRIO" "$(status_field '["rt"]' $MEMBER)" False
	rt_note="rt not checked: this machine caps RLIMIT_RTPRIO at $ceiling (no CAP_SYS_RESOURCE)"
fi
rc=0; ct $OUTSIDER /usr/local/bin/dspctl status >/dev/null 2>&1 || rc=$?
expect "dspctl status outside group audio: exit" "$rc" 4
expect "monitor socket, anyone" \
	"$(ct $OUTSIDER /usr/local/bin/dspctl --socket /run/dspd/monitor.sock --json status |
	   python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')" running
rc=0; ct $OUTSIDER /usr/local/bin/dspctl --socket /run/dspd/monitor.sock set gain -6 >/dev/null 2>&1 || rc=$?
expect "set gain on the monitor socket: exit" "$rc" 4
say "dspctl status: audio member yes, others no (4); monitor socket read-only; $rt_note"

# ---- the web page through dspd-http.socket ----------------------------------------
ct journalctl -u dspd --no-pager | grep -q "http: the web page on (socket activation)" ||
	fail "dspd did not take the socket of dspd-http.socket"
page=$(ct curl -sf http://127.0.0.1:8080/) || fail "GET / through dspd-http.socket"
echo "$page" | grep -q "<title>dspd</title>" || fail "GET / is not the page: $page"
answer=$(ct curl -s -H 'Content-Type: application/json' -H "Authorization: Bearer $HTTP_TOKEN" \
	-d '{"jsonrpc":"2.0","id":1,"method":"hello"}' http://127.0.0.1:8080/rpc)
echo "$answer" | grep -q '"read_only":false' || fail "hello with the token: $answer"
answer=$(ct curl -s -H 'Content-Type: application/json' \
	-d '{"jsonrpc":"2.0","id":1,"method":"gain.set","params":{"db":-6}}' http://127.0.0.1:8080/rpc)
echo "$answer" | grep -q '"code":-32001' || fail "gain.set without the token: $answer"
say "web page: served through dspd-http.socket; the token grants changes, none without it"

# ---- an xrun, with its journal fields ------------------------------------------
device_command "stall 300"
wait_for 10 "an xrun entry with MESSAGE_ID=$XRUN_MESSAGE_ID" sh -c \
	"nsenter -t $LEADER -a journalctl -u dspd MESSAGE_ID=$XRUN_MESSAGE_ID -o json | grep -q DSPD_XRUN_CAUSE"
entry=$(ct journalctl -u dspd MESSAGE_ID=$XRUN_MESSAGE_ID -o json -n 1)
echo "$entry" | python3 -c '
import json, sys
e = json.load(sys.stdin)
assert e["PRIORITY"] == "4", e
assert e["DSPD_XRUN_CAUSE"] == "xrun", e
assert "capture" in e["DSPD_XRUN_DIRECTIONS"], e
assert int(e["DSPD_XRUN_FRAMES_LOST"]) > 0, e
print("          journal: %s | DSPD_XRUN_DIRECTIONS=%s DSPD_XRUN_CAUSE=%s DSPD_XRUN_FRAMES_LOST=%s"
      % (e["MESSAGE"], e["DSPD_XRUN_DIRECTIONS"], e["DSPD_XRUN_CAUSE"], e["DSPD_XRUN_FRAMES_LOST"]))
' || fail "xrun journal entry: $entry"
say "xrun logged with structured fields"

# ---- reload ------------------------------------------------------------------
pid=$(prop MainPID)
write_config 512
ct systemctl reload dspd || fail "systemctl reload dspd"
wait_for 10 "period 512 after the reload" sh -c \
	"nsenter -t $LEADER -a /usr/local/bin/dspctl --json status | grep -q '\"period_frames\":512'"
expect "MainPID after reload" "$(prop MainPID)" "$pid"
expect "ActiveState after reload" "$(prop ActiveState)" active
ct journalctl -u dspd --no-pager | grep -q "SIGHUP reload: applied" || fail "no reload in the journal"
echo '{ "rate": "fast" }' > "$STAGE/etc/dspd/dspd.conf"
if ct systemctl reload dspd 2>/dev/null; then fail "systemctl reload succeeded with a bad file"; fi
expect "ActiveState after a bad reload" "$(prop ActiveState)" active
expect "MainPID after a bad reload" "$(prop MainPID)" "$pid"
expect "period after a bad reload" "$(status_field '["period_frames"]')" 512
write_config 512
say "reload: applied without a restart; a bad file fails systemctl reload, dspd plays on"

# ---- watchdog: a hung audio thread -------------------------------------------
inode=$(ct stat -c %i /run/dspd/control.sock)
t=$(date +%s.%N)
device_command "stall 60000"
wait_for 40 "a new main process after the watchdog" sh -c \
	"p=\$(nsenter -t $LEADER -a systemctl show dspd -p MainPID --value); [ \"\$p\" != $pid ] && [ \"\$p\" != 0 ]"
restart_s=$(since "$t")
wait_for 10 "active again after the watchdog restart" sh -c \
	"[ \"\$(nsenter -t $LEADER -a systemctl is-active dspd)\" = active ]"
expect "NRestarts" "$(prop NRestarts)" 1
ct journalctl -u dspd --no-pager | grep -q "Watchdog timeout" || fail "no watchdog timeout in the journal"
ct journalctl -u dspd --no-pager | grep -q "watchdog pings withheld" || fail "dspd did not say it withheld pings"
expect "control socket inode after the restart" "$(ct stat -c %i /run/dspd/control.sock)" "$inode"
expect "control socket after the restart" "$(ct stat -c '%a %U:%G' /run/dspd/control.sock)" "660 root:audio"
wait_for 10 "dspctl status after the restart" sh -c \
	"nsenter -t $LEADER -a $MEMBER /usr/local/bin/dspctl --json status | grep -q '\"state\":\"running\"'"
say "watchdog: stall injected, new main process after $restart_s s, NRestarts=1, same socket"

# ---- a bad configuration at start is not restarted ----------------------------
echo '{ "rate": "fast" }' > "$STAGE/etc/dspd/dspd.conf"
if ct systemctl restart dspd 2>/dev/null; then fail "dspd started with a bad configuration"; fi
sleep 3
expect "ActiveState with a bad configuration" "$(prop ActiveState)" failed
expect "ExecMainStatus" "$(prop ExecMainStatus)" 78
expect "NRestarts with a bad configuration" "$(prop NRestarts)" 0
say "bad configuration: failed with status 78, not restarted"

say "PASS"
