#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run.sh XEN KERNEL INITRD LOG [ARGS]: "make run": boot dom0 once, print
# the event-channel lines of dmesg and the xen- lines of /proc/interrupts.
set -uo pipefail
xen=$1 kernel=$2 initrd=$3 log=$4 args=${5:-}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=mk/step.sh
. "$here/step.sh"

blog=$(dirname "$log")/logs/run-boot.log
: >"$log"
progress() { boot_progress "$log"; }
step -l "$blog" -T "$log" -p progress \
	"booting $(basename "$xen") + dom0 under QEMU (software emulation, 2 vCPUs), args: ${args:-none}" \
	"~30 s-2 min" \
	"$here/boot.sh" -x "$xen" -k "$kernel" -i "$initrd" -l "$log" -t 300 -a "$args"
rc=$?
tr -d '\r' <"$log" | sed -n 's/^@@XEVT@@ | //p'
if [ $rc -ne 0 ]; then
	echo "run: FAILED: $(tail -n 1 "$blog") (serial log: $(step_path "$log"))" >&2
	exit $rc
fi
if ! tr -d '\r' <"$log" | grep -a '^@@XEVT@@ | ' | grep -qE 'xen:events: Using [^ ]+ ABI'; then
	echo "run: FAILED: no 'xen:events: Using ... ABI' line in dmesg (serial log: $(step_path "$log"))" >&2
	exit 5
fi
echo "run: ok (serial log: $(step_path "$log"))" >&2
