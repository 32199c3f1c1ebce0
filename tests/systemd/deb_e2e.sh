#!/bin/sh
# deb_e2e.sh - the Debian package, built, installed, started, removed and
# purged under a real systemd.
#
# Builds the package (scripts/build-deb.sh build/deb: dpkg-buildpackage in a
# copy of the tree, lintian with no error; or takes DSPD_DEB=path.deb),
# checks what it holds, then boots this machine's root as a throwaway
# overlay in systemd-nspawn (tests/systemd/container.sh) and inside:
#   - dpkg -i: the user dspd (sysusers.d), /run/dspd (tmpfiles.d), the units
#     installed but not enabled nor started, /etc/dspd/dspd.conf a conffile;
#     the host is untouched (no dspd in its dpkg database, files or users);
#   - the admin edits the conffile (devices: the dspdtest test device, which
#     alsa-lib finds through systemd's manager environment, no file), then
#     systemctl enable dspd && systemctl start dspd: READY, dspctl status as
#     a member of audio through /run/dspd/control.sock, a volume change kept
#     in /var/lib/dspd/state.json;
#   - dpkg -i again (an upgrade): the running dspd restarted, the edited
#     conffile kept;
#   - dpkg -r: stopped, the programs and units gone, the conffile kept;
#   - dpkg -P: nothing of dspd left in /etc (conffile, enable symlinks),
#     /var/lib/dspd, /run/dspd or the systemd helpers' state; the system user
#     dspd stays, as Debian does for system users (owning no file in /etc,
#     /run, /var/lib).
#
# Run from the tree root as root after `make plugin`.
# Exit status: 0 passed, 1 failed, 77 cannot run here (the reason on stderr).
set -eu

ROOT=$(pwd)
PLUGIN=$ROOT/build/alsa/libasound_module_pcm_dspdtest.so
SHARE=/srv/dspd-test            # inside the container: the .deb, the test device
. "$ROOT/tests/systemd/container.sh"

# ---- can this machine do it? ----------------------------------------------
container_init dspd-deb-$$
[ -f "$PLUGIN" ] || skip "build the test device first: make plugin"
on_failure() {
	echo "---- exit $rc; journalctl -u dspd (last 30 lines)"
	ct journalctl -u dspd --no-pager -n 30
}

# ---- the package ---------------------------------------------------------------
if [ -n "${DSPD_DEB:-}" ]; then
	DEB=$DSPD_DEB
else
	rc=0; scripts/build-deb.sh build/deb || rc=$?
	[ $rc -eq 77 ] && exit 77
	[ $rc -eq 0 ] || fail "scripts/build-deb.sh exit $rc"
	DEB=$(ls build/deb/dspd_*.deb)
fi
say "package: $(basename "$DEB")"
contents=$(dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\./|/|')
for f in /usr/sbin/dspd /usr/bin/dspctl /lib/systemd/system/dspd.service \
	/lib/systemd/system/dspd.socket /lib/systemd/system/dspd-monitor.socket \
	/lib/systemd/system/dspd-http.socket /usr/share/dspd/web/index.html \
	/usr/share/dspd/web/app.js /usr/share/dspd/web/app.css \
	/usr/lib/sysusers.d/dspd.conf /usr/lib/tmpfiles.d/dspd.conf /etc/dspd/dspd.conf \
	/usr/share/man/man8/dspd.8.gz /usr/share/man/man1/dspctl.1.gz /usr/share/man/man5/dspd.conf.5.gz \
	/usr/share/man/man7/dspd-protocol.7.gz /usr/share/bash-completion/completions/dspctl \
	/usr/share/doc/dspd/copyright /usr/share/doc/dspd/examples/minimal.conf \
	/usr/share/doc/dspd/examples/room-correction.wav; do
	echo "$contents" | grep -qx "$f" || fail "the package lacks $f"
done
echo "$contents" | grep -q '^/usr/local' && fail "the package installs into /usr/local"
version=$(dpkg-deb -f "$DEB" Version)
expect "package version" "$version" "$(sed -n 's/^VERSION *:= *//p' Makefile)"
say "holds the programs, units, sysusers/tmpfiles, conffile, man pages, completion, examples"

mkdir -p "$WORK/share"
cp "$DEB" "$WORK/share/dspd.deb"
cp "$PLUGIN" "$WORK/share/"
sed "s|@PLUGIN@|$SHARE/libasound_module_pcm_dspdtest.so|" tests/alsa/tests.conf.in > "$WORK/share/tests.conf"

# what the host has of dspd: must not change while the container installs
# and purges the package
host_state() {
	dpkg-query -W -f='${db:Status-Abbrev}\n' dspd 2>&1 || true
	getent passwd dspd || true
	for f in /usr/sbin/dspd /usr/bin/dspctl /etc/dspd /lib/systemd/system/dspd.service \
		/usr/lib/sysusers.d/dspd.conf; do
		ls -ld --time-style=+%s "$f" 2>&1 || true
	done
}
HOST_BEFORE=$(host_state)

# ---- boot ------------------------------------------------------------------
container_boot --bind-ro="$WORK/share:$SHARE"

prop() { ct systemctl show dspd -p "$1" --value; }
MEMBER="setpriv --reuid=nobody --regid=nogroup --groups=audio"
state() {       # dspd's state, from dspctl status through the control socket
	ct $MEMBER /usr/bin/dspctl --json status 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])' 2>/dev/null || true
}
leftovers() {   # what of dspd is left in the container after a purge
	ct sh -c 'find /etc /lib/systemd /usr/lib/systemd /usr/lib/sysusers.d /usr/lib/tmpfiles.d \
		/var/lib/systemd /var/lib/dspd /run/dspd /usr/sbin/dspd /usr/bin/dspctl \
		/usr/share/doc/dspd -name "*dspd*" 2>/dev/null' || true
}

