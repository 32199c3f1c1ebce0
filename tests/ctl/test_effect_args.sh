#!/bin/sh
# test_effect_args.sh [DSPCTL] - the argument checks of dspctl's changing
# commands (effect add|remove|bypass|set|list, batch, config load|patch,
# eq import|export):
# every bad argument and every bad batch line is a usage error (exit 2, a
# message naming the problem, and the line for batch files) raised before
# the socket is touched; good arguments get as far as connecting.  The
# socket does not exist, so a command that tried to connect exits 3 instead.
# Exit 0 when all holds.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
dspctl=${1:-$top/ctl/dspctl}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sock=$work/no-such.sock
fails=0

# run WANT_STATUS WANT_TEXT [STDIN_FILE] -- ARGS...: dspctl ARGS must exit
# WANT_STATUS with WANT_TEXT in its stderr and nothing on stdout.
run() {
	want=$1 text=$2 input=/dev/null
	shift 2
	if [ "$1" != "--" ]; then
		input=$1
		shift
	fi
	shift
	status=0
	"$dspctl" --socket "$sock" "$@" < "$input" > "$work/out" 2> "$work/err" ||
		status=$?
	if [ "$status" -ne "$want" ]; then
		echo "dspctl $*: exit $status, want $want; stderr: $(cat "$work/err")"
		fails=$((fails + 1))
	elif ! grep -qF -- "$text" "$work/err"; then
		echo "dspctl $*: stderr lacks '$text': $(cat "$work/err")"
		fails=$((fails + 1))
	elif [ -s "$work/out" ]; then
		echo "dspctl $*: printed on stdout: $(cat "$work/out")"
		fails=$((fails + 1))
	fi
}
usage() { run 2 "$@"; }
accepted() { run 3 "cannot connect" "$@"; }

# effect add
usage "missing TYPE NAME" -- effect add
usage "missing NAME" -- effect add gain
usage '"db=-3" is not a block name' -- effect add gain db=-3
usage '"db" is not KEY=VALUE' -- effect add gain g db
usage '"=3" is not KEY=VALUE' -- effect add gain g =3
usage "give the name as a word" -- effect add gain g name=x
usage "db given twice" -- effect add gain g db=1 db=2
usage "--before and --after exclude each other" -- effect add gain g --before a --after b
usage "--after and --index exclude each other" -- effect add gain g --after a --index 1
usage '"-1" is not a position' -- effect add gain g --index -1
usage '"1.5" is not a position' -- effect add gain g --index=1.5
usage '"x" is not a position' -- effect add gain g --index x
usage "--index needs a value" -- effect add gain g --index
usage "the block name is empty" -- effect add gain g --before=
usage 'unknown option "--bogus"' -- effect add gain g --bogus
usage 'needs a string "type" and "name"' -- effect add '{"type":"gain"}'
usage "the block is not a JSON object" -- effect add '{"type":'
usage 'unexpected argument "db=1" after the JSON block' -- effect add '{"type":"gain","name":"g"}' db=1
accepted -- effect add gain g
accepted -- effect add biquad eq1 kind=peaking freq=1000 q=1.4 gain_db=-3 --before master
accepted -- effect add gain g 'db=-3' --index 0
accepted -- effect add '{"type":"gain","name":"g","db":-3}' --after=master

# effect remove, bypass, set, list
usage "missing NAME" -- effect remove
usage 'unexpected argument "b"' -- effect remove a b
usage '"maybe" is not on or off' -- effect bypass g maybe
usage "missing NAME" -- effect bypass
usage "missing NAME" -- effect set
usage "missing KEY=VALUE" -- effect set eq1
usage '"gain_db" is not KEY=VALUE' -- effect set eq1 gain_db
usage "the type of a block cannot be set" -- effect set eq1 type=gain
usage "the name of a block cannot be set" -- effect set eq1 /name=x
usage 'names the whole block' -- effect set eq1 /=1
usage "db given twice" -- effect set eq1 db=1 /db=2
usage 'unexpected argument "x"' -- effect list x
usage 'unknown word "frob"' -- effect frob
usage "missing what to effect" -- effect
accepted -- effect remove g
accepted -- effect bypass g
accepted -- effect bypass g off
accepted -- effect set eq1 bands/1/gain_db=2.5 /freq=1000 'label=two words'
accepted -- effect list

# config load, config patch
usage "missing FILE" -- config load
usage "No such file or directory" -- config load "$work/missing.conf"
usage 'unexpected argument "b"' -- config load a b
usage "the file name is empty" -- config load ''
printf '{"rate": 48000}\000' > "$work/nul"
usage "standard input contains a NUL byte" "$work/nul" -- config load -
: > "$work/present.conf"
accepted -- config load "$work/present.conf"
printf '{"rate": 48000}' > "$work/text"
accepted "$work/text" -- config load -

