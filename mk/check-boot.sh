#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check-boot.sh XEN KERNEL INITRD RESULTS_DIR TABLE...: boot dom0 once per
# line of each table file and record every verdict the initramfs printed.
#
# A table line is "name | dom0 kernel arguments".  Each boot is a test of
# its own ("boot <name>": reached init, ran its tests and finished without
# a panic or a timeout); each "@@XEVT@@ ok|not ok" line is one more test.
set -uo pipefail
xen=$1 kernel=$2 initrd=$3 out=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
res=$out/3-boot.results
: >"$res"

for table in "$@"; do
	while IFS='|' read -r name args; do
		name=$(echo "$name" | xargs)
		[ -z "$name" ] || [ "${name#\#}" != "$name" ] && continue
		log=$out/boot-$name.log
		echo "check-boot: $name: $args" >&2
		start=$(date +%s)
		err=$("$here/boot.sh" -x "$xen" -k "$kernel" -i "$initrd" -l "$log" \
			-t "${BOOT_TIMEOUT:-600}" -a "$args" 2>&1)
		rc=$?
		echo "check-boot: $name: finished in $(($(date +%s) - start)) s" >&2
		if [ $rc -eq 0 ]; then
			echo "ok boot $name" >>"$res"
		else
			echo "not ok boot $name # $err" >>"$res"
		fi
		tr -d '\r' <"$log" | sed -n 's/^@@XEVT@@ \(\(not \)\{0,1\}ok \)/\1'"[$name] "'/p' >>"$res"
	done <"$table"
done