# ---- install -------------------------------------------------------------------
# This root comes from a container image whose policy-rc.d forbids every
# service action (exit 101): then the maintainer scripts could neither
# start nor stop dspd.  A real system has none; the overlay loses it.
ct rm -f /usr/sbin/policy-rc.d
ct getent passwd dspd >/dev/null && fail "the container has a user dspd before the package"
ct dpkg -i $SHARE/dspd.deb > "$WORK/dpkg-i.log" 2>&1 || { cat "$WORK/dpkg-i.log"; fail "dpkg -i"; }
expect "dpkg status" "$(ct dpkg-query -W -f='${db:Status-Abbrev}' dspd)" "ii "
ct getent passwd dspd >/dev/null || fail "the postinst did not create the user dspd"
user=$(ct getent passwd dspd)
uid=$(echo "$user" | cut -d: -f3)
[ "$uid" -lt 1000 ] || fail "dspd is not a system user: $user"
expect "/run/dspd" "$(ct stat -c '%U:%G %a' /run/dspd)" "dspd:dspd 755"
expect "conffiles" "$(ct dpkg-query -W -f='${Conffiles}' dspd | awk 'NF { print $1 }')" /etc/dspd/dspd.conf
expect "dspd.service after install" "$(ct systemctl is-enabled dspd.service || true)" disabled
expect "dspd.socket after install" "$(ct systemctl is-enabled dspd.socket || true)" disabled
expect "dspd after install" "$(ct systemctl is-active dspd.service || true)" inactive
expect "ExecStart" "$(prop ExecStart | sed -n 's/.*argv\[\]=\([^;]*\) ;.*/\1/p')" \
	"/usr/sbin/dspd -c /etc/dspd/dspd.conf"
ct /usr/sbin/dspd --check-config -c /etc/dspd/dspd.conf > /dev/null ||
	fail "the packaged /etc/dspd/dspd.conf does not pass --check-config"
expect "the host while installed in the container" "$(host_state)" "$HOST_BEFORE"
say "dpkg -i: user $(echo "$user" | cut -d: -f1,3,4), /run/dspd, units disabled and stopped; the host untouched"

# ---- configure and start, as the README says -------------------------------------
# the conffile's devices become the test device; every other line stays
ct sed -i 's|"device": "hw:0"|"device": "dspdtest"|' /etc/dspd/dspd.conf
expect "devices in the edited conffile" "$(ct grep -c '"device": "dspdtest"' /etc/dspd/dspd.conf)" 2
ct systemctl set-environment "ALSA_CONFIG_PATH=/usr/share/alsa/alsa.conf:$SHARE/tests.conf"
ct systemctl enable dspd 2>/dev/null
expect "dspd.service enabled" "$(ct systemctl is-enabled dspd.service)" enabled
t=$(date +%s.%N)
ct systemctl start dspd || fail "systemctl start dspd"
say "systemctl start dspd returned (READY=1) after $(since "$t") s"
expect "ActiveState" "$(prop ActiveState)" active
expect "dspd.socket" "$(ct systemctl is-active dspd.socket)" active
status=$(prop StatusText)
echo "$status" | grep -Eq '^48000 Hz [A-Z0-9_]+ 2ch -> [A-Z0-9_]+ 2ch, period 256, (starting|running), [0-9]+ xruns$' ||
	fail "STATUS= \"$status\""
