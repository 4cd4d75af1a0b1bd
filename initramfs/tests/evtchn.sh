#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Userspace event-channel tests: the static programs /bin/xevt-* (sources
# in tests/userspace/) drive loopback event channels of dom0 through
# /dev/xen/evtchn and print their own verdicts.
#   xevt.expect_abi=fifo|3level|2level  the limits the programs expect
#                               (default: the ABI in use, lib.sh abi_key)
#   xevt.evtchn=api,races,...   run only these programs, in this order
#   xevt.evtchn_<prog>=a,b      extra arguments for one program
# Every program watches its own tests (a budget per test, the kernel log
# during each test); a program that dies or hangs fails as a whole, since
# its remaining tests never ran.  A hung program is killed once the
# budgets of the tests it runs (it sums them itself: budgets=1) and a
# minute more have passed, so that its own watchdog always speaks first.
# Whether a program passed is decided by its verdicts, each counted by
# mk/check-boot.sh against the names the program listed (list=1): its exit
# status 0 or 1 only says that it ran to its end; any other adds a "not ok
# evtchn_<prog>", and the tests it did not reach have no verdict.
# XEVT_LIST=1: print the names of the verdicts the programs would give.
. /tests/lib.sh

abi=$(xevt_arg expect_abi)
[ -n "$abi" ] || abi=$(abi_key)
progs=$(xevt_arg evtchn | tr , ' ')
[ -n "$progs" ] || progs="api races pingpong flood affinity hotplug many"

for p in $progs; do
	bin=/bin/xevt-$p
	if [ ! -x "$bin" ]; then
		if listing; then list_name "evtchn_$p"; else verdict_fail "evtchn_$p" "no $bin in the initramfs"; fi
		continue
	fi
	extra=$(xevt_arg "evtchn_$p" | tr , ' ')
	if listing; then
		# shellcheck disable=SC2086 # the extra arguments are meant to split
		"$bin" list=1 "abi=$abi" $extra | grep '^xevt-list '
		continue
	fi
	# shellcheck disable=SC2086 # the extra arguments are meant to split
	budget=$("$bin" budgets=1 "abi=$abi" $extra | sed -n 's/^xevt-budget \([0-9][0-9]*\)$/\1/p')
	if [ -z "$budget" ]; then
		verdict_fail "evtchn_$p" "$bin budgets=1 did not give the sum of its budgets"
		continue
	fi
	kill_after=$((budget + 60))
	start=$(date +%s)
	# shellcheck disable=SC2086
	timeout -s KILL "$kill_after" "$bin" "abi=$abi" $extra
	rc=$?
	report "$bin: exit status $rc after $(($(date +%s) - start)) s"
	case $rc in
	0 | 1) ;; # ran to its end; its verdicts decide
	3) verdict_fail "evtchn_$p" "$bin stopped by its watchdog: its later tests did not run" ;;
	137) verdict_fail "evtchn_$p" "$bin killed after $kill_after s (its budgets: $budget s)" ;;
	*) verdict_fail "evtchn_$p" "$bin died with exit status $rc" ;;
	esac
done
