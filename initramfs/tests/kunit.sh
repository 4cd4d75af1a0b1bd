#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Verdicts from the KUnit suites that ran at boot (kunit.enable=1): their
# KTAP report is read back from dmesg and every test case becomes one
# "kunit <suite>.<test>" verdict.
#
#   xevt.kunit_suites=a,b   suites that must have run (default xen_evtchn)
#   xevt.kunit_skip=t1,t2   test cases allowed to skip on this boot (for
#                           instance FIFO-only tests on a 2-level boot);
#                           they give no verdict, only a report line.
#
# A suite that did not run, did not finish, or reported fewer test cases
# than it planned fails; so does any skip not allowed above.
#
# XEVT_LIST=1 lists one verdict per suite, "kunit <suite>: suite ran and
# finished", and the test cases of the suite's KTAP report if dmesg holds
# one: built-in suites run before /init, so in the boot it is there when
# /init asks for the list (on the host it is not, and only the suite
# verdicts are listed).  The case names come from that report, so the
# suite verdict is what catches a lost case: it fails when the report
# holds fewer test cases than the suite's plan.
. /tests/lib.sh

suites=$(xevt_arg kunit_suites | tr , ' ')
suites=${suites:-xen_evtchn}
allowed=",$(xevt_arg kunit_skip),"

log=/tmp/kunit.dmesg
{ dmesg 2>/dev/null || true; } | sed 's/^\[[^]]*\] \{0,1\}//' >"$log"

# parse SUITE: one line per test case of SUITE's KTAP report,
#   "<ok|fail|skip>|<test>|<reason>",
# after "plan|<n>" and before "end|<ok|not ok>" ("end|missing": the
# suite never started; no "end" line: it never finished).
parse() {
	awk -v suite="$1" '
	function flush_reason(s) { gsub(/[ \t]+/, " ", s); return substr(s, 1, 300) }
	BEGIN { state = 0; why = ""; grab = 0 }
	state == 0 && $0 == "    # Subtest: " suite { state = 1; next }
	state == 0 { next }
	state == 1 && /^    1\.\.[0-9]+$/ { print "plan|" substr($0, 8); state = 2; next }
	/^    (ok|not ok) [0-9]+ / {
		line = substr($0, 5)
		st = (line ~ /^ok/) ? "ok" : "fail"
		sub(/^(ok|not ok) [0-9]+ (- )?/, "", line)
		name = line; reason = why
		if (line ~ / # SKIP/) {
			st = "skip"
			sub(/ # SKIP.*/, "", name)
			reason = line; sub(/^.* # SKIP ?/, "", reason)
		}
		print st "|" name "|" flush_reason(reason)
		why = ""; grab = 0
		next
	}
	/^(ok|not ok) [0-9]+ / {
		line = $0; sub(/^(ok|not ok) [0-9]+ (- )?/, "", line)
		sub(/ # .*/, "", line)
		if (line == suite) {
			print "end|" (($0 ~ /^ok/) ? "ok" : "not ok")
			exit
		}
	}
	# Diagnostics of the running test: keep the first failed
	# expectation and the lines that explain it.
	/FAILED at / && why == "" { why = $0; sub(/^ *# [^:]*: /, "", why); grab = 3; next }
	grab > 0 && /[^ ]/ { t = $0; sub(/^ +/, "", t); why = why "; " t; grab--; next }
	END { if (state == 0) print "end|missing" }
	' "$log"
}

if listing; then
	for s in $suites; do
		list_name "kunit $s: suite ran and finished"
		parse "$s" | while IFS='|' read -r st name _; do
			case $st in ok | fail) ;; skip) case $allowed in *",$name,"*) continue ;; esac ;; *) continue ;; esac
			list_name "kunit $s.$name"
		done
	done
	exit 0
fi

for s in $suites; do
	out=$(parse "$s")
	end=$(echo "$out" | sed -n 's/^end|//p')
	if [ "$end" = missing ] || [ -z "$out" ]; then
		if grep -q 'kunit: disabled' "$log"; then
			why="KUnit is disabled (boot without kunit.enable=1)"
		else
			why="no '# Subtest: $s' in dmesg"
		fi
		verdict_fail "kunit $s: suite ran and finished" "$why"
		continue
	fi
	plan=$(echo "$out" | sed -n 's/^plan|//p')
	n=0
	echo "$out" | grep -E '^(ok|fail|skip)\|' >/tmp/kunit.cases
	while IFS='|' read -r st name reason; do
		n=$((n + 1))
		case $st in
		ok) verdict_ok "kunit $s.$name" ;;
		fail) verdict_fail "kunit $s.$name" "${reason:-failed (see the serial log)}" ;;
		skip)
			case $allowed in
			*",$name,"*) report "kunit $s.$name: skipped as expected on this boot: $reason" ;;
			*) verdict_fail "kunit $s.$name" "skipped: $reason" ;;
			esac
			;;
		esac
	done </tmp/kunit.cases
	n=$(grep -c . /tmp/kunit.cases)
	failed=$(grep -c '^fail|' /tmp/kunit.cases)
	report "kunit $s: $n of ${plan:-?} planned test cases reported, $failed failed, suite says '${end:-nothing}'"
	if [ -z "$end" ]; then
		verdict_fail "kunit $s: suite ran and finished" \
			"report ends after $n of ${plan:-?} test cases (hang or crash?)"
	elif [ "$plan" != "$n" ]; then
		verdict_fail "kunit $s: suite ran and finished" \
			"planned $plan test cases, reported $n"
	elif [ "$end" != ok ] && [ "$failed" -eq 0 ]; then
		verdict_fail "kunit $s: suite ran and finished" \
			"the suite failed although no test case did (init or exit?)"
	else
		verdict_ok "kunit $s: suite ran and finished"
	fi
done
