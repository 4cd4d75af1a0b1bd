#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench-insn.sh REPO BUILD_DIR: "make bench-insn".  Exact cost figures:
# boots dom0 under QEMU with the instruction-counting plugin
# (tools/insn-count, make insn-plugin), runs the "insn" workload of
# drivers/xen/xen_evtchn_bench.c through initramfs/tests/bench.sh (one
# event and one round trip on work pair 0; K = 64 and 4,096 events
# pending at once; bind + unbind of a loopback pair, a VIRQ and an IPI;
# one event and a round trip with 64 ... 65,536 and the ABI's maximum of
# idle ports bound; each bracketed by markers, BENCH_REPS samples or a
# share of that) and hands the marker files to mk/bench-insn-report.py,
# which prints per figure the most common instruction count (the mode),
# the share of samples at it and the Xen / kernel / user split, the
# ratios ours / upstream and the scalability curve, and writes
# results.csv and curve.png.
#
# Environment (all optional):
#   BENCH_INSN_ABIS="fifo 2l"    ABIs (fifo, 2l; 3l needs XEN=patched Xen)
#   BENCH_INSN_KERNELS=ours      "ours upstream" adds the baseline
#                                (make kernel UPSTREAM_EVENTS=1) and the
#                                ratio ours / upstream
#   BENCH_INSN_RUNS=1            boots per kernel and ABI
#   BENCH_REPS=2000              samples per figure inside one boot
#   BENCH_INSN_POINTS=64,1024,4096,16384,65536[,max]   idle sizes of the
#                                curve; "max" (bind until the ABI is full)
#                                only by default with BENCH_INSN_XEN: Debian's
#                                Xen searches for a free port from 0 every
#                                time, so filling FIFO's 131,072 ports takes
#                                longer than a boot's timeout under TCG (the
#                                patched Xen starts at a hint).  2-level is
#                                full before 4,096, which is its max point.
#   BENCH_INSN_XEN=build/xen/xen-4.17.elf   hypervisor (Debian's by default)
#   BENCH_TIMEOUT=900            seconds per boot
#   BENCH_INSN_OUT=BUILD_DIR/bench-insn
set -euo pipefail
repo=$(cd "${1:?usage: bench-insn.sh REPO BUILD_DIR}" && pwd)
build=$(cd "${2:?}" && pwd)
here=$repo/mk
# shellcheck source=mk/step.sh
. "$here/step.sh"
abis=${BENCH_INSN_ABIS:-fifo 2l}
kernels=${BENCH_INSN_KERNELS:-ours}
runs=${BENCH_INSN_RUNS:-1}
reps=${BENCH_REPS:-2000}
tmo=${BENCH_TIMEOUT:-900}
out=${BENCH_INSN_OUT:-$build/bench-insn}
if [ -n "${BENCH_INSN_XEN:-}" ]; then
	points=${BENCH_INSN_POINTS:-64,1024,4096,16384,65536,max}
else
	points=${BENCH_INSN_POINTS:-64,1024,4096,16384,65536}
fi
xen=${BENCH_INSN_XEN:-$build/xen/xen-4.17.elf}

make -C "$repo" --no-print-directory BUILD="$build" kernel initramfs >&2
case " $kernels " in
*" upstream "*)
	make -C "$repo" --no-print-directory BUILD="$build" kernel UPSTREAM_EVENTS=1 >&2 ;;
esac
plugin=$("$here/insn-plugin.sh" "$repo" "$build" | tail -n 1)
# shellcheck disable=SC2034 # both read through ${!kernel}
k_ours=$build/linux/obj-main/arch/x86/boot/bzImage
# shellcheck disable=SC2034
k_upstream=$build/linux-upstream/obj-main/arch/x86/boot/bzImage
initrd=$build/initramfs.cpio.gz

mkdir -p "$out/logs" "$out/marks"
rm -f "$out"/logs/*.log "$out"/marks/*.txt "$out"/curve-*.dat
{
	echo "# make bench-insn, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "# host: $(nproc) CPUs, $(qemu-system-x86_64 --version | head -n 1)"
	echo "# runs=$runs reps=$reps abis=$abis kernels=$kernels points=$points xen=$(basename "$xen")"
} >"$out/meta.txt"

nboots=$((runs * $(echo "$abis" | wc -w) * $(echo "$kernels" | wc -w)))
boot=0
t_all=$(date +%s)
for run in $(seq 1 "$runs"); do
	for abi in $abis; do
		case $abi in
		fifo) args="xen.fifo_events=1" ;;
		2l) args="xen.evtchn_abi=2level xen.fifo_events=0" ;;
		3l) args="xen.fifo_events=0" ;;
		*) echo "bench-insn: unknown ABI '$abi'" >&2; exit 1 ;;
		esac
		for k in $kernels; do
			kernel=k_$k
			kernel=${!kernel}
			name=$k-$abi-$run
			log=$out/logs/$name.log
			marks=$out/marks/$name.txt
			start=$(date +%s)
			boot=$((boot + 1))
			rc=0
			# dom0's vCPUs pinned to the emulated CPUs of the same
			# number: a sample's markers all land on one QEMU vCPU.
			step -q -l "$out/logs/$name.step.log" -T "$log" \
				"bench-insn: booting $k kernel, $abi, run $run of $runs (boot $boot of $nboots), with the counter" \
				"~3-6 min" \
				"$here/boot.sh" -x "$xen" -k "$kernel" -i "$initrd" -l "$log" \
				-t "$tmo" -X "dom0_vcpus_pin" \
				-Q "-plugin $plugin,out=$marks" \
				-a "$args xevt.tests=bench xevt.bench_mode=insn xevt.bench_reps=$reps xevt.bench_points=$points" ||
				rc=$?
			echo "    $name: exit $rc after $(($(date +%s) - start)) s ($(($(date +%s) - t_all)) s in all); $(grep -a '^@@XEVT@@ bench insn ' "$log" | head -n 1 | tr -d '\r' | sed 's/^@@XEVT@@ bench //')" >&2
			grep -a -e '^@@XEVT@@ bench \(insnbatch\|insnbind\|skipped\)' \
				-e '^@@XEVT@@ bench curve_insn' -e '^not ok' "$log" |
				tr -d '\r' | sed 's/^@@XEVT@@ bench /      /' >&2 || true
		done
	done
done

python3 "$here/bench-insn-report.py" "$out" | tee "$out/results.md"
