#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The ABI the kernel chose matches xevt.expect_abi=fifo|2l|3l, and the
# per-CPU event channels of every online CPU are bound on xen-percpu.
. /tests/lib.sh

expect=$(xevt_arg expect_abi)

abi_line() {
	local want
	case $expect in
	fifo) want='xen:events: Using FIFO-based ABI' ;;
	2l) want='xen:events: Using 2-level ABI' ;;
	3l) want='xen:events: Using 3-level ABI' ;;
	*) echo "xevt.expect_abi='$expect' is not fifo, 2l or 3l"; return 1 ;;
	esac
	if ! dmesg | grep -qF "$want"; then
		echo "dmesg lacks '$want'; has: $(dmesg | grep -F 'xen:events: Using' | head -n 1)"
		return 1
	fi
	n=$(dmesg | grep -cF 'xen:events: Using ')
	[ "$n" -eq 1 ] || { echo "$n ABI lines in dmesg, want 1"; return 1; }
}

percpu_irqs() {
	local cpus cpu name line
	cpus=$(grep -c '^processor' /proc/cpuinfo)
	[ "$cpus" -ge 2 ] || { echo "only $cpus CPU online, want 2"; return 1; }
	cpu=0
	while [ "$cpu" -lt "$cpus" ]; do
		for name in timer resched callfunc; do
			line=$(grep -E " $name$cpu\$" /proc/interrupts)
			[ -n "$line" ] || { echo "no $name$cpu in /proc/interrupts"; return 1; }
			echo "$line" | grep -q 'xen-percpu' ||
				{ echo "$name$cpu not on xen-percpu: $line"; return 1; }
		done
		cpu=$((cpu + 1))
	done
}

# The timer of each CPU must actually tick: its count goes up.
timer_ticks() {
	local a b
	a=$(grep -E ' timer0$' /proc/interrupts | awk '{print $2}')
	sleep 1
	b=$(grep -E ' timer0$' /proc/interrupts | awk '{print $2}')
	[ "$b" -gt "$a" ] || { echo "timer0 count did not move: $a -> $b"; return 1; }
}

# xevt.expect_refused=NAME:ERR: the kernel tried ABI NAME first and says,
# in one line, that the hypervisor refused it with ERR (a fallback).
refused_line() {
	local want="xen:events: ${refused%%:*} ABI refused (${refused#*:}), trying the next one"
	dmesg | grep -qF "$want" || { echo "dmesg lacks '$want'"; return 1; }
}

check "abi_$expect: dmesg names the $expect ABI" abi_line
refused=$(xevt_arg expect_refused)
[ -z "$refused" ] || check "abi_$expect: ${refused%%:*} refused with ${refused#*:}, fallback" refused_line
check "abi_$expect: timer/resched/callfunc per CPU on xen-percpu" percpu_irqs
check "abi_$expect: timer0 interrupts are delivered" timer_ticks