usage "missing OP" -- config patch
usage '"frob" is not add, remove, replace' -- config patch frob /x
usage "add takes PATH VALUE" -- config patch add /x
usage "remove takes PATH only" -- config patch remove /x 1
usage "move takes FROM PATH" -- config patch move /x
usage 'PATH "pipeline/0" is not a JSON pointer' -- config patch replace pipeline/0 1
usage 'FROM "a" is not a JSON pointer' -- config patch copy a /b
usage 'PATH "b" is not a JSON pointer' -- config patch move /a b
printf '{}' > "$work/object"
printf '[]' > "$work/empty"
printf '[{"op":"remove","path":"/a"}, 1]' > "$work/not-op"
usage "not a JSON array of operations" "$work/object" -- config patch -
usage "not a JSON array of operations: empty" "$work/empty" -- config patch -
usage 'operation 1 of standard input is not an object with an "op"' "$work/not-op" -- config patch -
accepted -- config patch replace /volume/db -6
accepted -- config patch add /pipeline/- '{"type":"gain","name":"g2"}'
accepted -- config patch move /pipeline/2 /pipeline/0
accepted -- config patch remove ''
printf '[{"op":"replace","path":"/rate","value":44100}]' > "$work/ops"
accepted "$work/ops" -- config patch -

# batch: each bad line is named by its number
batch_file() {
	printf "$1" > "$work/batch"
}
batch_file '# comment\n\neffect add gain g\neffect set g "db=-3\n'
usage "batch: $work/batch line 4: a quote is not closed" -- batch "$work/batch"
batch_file "effect remove g\nfrob x\n"
usage "batch: $work/batch line 2: \"frob x\" is not a change" -- batch "$work/batch"
batch_file "effect remove g\neffect\n"
usage "batch: $work/batch line 2: \"effect\" is not a change" -- batch "$work/batch"
batch_file "effect remove g\n\n  # indented comment\neffect add gain\n"
usage "batch: $work/batch line 4: effect add: missing NAME" -- batch "$work/batch"
batch_file "effect set eq1 type=gain\n"
usage "line 1: effect set: the type of a block cannot be set" -- batch "$work/batch"
batch_file "effect remove g\nconfig patch -\n"
usage "line 2: config patch: \"-\" is not add, remove" -- batch "$work/batch"
batch_file "effect bypass g on\r\neffect bypass g sideways\r\n"
usage "line 2: effect bypass: \"sideways\" is not on or off" -- batch "$work/batch"
batch_file "effect add gain g --index 1 --before h\n"
usage "line 1: effect add: --before and --index exclude each other" -- batch "$work/batch"
batch_file "# only a comment\n\n"
usage "holds no changes" -- batch "$work/batch"
printf 'effect remove a\000\n' > "$work/batch"
usage "contains a NUL byte" -- batch "$work/batch"
i=0
: > "$work/batch"
while [ $i -lt 65 ]; do
	echo "effect bypass g$i" >> "$work/batch"
	i=$((i + 1))
done
usage "line 65: more than 64 changes" -- batch "$work/batch"
usage "No such file or directory" -- batch "$work/missing"
usage 'unexpected argument "b"' -- batch a b
batch_file "effect remove\n"
usage "batch: stdin line 1: effect remove: missing NAME" "$work/batch" -- batch
usage "batch: stdin line 1" "$work/batch" -- batch -

batch_file "# a set of changes\neffect add gain g2 db=-6 --after g   # comment\n\
effect set eq1 'bands/0={\"freq\": 100, \"q\": 0.7}' \"label=a \\\\\"b\\\\\" c\"\n\
effect bypass g off\neffect remove old\n\
config patch add /pipeline/- '{\"type\":\"gain\",\"name\":\"g3\"}'\n"
accepted -- batch "$work/batch"
accepted "$work/batch" -- batch

# eq import|export: the file is read and parsed before the socket is touched
usage "eq import: missing FILE" -- eq import
usage "eq import: --block: the name is empty" -- eq import x.txt --block ""
usage 'unexpected argument "b"' -- eq import a b
usage "eq import: $work/missing.txt: No such file or directory" -- eq import "$work/missing.txt"
printf 'Preamp: -1 dB\r\nFilter 1: ON PK Fc 100 Hz Gain 1 dB Q 1\r\nFilter 2: ON XY Fc 1 Hz\r\n' > "$work/eq.txt"
usage "eq import: $work/eq.txt: line 3: unknown filter type 'XY'" -- eq import "$work/eq.txt"
printf 'Filter 1: ON PK Fc 100 Hz Q 1\n' > "$work/eq.txt"
usage "line 1: Gain expected" -- eq import "$work/eq.txt" --block x
printf 'Preamp: -1 dB\nFilter 1: OFF PK Fc 100 Hz Gain 1 dB Q 1\n' > "$work/eq.txt"
usage "eq import: $work/eq.txt: no filter is ON" -- eq import "$work/eq.txt"
printf 'GraphicEQ: 20 0; 30 1\nFilter 1: ON PK Fc 100 Hz Gain 1 dB Q 1\n' > "$work/eq.txt"
usage "has both a GraphicEQ (line 1) and filters" -- eq import "$work/eq.txt"
printf 'Preamp: -1 dB\nFilter 1: ON PK Fc 100 Hz Gain 1 dB Q 1\n' > "$work/eq.txt"
accepted -- eq import "$work/eq.txt"
usage 'eq export: unknown option "--bogus"' -- eq export --bogus
usage "eq export: --output needs a value" -- eq export -o
accepted -- eq export -o "$work/out.txt" --block eq

[ "$fails" -eq 0 ] && echo "test_effect_args: ok"
exit "$fails"
