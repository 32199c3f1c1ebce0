# container.sh - a throwaway container under a real systemd, sourced by
# nspawn_e2e.sh and deb_e2e.sh (sh, set -eu).
#
# This machine's own root, bound to $WORK/root and booted by systemd-nspawn
# with --volatile=overlay: everything written inside (dpkg -i, users,
# /etc) goes to a tmpfs overlay that vanishes with the container; the host
# is left as it was.  nspawn refuses -D / with --volatile=overlay, hence the
# bind mount, in a mount namespace of its own.  --register=no and
# --keep-unit: there is no host bus.  The container runs in a cgroup of its
# own ($NAME), removed afterwards.
#
#   container_init NAME       checks (exit 77 with the reason if it cannot
#                             run here), makes $WORK and the cleanup trap
#   container_boot ARGS...    boots with these extra nspawn arguments, waits
#                             until its systemd is up; sets $LEADER
#   ct COMMAND...             runs COMMAND inside (nsenter)
#   say, fail, expect, since  output and assertions
# The caller may define on_failure(), run inside the trap when the script
# fails while the container is up (e.g. to print the journal).

T0=$(date +%s.%N)
since() { awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $1 }"; }
say() { printf '%6s s  %s\n' "$(since "$T0")" "$*"; }
skip() { echo "cannot run: $*" >&2; exit 77; }
fail() {
	echo "FAIL: $*"
	exit 1
}
expect() {      # WHAT ACTUAL WANTED
	[ "$2" = "$3" ] || fail "$1: got \"$2\", want \"$3\""
}

container_init() {
	NAME=$1
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	for tool in systemd-nspawn nsenter unshare setpriv python3; do
		command -v $tool >/dev/null || skip "$tool not installed (apt-get install systemd-container)"
	done
	grep -qw overlay /proc/filesystems || skip "no overlay file system"
	# the hierarchies nspawn puts the container in: cgroup v2, plus the v1
	# name=systemd one on a hybrid host
	CGROUPS=
	for h in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd; do
		[ -d $h ] && CGROUPS="$CGROUPS $h"
	done
	[ -n "$CGROUPS" ] || { [ -f /sys/fs/cgroup/cgroup.procs ] && CGROUPS=/sys/fs/cgroup; }
	[ -n "$CGROUPS" ] || skip "no cgroup hierarchy found"
	CGV2=${CGROUPS# }; CGV2=${CGV2%% *}
	WORK=$(mktemp -d /tmp/dspd-nspawn.XXXXXX)
	NSPAWN_PID=
	LEADER=
	trap container_cleanup EXIT INT TERM
}

container_cleanup() {
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 77 ] && [ -n "$LEADER" ] && command -v on_failure >/dev/null; then
		on_failure || true
	fi
	if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
		kill -TERM "$NSPAWN_PID"
		for _ in $(seq 50); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$NSPAWN_PID" 2>/dev/null && kill -KILL "$NSPAWN_PID"
	fi
	for h in $CGROUPS; do
		[ -d "$h/$NAME" ] && find "$h/$NAME" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	rm -rf "$WORK"
	exit $rc
}

# --rlimit= is the ceiling for LimitRTPRIO= and LimitMEMLOCK= inside (the
# container's systemd lacks CAP_SYS_RESOURCE); nspawn cannot raise it above
# its own hard limits either.
container_boot() {
	mkdir -p "$WORK/root"
	for h in $CGROUPS; do mkdir "$h/$NAME" || skip "cannot create the cgroup $h/$NAME"; done
	# nspawn --keep-unit makes the cgroup it starts in the container's
	cat > "$WORK/boot.sh" <<-EOF
	for h in $CGROUPS; do echo \$\$ > "\$h/$NAME/cgroup.procs"; done
	exec unshare -m --propagation private sh -c 'mount --bind / "$WORK/root" && exec systemd-nspawn "\$@"' sh "\$@"
	EOF
	sh "$WORK/boot.sh" -D "$WORK/root" -b --register=no --keep-unit --console=pipe \
		--volatile=overlay --private-network -M "$NAME" \
		--rlimit=RLIMIT_RTPRIO=95 --rlimit=RLIMIT_MEMLOCK=infinity \
		"$@" systemd.mask=postgresql.service systemd.mask=prometheus.service > "$WORK/console.log" 2>&1 &
	NSPAWN_PID=$!
	LEADER=
	for _ in $(seq 300); do
		LEADER=$(head -n1 "$CGV2/$NAME/payload/init.scope/cgroup.procs" 2>/dev/null || true)
		[ -n "$LEADER" ] && break
		kill -0 $NSPAWN_PID 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$LEADER" ]; then
		cat "$WORK/console.log" >&2
		skip "systemd-nspawn did not boot"
	fi
	state=
	for _ in $(seq 600); do       # until the container's systemd is up (60 s)
		state=$(ct systemctl is-system-running 2>/dev/null || true)
		case $state in running|degraded) break ;; esac
		sleep 0.1
	done
	case $state in
	running|degraded) ;;
	*) cat "$WORK/console.log" >&2; skip "the container did not boot ($state)" ;;
	esac
	say "container booted: $state"
}

ct() { nsenter -t "$LEADER" -a "$@"; }