for _ in $(seq 100); do [ "$(state)" = running ] && break; sleep 0.1; done
expect "dspctl status (a member of audio)" "$(state)" running
ct journalctl -u dspd --no-pager | grep -q "using sockets passed by systemd" ||
	fail "dspd did not take the sockets of dspd.socket"
ct $MEMBER /usr/bin/dspctl set gain -3 >/dev/null || fail "dspctl set gain -3"
for _ in $(seq 50); do ct test -s /var/lib/dspd/state.json && break; sleep 0.1; done
ct test -s /var/lib/dspd/state.json || fail "no /var/lib/dspd/state.json after a volume change"
expect "the host while dspd runs in the container" "$(host_state)" "$HOST_BEFORE"
say "running: STATUS=\"$status\"; dspctl set gain kept in /var/lib/dspd/state.json"

# ---- upgrade (the same version again): a running dspd is restarted -----------
pid=$(prop MainPID)
ct dpkg -i $SHARE/dspd.deb > "$WORK/dpkg-i2.log" 2>&1 || { cat "$WORK/dpkg-i2.log"; fail "dpkg -i again"; }
expect "ActiveState after the upgrade" "$(prop ActiveState)" active
[ "$(prop MainPID)" != "$pid" ] || fail "the upgrade did not restart dspd (MainPID $pid)"
expect "the edited conffile after the upgrade" "$(ct grep -c '"device": "dspdtest"' /etc/dspd/dspd.conf)" 2
for _ in $(seq 100); do [ "$(state)" = running ] && break; sleep 0.1; done
expect "dspctl status after the upgrade" "$(state)" running
say "dpkg -i again: dspd restarted (MainPID $pid -> $(prop MainPID)), the edited conffile kept"

# ---- remove, then purge ------------------------------------------------------------
ct dpkg -r dspd > "$WORK/dpkg-r.log" 2>&1 || { cat "$WORK/dpkg-r.log"; fail "dpkg -r"; }
expect "dpkg status after remove" "$(ct dpkg-query -W -f='${db:Status-Abbrev}' dspd)" "rc "
expect "dspd after remove" "$(ct systemctl is-active dspd.service || true)" inactive
expect "dspd.socket after remove" "$(ct systemctl is-active dspd.socket || true)" inactive
ct test -e /usr/sbin/dspd && fail "/usr/sbin/dspd is left after dpkg -r"
ct test -e /lib/systemd/system/dspd.service && fail "dspd.service is left after dpkg -r"
ct test -f /etc/dspd/dspd.conf || fail "dpkg -r removed the conffile (only a purge may)"
say "dpkg -r: stopped, programs and units gone, the conffile kept"

ct dpkg -P dspd > "$WORK/dpkg-p.log" 2>&1 || { cat "$WORK/dpkg-p.log"; fail "dpkg -P"; }
expect "dpkg status after purge" "$(ct dpkg-query -W -f='${db:Status-Abbrev}' dspd 2>/dev/null || true)" ""
left=$(leftovers)
[ -z "$left" ] || fail "left after dpkg -P: $(echo $left)"
expect "the system user dspd after purge" "$(ct getent passwd dspd)" "$user"
owned=$(ct find /etc /run /var/lib -xdev -user dspd 2>/dev/null | head -5 || true)
[ -z "$owned" ] || fail "files of the user dspd after purge: $(echo $owned)"
say "dpkg -P: nothing of dspd left in /etc, /lib/systemd, /var/lib, /run; the user dspd stays (uid $uid, owns no file)"

expect "the host after the container's purge" "$(host_state)" "$HOST_BEFORE"
say "the host: unchanged ($(echo "$HOST_BEFORE" | head -n1))"
say "PASS"
