#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check-host.sh REPO BUILD CHECKDIR: build the host harness
# (tools/testing/xen-events), run its tests and a short fuzz run, and write
# one "ok name" / "not ok name # why" line per test to
# CHECKDIR/1-host.results.  A harness that does not build is a failed test,
# never a silent gap.
#
# Environment: SEED (test seed; default: random, printed), FUZZ_SECONDS
# (default 25), HOST_TIMEOUT (seconds for the test run; default 150).
set -uo pipefail
repo=$(cd "${1:?usage: check-host.sh REPO BUILD CHECKDIR}" && pwd)
build=${2:?}
out=${3:?}
mkdir -p "$out"
res=$out/1-host.results
harness=$repo/tools/testing/xen-events
obj=$build/xen-events
seed=${SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
fuzz_seconds=${FUZZ_SECONDS:-25}
backends=""	# run_tests: the backends a test program must have run

result() { echo "$*" >>"$res"; }
# shellcheck source=mk/step.sh
. "$repo/mk/step.sh"

# The Xen ABI headers come from the kernel tree; unpack it if need be.
if [ ! -f "$build/linux/include/xen/interface/event_channel.h" ] &&
   [ ! -f "$build/linux-base/include/xen/interface/event_channel.h" ]; then
	"$repo"/mk/prepare-tree.sh "$repo" "$build" >"$out/host-tree.log" 2>&1 ||
		echo "host: could not lay out the tree, see $out/host-tree.log" >&2
fi

# The three backends the harness exists for must be there: a missing one
# is a failed test, not a silent gap.
for b in 2l fifo 3l; do
	if [ -f "$repo/drivers/xen/events/events_$b.c" ]; then
		result "ok host $b backend present"
	else
		result "not ok host $b backend present # drivers/xen/events/events_$b.c missing"
	fi
done

# The progress reporter every build and boot goes through (mk/step.sh),
# with a 1 s heartbeat, and the check of make check's own output.
# shellcheck disable=SC2317 # run by step
step_tests() { "$repo/mk/test-step.sh" "$build/step-test" >>"$res"; }
step -l "$out/host-step.log" "host: testing the progress reporter (mk/step.sh)" "~10 s" step_tests ||
	result "not ok host step: test-step.sh ran to its end # see $out/host-step.log"

# The boot verdict accounting (mk/verdicts.sh) and the verdict lists of
# every boot row's test scripts and programs (XEVT_LIST=1, list=1).
# shellcheck disable=SC2317 # run by step
verdict_tests() { "$repo/mk/test-verdicts.sh" "$repo" "$build/verdicts-test" >>"$res"; }
step -l "$out/host-verdicts.log" "host: testing the verdict lists and their accounting" "~10 s" verdict_tests ||
	result "not ok host verdicts: test-verdicts.sh ran to its end # see $out/host-verdicts.log"

# run_tests NAME BINARY LOG: one test program; its lines go to $res.
run_tests() {
	local name=$1 bin=$2 log=$3 rc
	rm -f "$log.lines"
	step -q -l "$log" "host: running the $name, seed $seed" "~1 min" \
		timeout -k 5 "${HOST_TIMEOUT:-150}" "$bin" -s "$seed" -r "$log.lines"
	rc=$?
	# One line per test even if a runner's forked children repeat buffered
	# output: keep the first of identical lines.
	[ -f "$log.lines" ] && awk '!seen[$0]++' "$log.lines" >>"$res"
	grep -E '^(not ok|# backend)' "$log" | sed 's/^/    /'
	tail -n 1 "$log" | sed 's/^/    /'
	# Every backend present in the tree must also be in the program.
	for b in $backends; do
		if grep -q "^# backend $b: built" "$log"; then
			result "ok host $name run the $b backend"
		else
			result "not ok host $name run the $b backend # not built into $bin"
		fi
	done
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		result "not ok host $name finished # timed out, see $log"
	elif ! tail -n 1 "$log" | grep -qE '^[0-9]+ passed, [0-9]+ failed$'; then
		result "not ok host $name finished # runner died (exit $rc), see $log"
	fi
}

if step -l "$out/host-build.log" "host: building the harness (ASan, UBSan) in $(step_path "$obj")" \
	"cold: ~1 min; then seconds" make -C "$harness" BUILD="$build" O="$obj" test-build; then
	result "ok host build test program"
	backends="2l fifo 3l" run_tests "tests" "$obj/xen-events-test" \
		"$out/host-test.log"
else
	result "not ok host build test program # see $out/host-build.log"
fi

# The core program: the real core (events_base.c, events_bind.c,
# events_upcall.c, events_lateeoi.c, events_prio.c, events_usage.c) on the
# real backends and the model, under ASan and UBSan; then the same program
# under ThreadSanitizer (clang), which must build and run as well.
if step -l "$out/host-core-build.log" "host: building the core program (the real core; ASan, UBSan)" \
	"cold: ~40 s; then seconds" make -C "$harness" BUILD="$build" O="$obj" core-build; then
	result "ok host build core program"
	backends="2l fifo 3l" run_tests "core tests" "$obj/xen-events-core-test" \
		"$out/host-core.log"
else
	result "not ok host build core program # see $out/host-core-build.log"
fi
if step -l "$out/host-tsan-build.log" "host: building the core program under ThreadSanitizer (clang)" \
	"cold: ~40 s; then seconds" make -C "$harness" BUILD="$build" O="$obj" tsan-build; then
	result "ok host build core program (TSan)"
	backends="2l fifo 3l" run_tests "core tests under TSan" "$obj/xen-events-core-tsan" \
		"$out/host-tsan.log"
else
	result "not ok host build core program (TSan) # see $out/host-tsan-build.log"
fi

# Known bugs put back (tests/mutants/, mk/mutants.sh): every mutant must
# still apply and name tests that exist, and each host one, applied to a
# copy and built there, must be killed by the tests it names.  The kernel
# ones need a rebuild and a boot each: make mutants.
if [ -x "$obj/xen-events-test" ]; then
	for p in xen-events-test xen-events-core-test xen-events-core-tsan; do
		[ -x "$obj/$p" ] && "$obj/$p" -l 2>/dev/null
	done >"$out/host-test-list.txt"
	HOST_TEST_LIST=$out/host-test-list.txt MUTANTS_CHECK=1 MUTANTS_DIR=$build/mutants-host \
		"$repo/mk/mutants.sh" "$repo" "$build" >>"$res" 2>"$out/host-mutants-check.log" ||
		result "not ok host mutants listed # see $out/host-mutants-check.log"
	step -l "$out/host-mutants.log" "host: putting known bugs back, one at a time (tests/mutants/, host kind)" \
		"cold: ~1 min; then ~15 s" env MUTANTS_DIR="$build/mutants-host" "$repo/mk/mutants.sh" "$repo" "$build" host
	if [ -s "$build/mutants-host/table.txt" ]; then
		awk '$1 == "killed" { print "ok host mutant " $2 " killed (row " $4 ") " $5 " " $6 " " $7; next }
		     { print "not ok host mutant " $2 " killed (row " $4 ") # " $1 }' \
			"$build/mutants-host/table.txt" >>"$res"
	else
		result "not ok host mutants run # no table, see $out/host-mutants.log"
	fi
fi

# The 3-level ABI's own tests (registration, fallback, query, carry-over)
# are the 3level/ group of the test program: it must have run them, as it
# must run the backend.
if [ -f "$repo/drivers/xen/events/events_3l.c" ]; then
	if grep -qE '^(not )?ok host 3level/' "$res"; then
		result "ok host tests run the 3-level group (3level/)"
	else
		result "not ok host tests run the 3-level group (3level/) # none in $out/host-test.log"
	fi
fi

# A short fuzz run; make fuzz-host runs a long one.
if ! step -l "$out/host-fuzz-build.log" "host: building the fuzzer (libFuzzer)" \
	"cold: ~30 s; then seconds" make -C "$harness" BUILD="$build" O="$obj" fuzz-build; then
	result "not ok host fuzz ${fuzz_seconds}s # fuzzer did not build, see $out/host-fuzz-build.log"
	exit 0
fi
mkdir -p "$obj/corpus"
if step -l "$out/host-fuzz.log" "host: fuzzing for ${fuzz_seconds}s" "${fuzz_seconds} s" \
	timeout -k 5 $((fuzz_seconds + 60)) "$obj/xen-events-fuzz" \
	-max_total_time="$fuzz_seconds" -max_len=512 -timeout=10 \
	-seed=$((seed % 4294967291 + 1)) \
	-print_final_stats=1 -artifact_prefix="$obj/crash-" "$obj/corpus"; then
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/host-fuzz.log")
	result "ok host fuzz ${fuzz_seconds}s (${runs:-?} inputs)"
else
	grep -E 'HX-FAIL|fuzz:|ERROR|Test unit written' "$out/host-fuzz.log" | head -n 5 | sed 's/^/  | /'
	why=$(grep -m1 -E 'HX-FAIL|ERROR' "$out/host-fuzz.log" | cut -c1-200)
	result "not ok host fuzz ${fuzz_seconds}s # ${why:-fuzzer failed}, see $out/host-fuzz.log"
fi
exit 0
