#!/bin/sh
# tests/layers/run.sh - the test of scripts/check-layers.py: that it passes a
# clean tree and fails each kind of violation.
#
# tree/          a tiny clean tree: layers base < mid < top (layers.conf)
# cases/NAME/    files copied over tree/ to make one violation (or usage error)
#
# Each case builds TMP/src (tree + overlay), compiles every .c of it to
# TMP/build/PATH.o (with -iquote for all folders, so a wrong-way include
# still compiles: the checker is what must catch it), runs the checker and
# prints "ok - ..." or "not ok - ...".  Exit 1 if any case failed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
check="$here/../../scripts/check-layers.py"
python=${PYTHON:-python3}
cc=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
failed=0

# build CASE: TMP/src = tree/ + cases/CASE/ (CASE may be empty), compiled
build() {
    rm -rf "$tmp/src" "$tmp/build"
    cp -R "$here/tree" "$tmp/src"
    [ -z "$1" ] || cp -R "$here/cases/$1/." "$tmp/src/"
    (cd "$tmp/src" && find . -name '*.c' | sed 's|^\./||') | while read -r c; do
        mkdir -p "$tmp/build/$(dirname "$c")"
        "$cc" -std=c11 -Wall -c -iquote "$tmp/src/base" -iquote "$tmp/src/mid" \
            -iquote "$tmp/src/top" "$tmp/src/$c" -o "$tmp/build/${c%.c}.o"
    done
}

# run: the checker on TMP/src; sets rc, output in TMP/out and TMP/err
run() {
    rc=0
    "$python" "$check" --root "$tmp/src" --objects "$tmp/build" \
        >"$tmp/out" 2>"$tmp/err" || rc=$?
}

result() {    # result OK|FAIL DESCRIPTION
    if [ "$1" = OK ]; then
        echo "ok - $2"
    else
        echo "not ok - $2"
        sed 's/^/#   /' "$tmp/out" "$tmp/err"
        failed=1
    fi
}

findings() { grep -E '^[^ :]+:[0-9]+: [a-z]+: ' "$tmp/out" || true; }

# violation CASE KIND FILE PATTERN: exit 1, only KIND findings, all at FILE,
# and one of them matching PATTERN (grep -E)
violation() {
    build "$1"
    run
    all=$(findings)
    other=$(printf '%s\n' "$all" | grep -v "^$3:[0-9]*: $2: " || true)
    if [ "$rc" -eq 1 ] && [ -n "$all" ] && [ -z "$other" ] &&
        printf '%s\n' "$all" | grep -Eq "$4"; then
        result OK "$1: exit 1, $2 reported at $3"
    else
        result FAIL "$1: want exit 1 and only $2 at $3 matching /$4/ (exit $rc)"
    fi
}

# usage CASE PATTERN [OBJECT-TO-REMOVE]: exit 2, stderr matching PATTERN
usage() {
    build "$1"
    [ -z "${3-}" ] || rm -f "$tmp/build/$3"
    run
    what="${1:-clean tree}${3:+ without $3}"
    if [ "$rc" -eq 2 ] && tr '\n' ' ' <"$tmp/err" | grep -Eq "$2"; then
        result OK "$what: exit 2, usage error"
    else
        result FAIL "$what: want exit 2 and /$2/ on stderr (exit $rc)"
    fi
}

build ""
run
if [ "$rc" -eq 0 ] && [ -z "$(findings)" ] &&
    grep -q '^check-layers: 8 files in 3 layers, 5 objects: 0 violations, 0 cycles$' "$tmp/out"; then
    result OK "clean tree: exit 0, 0 violations, 0 cycles"
else
    result FAIL "clean tree: want exit 0 and no findings (exit $rc)"
fi

violation include     include base/util.c  '^base/util.c:3: include: "calc.h" is layer mid; layer base may use no other layer$'
violation symbol      symbol  mid/scale.c  '^mid/scale.c:0: symbol: top_version is defined in top/version.c \(layer top\); layer mid may not use top$'
violation cycle       cycle   mid/calc.c   '^mid/calc.c:0: cycle: .*mid/calc.c -> mid/scale.c \(scale\).*mid/scale.c -> mid/calc.c \(calc_double\)'
violation api-symbol  api     mid/calc.c   '^mid/calc.c:0: api: .*json-c.*json_object_new_int'
violation api-include api     mid/codec.h  '^mid/codec.h:4: api: .*json-c.*<json-c/json.h>'
usage     ""              'no object.*top/version.o' top/version.o
usage     unknown-layer   'layer top uses unknown layer middle'

[ "$failed" -eq 0 ] || exit 1
