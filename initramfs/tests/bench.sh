#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Benchmark workloads of drivers/xen/xen_evtchn_bench.c, driven through its
# debugfs file.  Every result is a line "@@XEVT@@ bench <key=value ...>"
# that mk/bench.sh collects; a workload that fails (its counts disagree,
# or the command returns an error) is also a "not ok" verdict, so a bench
# boot with lost events cannot pass unnoticed.
#   xevt.bench_points=64,1024,...   idle bound ports of the cost curve
#                                    ("max": bind until the ABI is full)
#   xevt.bench_big=1                also the 4,096-pending batch (needs
#                                    4,096 work ports: not on 2-level)
#   xevt.bench_reps=N               samples per figure (default 2000)
#   xevt.bench_mode=insn            only the "insn" workload (make bench-insn)
. /tests/lib.sh

f=/sys/kernel/debug/xen_evtchn_bench
points=$(xevt_arg bench_points | tr , ' ')
big=$(xevt_arg bench_big)
reps=$(xevt_arg bench_reps)
reps=${reps:-2000}
failed=0

# run TAG CMD...: one command; its result line tagged with TAG.
run() {
	tag=$1
	shift
	if echo "$*" >"$f" 2>/dev/null; then
		rc=0
	else
		rc=1
	fi
	say "bench $tag $(cat "$f")"
	if [ $rc -ne 0 ]; then
		failed=$((failed + 1))
		verdict_fail "bench_$tag" "'$*': $(cat "$f")"
	fi
	return $rc
}

# XEVT_LIST=1: the verdict a bench boot gives when every workload worked
# (a failed one gives "not ok bench_<tag>" instead, and this one is then
# missing: "no verdict" on the host).
if listing; then
	if [ "$(xevt_arg bench_mode)" = insn ]; then list_name bench_insn; else list_name bench_workloads; fi
	exit 0
fi

if [ ! -w "$f" ]; then
	verdict_fail bench "no $f (CONFIG_XEN_EVTCHN_BENCH?)"
	exit 0
fi
say "bench abi $(abi_name | tr ' ' _)"

# xevt.bench_mode=insn (make bench-insn): only the marker-bracketed
# workloads that tools/insn-count counts, nothing timed.  One event and a
# round trip; K = 64 and 4,096 pending at once (4,096 needs 2,048 work
# pairs, more than 2-level holds: skipped there with a line saying so);
# binds and unbinds; then one event and a round trip at each size of the
# idle set (xevt.bench_points, by default 64 to 65,536 and the ABI's
# maximum, "max").  A size the ABI cannot hold ends the curve: the idle
# set is then full (ENOSPC), and that is its maximum point.
if [ "$(xevt_arg bench_mode)" = insn ]; then
	points=${points:-64 1024 4096 16384 65536 max}
	# The same event and round trip from user space, /dev/xen/evtchn.
	if line=$(/bin/xevt-insn "rounds=$reps" 2>&1); then
		say "bench insnuser $line"
	else
		failed=$((failed + 1))
		verdict_fail bench_insnuser "$line"
	fi
	run work work 1 && run insn insn "$reps"
	run work work 32 && run insnbatch64 insnbatch 64 $((reps / 4))
	if echo "work 2048" >"$f" 2>/dev/null; then
		say "bench work $(cat "$f")"
		run insnbatch4096 insnbatch 4096 $((reps / 20 + 5))
	else
		say "bench skipped insnbatch4096: $(cat "$f")"
	fi
	run work work 1 && run insnbind insnbind $((reps / 4))
	for n in $points; do
		[ "$n" = max ] && n=262144
		echo "idle $n" >"$f" 2>/dev/null
		line=$(cat "$f")
		say "bench idle $line"
		case $line in
		*" rc=0 "*) full=0 ;;
		*" rc=-28 "*) full=1 ;;
		*) failed=$((failed + 1))
		   verdict_fail bench_idle "'idle $n': $line"
		   break ;;
		esac
		run "curve_insn" insn "$reps"
		[ $full = 1 ] && break
	done
	run idle0 idle 0
	[ $failed -eq 0 ] && verdict_ok bench_insn
	exit 0
fi

# Delivery of K pending events at once, then the same for ping-pong and
# the storm, all with no idle ports bound.
if [ "$big" = 1 ]; then
	run work work 2048 && run batch4096 batch 4096 $((reps / 100 + 5))
fi
run work work 32
run batch1 batch 1 "$reps"
run batch64 batch 64 $((reps / 4))
run pingpong pingpong "$reps"
run storm storm "$reps" 2000
run bindrate bindrate 1000

# The cost curve: one event (and a round trip) with N idle ports bound.
for n in $points; do
	if [ "$n" = max ]; then
		# Bind until Xen says ENOSPC: that error is the expected end.
		echo "idle 262144" >"$f" 2>/dev/null
		line=$(cat "$f")
		say "bench idle $line"
		case $line in
		*" rc=-28 "*) ;;
		*) failed=$((failed + 1))
		   verdict_fail bench_idle_max "want ENOSPC at the ABI's end: $line" ;;
		esac
	else
		run "idle" idle "$n"
	fi
	run "curve_batch1" batch 1 "$reps"
	run "curve_pingpong" pingpong "$reps"
done
run idle0 idle 0

[ $failed -eq 0 ] && verdict_ok bench_workloads
