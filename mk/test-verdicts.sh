#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test-verdicts.sh REPO WORKDIR: host tests of the verdict accounting, run
# by check-host.sh; one "ok name" / "not ok name # why" line per test.
#
# 1. mk/verdicts.sh (account): expected names without a verdict become
#    "not ok ... # no verdict", a reason's own " # " stays in the reason,
#    verdicts nobody expected are counted and listed apart.
# 2. Every row of tests/boot/*.table lists its verdicts: each script its
#    xevt.tests names runs in list mode (XEVT_LIST=1, programs list=1)
#    prints at least one name, nothing but "xevt-list NAME" lines, and no
#    name twice.  The scripts run from a copy whose /tests, /bin and
#    /proc/cmdline paths point into WORKDIR; the programs are built there
#    (dynamically linked: only their list=1 mode runs here).
set -uo pipefail
repo=$(cd "${1:?usage: test-verdicts.sh REPO WORKDIR}" && pwd)
work=${2:?usage: test-verdicts.sh REPO WORKDIR}
rm -rf "$work" && mkdir -p "$work"
# shellcheck source=mk/verdicts.sh
. "$repo/mk/verdicts.sh"

verdict() {	# verdict NAME WHY: ok when WHY is empty
	if [ -z "$2" ]; then echo "ok host verdicts: $1"; else echo "not ok host verdicts: $1 # $2"; fi
}

# 1. The accounting.
printf '%s\r\n' '@@XEVT@@ expect a b: c' '@@XEVT@@ expect d' '@@XEVT@@ expect e' \
	'@@XEVT@@ ok a b: c' '@@XEVT@@ not ok d # why # more' '@@XEVT@@ ok zz' \
	'@@XEVT@@ done' >"$work/v.log"
got=$(account row1 "$work/v.log" "$work/v.unexpected")
want='ok [row1] a b: c
not ok [row1] d # why # more
ok [row1] zz
not ok [row1] e # no verdict'
why=
[ "$got" = "$want" ] || why="got '$(echo "$got" | tr '\n' ';')'"
verdict "an expected name without a verdict is not ok, no verdict" "$why"
why=
[ "$(cat "$work/v.unexpected")" = zz ] || why="unexpected: '$(tr '\n' ';' <"$work/v.unexpected")', want zz"
verdict "a verdict not expected is counted and flagged" "$why"
printf '%s\n' '@@XEVT@@ ok a' '@@XEVT@@ not ok b # x' >"$work/n.log"
got=$(account r "$work/n.log" "$work/n.unexpected")
why=
[ "$got" = "ok [r] a
not ok [r] b # x" ] && [ ! -s "$work/n.unexpected" ] || why="got '$(echo "$got" | tr '\n' ';')'"
verdict "without an expected list every verdict counts, none flagged" "$why"

# 2. The lists of every boot row.
t=$work/tests
mkdir -p "$t" "$work/bin" "$work/tmp"
for f in "$repo"/initramfs/tests/*.sh; do
	sed -e "s#/tests/#$t/#g" -e "s#/proc/cmdline#$work/cmdline#" \
		-e "s#/tmp/#$work/tmp/#g" -e "s#/bin/xevt-#$work/bin/xevt-#g" -e "s#/bin/xen3l_query#$work/bin/xen3l_query#g" \
		"$f" >"$t/$(basename "$f")"
	chmod +x "$t/$(basename "$f")"
done
why=
for src in "$repo"/tests/userspace/xevt-*.c; do
	b=$(basename "$src" .c)
	gcc -O1 -pthread -o "$work/bin/$b" "$src" "$repo/tests/userspace/xevt.c" 2>>"$work/build.log" ||
		why="$why $b"
done
gcc -O1 -o "$work/bin/xen3l_query" "$repo/tests/userspace/xen3l_query.c" 2>>"$work/build.log" ||
	why="$why xen3l_query"
verdict "test programs build for listing" "${why:+did not build:$why (see $work/build.log)}"

for table in "$repo"/tests/boot/*.table; do
	grep -v '^[[:space:]]*#' "$table" | while IFS='|' read -r name args _; do
		name=$(echo "$name" | sed "s/^[[:space:]]*//; s/[[:space:]]*$//")
		[ -n "$name" ] || continue
		echo "$args" >"$work/cmdline"
		why=
		for s in $(tr ' ' '\n' <"$work/cmdline" | sed -n 's/^xevt\.tests=//p' | tail -n 1 | tr , ' '); do
			if [ ! -x "$t/$s.sh" ]; then
				why="$why; no initramfs/tests/$s.sh"
				continue
			fi
			XEVT_LIST=1 "$t/$s.sh" </dev/null >"$work/list.out" 2>&1
			n=$(grep -c '^xevt-list .' "$work/list.out")
			other=$(grep -v '^xevt-list .' "$work/list.out" | head -n 1)
			dup=$(sed -n 's/^xevt-list //p' "$work/list.out" | sort | uniq -d | head -n 1)
			[ "$n" -gt 0 ] || why="$why; $s.sh listed nothing"
			[ -z "$other" ] || why="$why; $s.sh printed '$other'"
			[ -z "$dup" ] || why="$why; $s.sh listed '$dup' twice"
		done
		verdict "$(basename "$table" .table) row $name lists its verdicts" "${why#; }"
	done
done
