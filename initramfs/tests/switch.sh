#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The run-time switch of the event channel ABI (a write to
# /sys/module/xen/parameters/evtchn_abi): /bin/xevt-switch binds 2,000
# channels, keeps 16 counted streams running and 64 events pending on
# masked ports across the switch, and checks every count; then dmesg must
# say what happened, once, with the number of ports carried over.
#   xevt.switch=KEY            the ABI to switch to (fifo or 3level)
#   xevt.switch_refuse=K:E     first a switch to K refused with errno E
#   xevt.switch_after=K:E      after it, a switch to K refused with errno E
# XEVT_LIST=1: the names of the verdicts (the program's, list=1, and the
# dmesg checks below), nothing run.
. /tests/lib.sh

to=$(xevt_arg switch)
refuse=$(xevt_arg switch_refuse)
after=$(xevt_arg switch_after)
bin=/bin/xevt-switch
set -- "to=$to"
[ -n "$refuse" ] && set -- "$@" "refuse=$refuse"
[ -n "$after" ] && set -- "$@" "after=$after"

if listing; then
	"$bin" list=1 "$@" | grep '^xevt-list '
	list_name switch_dmesg
	[ -z "$refuse" ] || list_name switch_dmesg_refused
	[ -z "$after" ] || list_name switch_dmesg_refused_after
	exit 0
fi

budget=$("$bin" budgets=1 "$@" | sed -n 's/^xevt-budget \([0-9][0-9]*\)$/\1/p')
if [ -z "$budget" ]; then
	verdict_fail switch_run "$bin budgets=1 did not give the sum of its budgets"
	exit 0
fi
start=$(date +%s)
timeout -s KILL $((budget + 60)) "$bin" "$@"
rc=$?
report "$bin: exit status $rc after $(($(date +%s) - start)) s"
case $rc in
0 | 1) ;; # ran to its end; its verdicts decide
*) verdict_fail switch_run "$bin ended with exit status $rc: its later tests did not run" ;;
esac

switch_line() {
	local want n
	want="ABI (xen.evtchn_abi=$to) with "
	n=$(dmesg | grep -F 'xen:events: switched from the 2-level to the ' | grep -cF "$want")
	if [ "$n" -ne 1 ]; then
		echo "$n lines '$want...' in dmesg, want 1; switch lines: $(dmesg | grep -F 'xen:events: switch' | tr '\n' '|')"
		return 1
	fi
	# Every pair of the program, its streams' and the per-CPU channels.
	n=$(dmesg | grep -F 'xen:events: switched from' | grep -F "$want" | sed -n 's/.* with \([0-9]*\) ports bound.*/\1/p')
	[ "${n:-0}" -ge 2000 ] || { echo "switch carried $n ports, want at least 2000"; return 1; }
}

refusal_line() {
	local key=${1%%:*} err=${1#*:} want n
	want="ABI (xen.evtchn_abi=$key) refused (-$err): "
	n=$(dmesg | grep -F 'xen:events: switch to the ' | grep -cF "$want")
	[ "$n" -eq 1 ] && return 0
	echo "$n lines '...$want' in dmesg, want 1; switch lines: $(dmesg | grep -F 'xen:events: switch' | tr '\n' '|')"
	return 1
}

check switch_dmesg switch_line
[ -n "$refuse" ] && check switch_dmesg_refused refusal_line "$refuse"
[ -n "$after" ] && check switch_dmesg_refused_after refusal_line "$after"
exit 0
