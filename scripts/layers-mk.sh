#!/bin/sh
# layers-mk.sh - layers.conf as make variables (the Makefile includes the
# result as build/layers.mk).  For every folder F of a layer, IQUOTE_F is
# the -iquote list its files compile with: F itself and the folders of the
# layers it may use.  tests/unit/NAME gets the list of layer NAME plus
# tests/unit; bench/ and tests/fuzz/ see what daemon/ sees.
set -eu
awk '
/^[ \t]*(#|$)/ { next }
{
	name = $1; dir[name] = $2; order[++n] = name; uses[name] = ""
	for (i = 3; i <= NF; i++) if ($i !~ /^!/) uses[name] = uses[name] " " $i
}
END {
	all = ""
	for (i = 1; i <= n; i++) {
		l = order[i]; q = "-iquote " dir[l]
		k = split(uses[l], u, " ")
		for (j = 1; j <= k; j++) q = q " -iquote " dir[u[j]]
		printf "IQUOTE_%s := %s\n", dir[l], q
		printf "IQUOTE_tests/unit/%s := %s -iquote tests/unit\n", l, q
		dirs = dirs " " dir[l]
		if (dir[l] == "daemon") top = q
	}
	printf "LAYER_DIRS :=%s\n", dirs
	printf "IQUOTE_bench := %s\n", top
	printf "IQUOTE_tests/fuzz := %s\n", top
}' "${1:-layers.conf}"
