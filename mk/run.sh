#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run.sh XEN KERNEL INITRD LOG [ARGS]: "make run": boot dom0 once, print
# the event-channel lines of dmesg and the xen- lines of /proc/interrupts.
set -uo pipefail
xen=$1 kernel=$2 initrd=$3 log=$4 args=${5:-}
here=$(cd "$(dirname "$0")" && pwd)

echo "run: booting $(basename "$xen") + $kernel under QEMU (args: ${args:-none})" >&2
"$here/boot.sh" -x "$xen" -k "$kernel" -i "$initrd" -l "$log" -t 300 -a "$args"
rc=$?
tr -d '\r' <"$log" | sed -n 's/^@@XEVT@@ | //p'
if [ $rc -ne 0 ]; then
	echo "run: FAILED (serial log: $log)" >&2
	exit $rc
fi
if ! tr -d '\r' <"$log" | grep -a '^@@XEVT@@ | ' | grep -qE 'xen:events: Using [^ ]+ ABI'; then
	echo "run: FAILED: no 'xen:events: Using ... ABI' line in dmesg (serial log: $log)" >&2
	exit 5
fi
echo "run: ok (serial log: $log)" >&2
