#!/bin/sh
# Run the cmocka unit tests of one build variant: tests/run-unit.sh BUILD_DIR [TEST...]
set -eu
dir=$1; shift
[ $# -gt 0 ] || set -- $(cd "$dir/tests" && ls test_* | grep -v '\.o$')
failed=0
for t in "$@"; do
	echo "== $dir/tests/$t"
	if ! "$dir/tests/$t"; then
		failed=$((failed + 1))
	fi
done
[ "$failed" -eq 0 ] || { echo "$failed unit test program(s) failed in $dir"; exit 1; }
