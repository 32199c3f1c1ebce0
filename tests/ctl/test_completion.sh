#!/bin/sh
# test_completion.sh [DSPCTL] - the committed etc/bash-completion/dspctl is
# exactly what `dspctl --complete-script` prints from the command table, it
# is valid bash, and it completes commands, sub-words, option values, topic
# lists and file names.  Exit 0 when all holds.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
dspctl=${1:-$top/ctl/dspctl}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0

"$dspctl" --complete-script > "$work/script"
if ! diff -u "$top/etc/bash-completion/dspctl" "$work/script"; then
	echo "etc/bash-completion/dspctl is stale; regenerate it with:"
	echo "  ctl/dspctl --complete-script > etc/bash-completion/dspctl"
	exit 1
fi
bash -n "$work/script"

# complete WORDS...: the sorted candidates for the last word
complete_words() {
	(cd "$work" && bash -c '. ./script; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
		_dspctl; printf "%s\n" "${COMPREPLY[@]}"' _ "$@") | sort | tr '\n' ' '
}

expect() {
	want=$1
	shift
	got=$(complete_words "$@")
	if [ "$got" != "$want " ]; then
		echo "completing '$*': got '$got', want '$want'"
		fails=$((fails + 1))
	fi
}

: > "$work/studio.conf"
expect "set stats status" dspctl s
expect "--json" dspctl --js
expect "gain mute" dspctl set ""
expect "gain" dspctl adjust ""
expect "check load patch reload show" dspctl config ""
expect "off on" dspctl set mute o
expect "capture playback" dspctl record --tap ""
expect "xrun,gain" dspctl monitor --topics xrun,g
expect "--follow" dspctl levels --f
expect "studio.conf" dspctl config check stu
expect "studio.conf" dspctl -s /tmp/x.sock --json config reload st
expect "script studio.conf" dspctl --socket ""
expect "--prometheus" dspctl stats --
expect "mute.get mute.set mute.toggle" dspctl call mute.
expect "add bypass list remove set" dspctl effect ""
expect "off on" dspctl effect bypass eq1 o
expect "--after --before --index" dspctl effect add gain g2 --
expect "move" dspctl config patch m
expect "studio.conf" dspctl batch stu
expect "effect.add effect.bypass effect.remove effect.set" dspctl call effect.
[ "$fails" -eq 0 ] && echo "test_completion: ok"
exit "$fails"
