#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# density.sh REPO BUILD_DIR: "make density".  Boots dom0 (our kernel) once
# per run below with as much memory as the machine allows, and pushes real
# guests (tests/density/) to the ceiling: as many tiny PV guests as fit,
# and channels per guest raised until the ABI's port space is full.  The
# logs go to mk/density-report.py for the table, the CSV and the plot in
# BUILD_DIR/density/.
#
# Environment (all optional):
#   DENSITY_RUNS="fifo-guests fifo-ports 3l-guests 3l-ports 2l"
#   DENSITY_GUESTS=4000   guests of the *-guests runs (4 channels each)
#   DENSITY_TIMEOUT=3600  seconds per boot
#   DENSITY_OUT=BUILD_DIR/density
set -euo pipefail
repo=$(cd "${1:?usage: density.sh REPO BUILD_DIR}" && pwd)
build=$(cd "${2:?}" && pwd)
here=$repo/mk
runs=${DENSITY_RUNS:-fifo-guests fifo-ports 3l-guests 3l-ports 2l}
nguests=${DENSITY_GUESTS:-4000}
tmo=${DENSITY_TIMEOUT:-3600}
out=${DENSITY_OUT:-$build/density}

echo "density: building the kernel, the initramfs and the patched Xen" >&2
make -C "$repo" --no-print-directory BUILD="$build" kernel initramfs >&2
make -C "$repo" --no-print-directory BUILD="$build" xen >&2
kernel=$build/linux/obj-main/arch/x86/boot/bzImage
xen_stock=$build/xen/xen-4.17.elf
xen_patched=$build/xen-src/xen-4.17-3l.elf
initrd=$build/initramfs.cpio.gz

# Memory: about 2 GiB + 4.2 MiB per guest, within the host's 24 GiB.
mem_for() { echo $((2048 + ($1 * 43 + 9) / 10 + 1024)); }

mkdir -p "$out/logs"
rm -f "$out"/logs/*.log
{
	echo "# make density, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "# host: $(nproc) CPUs, $(free -g | awk '/^Mem:/ {print $2}') GiB, $(qemu-system-x86_64 --version | head -n 1)"
	echo "# runs: $runs; guests of the *-guests runs: $nguests"
} >"$out/meta.txt"

n=0
total=$(echo "$runs" | wc -w)
for run in $runs; do
	n=$((n + 1))
	xargs_="bootscrub=0"
	case $run in
	fifo-guests)
		xen=$xen_stock mem=$(mem_for "$nguests")
		args="xevt.expect_abi=fifo xevt.density=n=$nguests,c=4,r=3,e=500 xevt.density_view=1" ;;
	fifo-ports)
		# 1,030 x 128 channels ask for more than FIFO's 131,071 ports.
		# The patched Xen's bind does not scan (stock: ~10 min more).
		xen=$xen_patched mem=$(mem_for 1030)
		args="xen.fifo_events=1 xevt.expect_abi=fifo xevt.density=n=1030,c=128,r=3,e=256 xevt.density_expect=enospc xevt.density_ports=130900-131071" ;;
	3l-guests)
		xen=$xen_patched mem=$(mem_for "$nguests")
		args="xen.fifo_events=0 xevt.expect_abi=3level xevt.density=n=$nguests,c=4,r=3,e=500 xevt.density_view=1" ;;
	3l-ports)
		# 2,100 x 128 ask for more than 3-level's 262,143; dom0 needs
		# about 3.8 KiB per channel, so 3 GiB.
		xen=$xen_patched mem=$(($(mem_for 2100) + 1536))
		xargs_="$xargs_ dom0_mem=3072M,max:3072M"
		args="xen.fifo_events=0 xevt.expect_abi=3level xevt.density=n=2100,c=128,r=3,e=512,t=300 xevt.density_expect=enospc xevt.density_ports=261900-262143" ;;
	2l)
		xen=$xen_stock mem=$(mem_for 1100)
		args="xen.fifo_events=0 xevt.expect_abi=2level xevt.density=n=1100,c=4,r=3,e=100 xevt.density_expect=enospc xevt.density_view=1 xevt.density_headroom=warn" ;;
	*) echo "density: unknown run $run" >&2; exit 2 ;;
	esac
	log=$out/logs/$run.log
	echo "density: run $n/$total: $run, QEMU -m $mem ($(date -u +%H:%M:%S)); progress below, log $log" >&2
	start=$(date +%s)
	# Show the tool's progress lines while the boot runs.
	( sleep 5; tail -n +1 -F "$log" 2>/dev/null |
		sed -un 's/^@@XEVT@@ | density: \(progress\|probe\|round\|refused\|initial\|alive\|view\|teardown\)/  \1/p' ) &
	tailer=$!
	rc=0
	"$here/boot.sh" -x "$xen" -k "$kernel" -i "$initrd" -l "$log" -t "$tmo" \
		-m "$mem" -a "xevt.tests=density $args" -X "$xargs_" || rc=$?
	kill "$tailer" 2>/dev/null || true
	wait "$tailer" 2>/dev/null || true
	echo "density: run $run finished in $(($(date +%s) - start)) s (boot status $rc)" >&2
done

python3 "$here/density-report.py" "$out"
