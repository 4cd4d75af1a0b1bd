#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench.sh REPO BUILD_DIR: "make bench".  Boots our kernel and the upstream
# baseline (the same tree and config with upstream's drivers/xen/events/)
# alternately as dom0 under the same Xen and QEMU machine, runs the
# workloads of initramfs/tests/bench.sh in each, and hands the logs to
# mk/bench-report.py for the table, the CSV and the plot.
#
# Hypervisor: the patched Xen of xen/patches/ (make xen) for every boot,
# both kernels alike.  It is Debian's 4.17 plus the 3-level ABI and a
# free-port hint that makes binding a port cost the same at any count
# (stock 4.17 scans from port 0 on every allocation, which makes filling
# FIFO's 131,072 ports take most of an hour here); "fifostock" repeats the
# FIFO workloads on Debian's own Xen, up to 16,384 ports, for the figures
# users see today and to show where binding time goes as ports fill up.
#
# Environment (all optional):
#   BENCH_RUNS=5        boots per kernel and ABI
#   BENCH_ABIS="fifo 2l 3l fifostock"
#   BENCH_POINTS_FIFO, BENCH_POINTS_2L, BENCH_POINTS_3L, BENCH_POINTS_STOCK
#                       idle bound ports of the cost curve ("max": until
#                       the ABI is full), comma-separated
#   BENCH_REPS=2000     samples per figure inside one boot
#   BENCH_TIMEOUT=2400  seconds per boot
#   BENCH_OUT=BUILD_DIR/bench
set -euo pipefail
repo=$(cd "${1:?usage: bench.sh REPO BUILD_DIR}" && pwd)
build=$(cd "${2:?}" && pwd)
here=$repo/mk
runs=${BENCH_RUNS:-5}
abis=${BENCH_ABIS:-fifo 2l 3l fifostock}
reps=${BENCH_REPS:-2000}
tmo=${BENCH_TIMEOUT:-2400}
out=${BENCH_OUT:-$build/bench}
pts_fifo=${BENCH_POINTS_FIFO:-64,1024,4000,16384,65536,max}
pts_2l=${BENCH_POINTS_2L:-64,1024,max}
# 3-level's maximum (262,144 ports) needs more memory than dom0's 1.5 GiB
# leaves once every port has its IRQ: the curve stops at 131,072.
pts_3l=${BENCH_POINTS_3L:-64,1024,4000,16384,65536,131072}
pts_stock=${BENCH_POINTS_STOCK:-64,1024,4000,16384}

# Images: ours, the baseline, Debian's Xen and the patched one.
make -C "$repo" --no-print-directory BUILD="$build" kernel initramfs >&2
make -C "$repo" --no-print-directory BUILD="$build" kernel UPSTREAM_EVENTS=1 >&2
make -C "$repo" --no-print-directory BUILD="$build" xen >&2
k_ours=$build/linux/obj-main/arch/x86/boot/bzImage
k_upstream=$build/linux-upstream/obj-main/arch/x86/boot/bzImage
xen_stock=$build/xen/xen-4.17.elf
xen_patched=$build/xen-src/xen-4.17-3l.elf
initrd=$build/initramfs.cpio.gz

mkdir -p "$out/logs"
rm -f "$out"/logs/*.log
{
	echo "# make bench, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "# host: $(nproc) CPUs, $(qemu-system-x86_64 --version | head -n 1)"
	echo "# runs=$runs reps=$reps abis=$abis"
	echo "# points fifo=$pts_fifo 2l=$pts_2l 3l=$pts_3l fifostock=$pts_stock"
	echo "# xen: $(cat "$build/xen-src/pristine/.version" 2>/dev/null || echo 4.17) + xen/patches (fifostock: Debian's xen-hypervisor-4.17-amd64)"
} >"$out/meta.txt"

boot() {	# boot KERNEL_NAME ABI RUN
	local kname=$1 abi=$2 run=$3 kernel xen args log start rc
	kernel=k_$kname
	kernel=${!kernel}
	xen=$xen_patched
	case $abi in
	fifo) args="xen.fifo_events=1 xevt.bench_big=1 xevt.bench_points=$pts_fifo" ;;
	2l) args="xen.evtchn_abi=2level xen.fifo_events=0 xevt.bench_points=$pts_2l" ;;
	3l) args="xen.fifo_events=0 xevt.bench_big=1 xevt.bench_points=$pts_3l" ;;
	fifostock) args="xen.fifo_events=1 xevt.bench_points=$pts_stock"
	    xen=$xen_stock ;;
	*) echo "bench: unknown ABI '$abi'" >&2; exit 1 ;;
	esac
	log=$out/logs/$kname-$abi-$run.log
	start=$(date +%s)
	rc=0
	"$here/boot.sh" -x "$xen" -k "$kernel" -i "$initrd" -l "$log" -t "$tmo" \
		-a "$args xevt.tests=bench xevt.bench_reps=$reps" >&2 || rc=$?
	echo "bench: $kname $abi run $run: exit $rc after $(($(date +%s) - start)) s" >&2
	grep -a '^@@XEVT@@ not ok' "$log" | tr -d '\r' >&2 || true
}

for run in $(seq 1 "$runs"); do
	# A B, then B A: neither kernel always boots first.
	if [ $((run % 2)) -eq 1 ]; then order="ours upstream"; else order="upstream ours"; fi
	for abi in $abis; do
		if [ "$abi" = 3l ]; then
			boot ours 3l "$run"	# no upstream 3-level to compare with
			continue
		fi
		for k in $order; do
			boot "$k" "$abi" "$run"
		done
	done
done

python3 "$here/bench-report.py" "$out"
echo "$out/results.md"
