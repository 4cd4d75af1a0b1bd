#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# summary.sh RESULTS_DIR: number every "ok"/"not ok" line of the *.results
# files, print them TAP-style and end with "N passed, N failed".  The
# failures are listed again just above that line, so that a log cut to
# its last lines still names them; above them, the five slowest boots
# (RESULTS_DIR/boot-times, written by check-boot.sh).
set -uo pipefail
dir=$1
pass=0 fail=0 n=0
failed=()
shopt -s nullglob
for f in "$dir"/*.results; do
	while IFS= read -r line; do
		case $line in
		"ok "*) n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - ${line#ok }" ;;
		"not ok "*)
			n=$((n + 1)); fail=$((fail + 1))
			failed+=("not ok $n - ${line#not ok }")
			echo "${failed[-1]}"
			;;
		esac
	done <"$f"
done
if [ $n -eq 0 ]; then
	echo "not ok 1 - no test produced a result"
	fail=1
fi
if [ -s "$dir/boot-times" ]; then
	echo "# slowest boots:"
	sort -k2,2nr "$dir/boot-times" | head -n 5 |
		awk '{ printf "#   %-24s %4d s, %d verdicts\n", $1, $2, $3 }'
fi
if [ ${#failed[@]} -gt 0 ]; then
	echo "# failed tests (details in the lines above and in the boot logs):"
	printf '#   %s\n' "${failed[@]}"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
