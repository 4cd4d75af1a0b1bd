#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run-host.sh XEN KERNEL INITRD BUILD_DIR: "make run-host": the real thing
# in one command.  Boots Xen with our kernel as dom0 on the Debian 12 root
# filesystem (mk/rootfs.sh) and Debian's toolstack, starts two guests
# (our kernel again) with a vif and a vbd each through xl, shows xl list,
# the event channel lines of dom0's /proc/interrupts and the per-domain
# view, and shuts the guests down (initramfs/tests/xl-pv.sh with
# xevt.guests=2).  Prints dom0's report lines and the verdicts; exits
# non-zero when a verdict failed or the boot did not finish.
set -uo pipefail
xen=$1 kernel=$2 initrd=$3 build=$4
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=mk/step.sh
. "$here/step.sh"

log=$build/run-host.log
vlog=$build/run-host.verdicts
blog=$build/logs/run-host-boot.log
mkdir -p "$build/logs"
: >"$log"
progress() { boot_progress "$log"; }
step -l "$blog" -T "$log" -p progress \
	"booting $(basename "$xen") + dom0 on the Debian root filesystem; two guests through xl" \
	"~1-2 min" \
	"$here/boot.sh" -x "$xen" -k "$kernel" -i "$initrd" -l "$log" -V "$vlog" -t 1200 -m 4096 \
	-a "xevt.tests=xl-pv xevt.guests=2" -X "bootscrub=0" \
	-Q "-drive file=$build/rootfs.img,if=virtio,format=raw,snapshot=on -drive file=$build/host-payload.img,if=virtio,format=raw,readonly=on"
rc=$?
tr -d '\r' <"$log" | sed -n 's/^@@XEVT@@ \(| \)\{0,1\}//p' | grep -v '^expect '
bad=$(tr -d '\r' <"$vlog" | grep -c '^@@XEVT@@ not ok' || true)
nok=$(tr -d '\r' <"$vlog" | grep -c '^@@XEVT@@ ok' || true)
if [ $rc -ne 0 ] || [ "$bad" -ne 0 ] || [ "$nok" -eq 0 ]; then
	echo "run-host: FAILED: boot status $rc, $bad of $((nok + bad)) verdicts failed (serial log: $(step_path "$log"))" >&2
	exit 1
fi
echo "run-host: ok, $nok verdicts (serial log: $(step_path "$log"); the guests' consoles are in it too, lines "console gN:")" >&2
