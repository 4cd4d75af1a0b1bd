#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Userspace event-channel tests: the static programs /bin/xevt-* (sources
# in tests/userspace/) drive loopback event channels of dom0 through
# /dev/xen/evtchn and print their own verdicts.
#   xevt.expect_abi=fifo|2l|3l  the limits the programs expect
#   xevt.evtchn=api,races,...   run only these programs, in this order
#   xevt.evtchn_<prog>=a,b      extra arguments for one program
#   xevt.evtchn_kill=SECONDS    kill a program after that long (600)
# Every program watches its own tests (a budget per test, the kernel log
# during each test); a program that dies or hangs (killed after
# xevt.evtchn_kill seconds) fails as a whole, since its remaining tests
# never ran.
. /tests/lib.sh

abi=$(xevt_arg expect_abi)
progs=$(xevt_arg evtchn | tr , ' ')
[ -n "$progs" ] || progs="api races pingpong flood affinity hotplug many"
kill_s=$(xevt_arg evtchn_kill)
case $kill_s in '' | *[!0-9]*) kill_s=600 ;; esac

for p in $progs; do
	bin=/bin/xevt-$p
	if [ ! -x "$bin" ]; then
		verdict_fail "evtchn_$p" "no $bin in the initramfs"
		continue
	fi
	start=$(date +%s)
	# shellcheck disable=SC2046 # the extra arguments are meant to split
	timeout -s KILL "$kill_s" "$bin" "abi=$abi" $(xevt_arg "evtchn_$p" | tr , ' ')
	rc=$?
	report "$bin: exit status $rc after $(($(date +%s) - start)) s"
	case $rc in
	0 | 1) ;;
	3) verdict_fail "evtchn_$p" "$bin stopped by its watchdog: its later tests did not run" ;;
	137) verdict_fail "evtchn_$p" "$bin killed after $kill_s s" ;;
	*) verdict_fail "evtchn_$p" "$bin died with exit status $rc" ;;
	esac
done
