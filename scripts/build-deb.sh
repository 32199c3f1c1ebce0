#!/bin/sh
# build-deb.sh - the Debian package of this tree into OUTDIR (make deb:
# build/deb), then lintian on it.
#
# dpkg-buildpackage builds in the source tree and writes its products
# (dspd_VERSION_ARCH.deb, .changes, .buildinfo, the -dbgsym package) into
# the tree's parent directory.  So the tree's files (tracked or new, not the
# ignored ones: no build/) are copied to OUTDIR/src first, and the products
# land in OUTDIR, inside build/: nothing is written beside the checkout and
# the checkout itself stays as it was (git status clean).
#
# lintian must report no error; its warnings and notes are printed and kept
# in OUTDIR/lintian.txt.  Prints the build's and lintian's times.
# Exit status: 0 built and lint-clean, 1 failed, 77 the tools are missing.
set -eu

OUT=${1:-build/deb}
ROOT=$(pwd)
[ -f debian/control ] || { echo "build-deb.sh: run it from the tree's root" >&2; exit 1; }
for tool in dpkg-buildpackage dh lintian; do
	command -v $tool >/dev/null || {
		echo "cannot run: $tool not installed (tests/install-deps.sh installs it)" >&2; exit 77; }
done

now() { date +%s.%N; }
since() { awk "BEGIN { printf \"%.1f\", $(now) - $1 }"; }

rm -rf "$OUT"
mkdir -p "$OUT/src"
OUT=$(cd "$OUT" && pwd)
# the files of the tree as git sees them (tracked and new, minus deleted
# and ignored ones); without git, everything but build/ and the binaries
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git -C "$ROOT" ls-files -z --cached --others --exclude-standard |
		(cd "$ROOT" && xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh) |
		(cd "$ROOT" && tar --null -T - -cf -) | tar -xf - -C "$OUT/src"
else
	(cd "$ROOT" && tar --exclude=./build --exclude=./daemon/dspd --exclude=./ctl/dspctl \
		--exclude='*.o' -cf - .) | tar -xf - -C "$OUT/src"
fi

t=$(now)
# nocheck: `make check` is the project's test suite, run on its own
export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-nocheck parallel=$(nproc)}"
if ! (cd "$OUT/src" && dpkg-buildpackage -us -uc -b) > "$OUT/build.log" 2>&1; then
	tail -n 40 "$OUT/build.log"
	echo "FAIL: dpkg-buildpackage (the whole log: $OUT/build.log)"
	exit 1
fi
build_s=$(since "$t")
rm -rf "$OUT/src"
deb=$(ls "$OUT"/dspd_*.deb)
echo "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB) in $build_s s"

t=$(now)
# --fail-on error: warnings are listed, errors fail the build
if ! lintian --fail-on error --display-info --pedantic "$OUT"/dspd_*.changes \
		> "$OUT/lintian.txt" 2>&1; then
	cat "$OUT/lintian.txt"
	echo "FAIL: lintian reports errors"
	exit 1
fi
grep -v 'running with root privileges' "$OUT/lintian.txt" | sed 's/^/  lintian: /' || true
echo "lintian: $(grep -c '^E:' "$OUT/lintian.txt") errors, $(grep -c '^W:' "$OUT/lintian.txt") warnings in $(since "$t") s"
