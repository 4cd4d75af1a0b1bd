#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The ABI the kernel chose is xevt.expect_abi=KEY, KEY as the kernel spells
# it (fifo, 3level, 2level): dmesg's one "xen:events: Using <Name> ABI
# (xen.evtchn_abi=KEY)" line and /sys/module/xen/parameters/evtchn_abi say
# so, dmesg gives its capacity, the per-CPU event channels of every online
# CPU are bound on xen-percpu, and /sys/kernel/debug/xen/events shows them.
# Where a name for people is wanted (the debugfs headers), it is the <Name>
# of that line (abi_name in lib.sh): no table of names here.
#
#   xevt.expect_refused=KEY:ERR     the default order tried the ABI KEY
#                                   first and Xen refused it with ERR
#   xevt.expect_forced=KEY:ERR      xen.evtchn_abi=KEY was refused with ERR
#
# No other refusal may be logged: a boot without these knobs must have
# none, and a refused ABI is never tried twice.
. /tests/lib.sh

expect=$(xevt_arg expect_abi)
label=$(abi_name)
# What each ABI can hold (expected values, not names).
case $expect in
fifo) capacity=131072 ;;
3level) capacity=262144 ;;
2level) capacity=4096 ;;
*) capacity='' ;;
esac

abi_line() {
	local n key sys line
	[ -n "$capacity" ] || { echo "xevt.expect_abi='$expect' is not fifo, 3level or 2level"; return 1; }
	line=$(dmesg | grep -F 'xen:events: Using ')
	n=$(echo "$line" | grep -c .)
	[ "$n" -eq 1 ] || { echo "$n ABI lines in dmesg, want 1: $(echo "$line" | tr '\n' ';')"; return 1; }
	key=$(echo "$line" | sed -n 's/.*xen:events: Using .* ABI (xen\.evtchn_abi=\([^)]*\))$/\1/p')
	[ "$key" = "$expect" ] ||
		{ echo "dmesg has '${line#*xen:events: }', want xen.evtchn_abi=$expect"; return 1; }
	sys=$(cat /sys/module/xen/parameters/evtchn_abi 2>/dev/null)
	[ "$sys" = "$expect" ] ||
		{ echo "/sys/module/xen/parameters/evtchn_abi reads '$sys', want $expect"; return 1; }
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

# CPU 0's timer must actually tick: its count goes up.  With a tickless
# idle CPU 0 that may take a while (nothing else runs there): up to 5 s.
timer_ticks() {
	local a b n=0
	a=$(grep -E ' timer0$' /proc/interrupts | awk '{print $2}')
	b=$a
	while [ "$b" -le "$a" ] && [ $n -lt 5 ]; do
		sleep 1
		n=$((n + 1))
		b=$(grep -E ' timer0$' /proc/interrupts | awk '{print $2}')
	done
	[ "$b" -gt "$a" ] || { echo "timer0 count did not move in 5 s: $a -> $b"; return 1; }
}

# xevt.expect_refused=KEY:ERR: the kernel tried the ABI KEY first and says,
# in one line, that the hypervisor refused it with ERR (a fallback):
# "<Name> ABI (xen.evtchn_abi=KEY) refused (ERR), trying the next one".
refused_line() {
	local want n
	want=" ABI (xen.evtchn_abi=${refused%%:*}) refused (${refused#*:}), trying the next one"
	n=$(dmesg | grep -F 'xen:events: ' | grep -cF "$want")
	[ "$n" -eq 1 ] || { echo "$n lines 'xen:events: <Name>$want' in dmesg, want 1"; return 1; }
	[ "${refused%%:*}" != "$expect" ] || { echo "xevt.expect_refused names the ABI expected in use, $expect"; return 1; }
}

# The one capacity line: "Event channel capacity: M ports (N usable now)".  M is the ABI's fixed maximum; N is all of it for 2-level
# and 3-level, whole 1024-port pages of the event array for FIFO.
capacity_line() {
	local lines n m u
	lines=$(dmesg | grep -F 'xen:events: Event channel capacity: ')
	n=$(echo "$lines" | grep -c .)
	[ "$n" -eq 1 ] || { echo "$n capacity lines in dmesg, want 1"; return 1; }
	m=$(echo "$lines" | sed -n 's/.*xen:events: Event channel capacity: \([0-9]*\) ports (\([0-9]*\) usable now)$/\1/p')
	u=$(echo "$lines" | sed -n 's/.*xen:events: Event channel capacity: \([0-9]*\) ports (\([0-9]*\) usable now)$/\2/p')
	if [ -z "$m" ] || [ -z "$u" ]; then
		echo "capacity line not understood: $lines"
		return 1
	fi
	[ -n "$capacity" ] || { echo "no capacity known for xevt.expect_abi='$expect'"; return 1; }
	[ "$m" -eq "$capacity" ] || { echo "capacity $m ports, want $capacity for $expect: $lines"; return 1; }
	case $expect in
	fifo)
		if [ "$u" -lt 1024 ] || [ "$u" -gt "$m" ] || [ $((u % 1024)) -ne 0 ]; then
			echo "FIFO: $u ports usable, want whole pages of 1024, at most $m"
			return 1
		fi
		;;
	*) [ "$u" -eq "$m" ] || { echo "$u of $m ports usable, want all"; return 1; } ;;
	esac
}

# xevt.expect_forced=KEY:ERR: the one line saying xen.evtchn_abi=KEY was
# refused with ERR and the default order is used instead ("xen:events:
# <Name> ABI (xen.evtchn_abi=KEY) refused (ERR), using the default order").
forced_line() {
	local want
	want=" ABI (xen.evtchn_abi=${forced%%:*}) refused (${forced#*:}), using the default order"
	dmesg | grep -F "$want" | grep -q 'xen:events: [^ ]' ||
		{ echo "dmesg lacks 'xen:events: <Name>$want'"; return 1; }
}

# As many "ABI ... refused" lines as the boot table expects: none, or one
# per expected refusal (a refused ABI is not tried a second time).
refusals() {
	local want=0 n
	[ -z "$refused" ] || want=$((want + 1))
	[ -z "$forced" ] || want=$((want + 1))
	n=$(dmesg | grep -cE 'xen:events: .* ABI \(xen\.evtchn_abi=[a-z0-9]*\) refused \(-?[0-9]*\), (trying the next one|using the default order)$')
	[ "$n" -eq "$want" ] || {
		echo "$n ABI refusals in dmesg, want $want: $(dmesg | grep -E 'xen:events: .* ABI .*refused' | tr '\n' ';')"
		return 1
	}
}

# /proc/interrupts: "IRQ count" (count summed over the CPUs) of the
# action named $1, e.g. timer0.
irq_of() {
	awk -v a="$1" '$NF == a { sub(":", "", $1); s = 0
		for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i
		print $1, s; exit }' /proc/interrupts
}

# /sys/kernel/debug/xen/events (drivers/xen/events/events_debugfs.c): the
# header names the ABI and its capacity, the column names follow, and the
# timer VIRQ and the IPIs of every CPU have a row of the right kind on
# that CPU's vCPU.
debugfs_rows() {
	local f=/sys/kernel/debug/xen/events t=/tmp/abi.events cpus cpu name kind irq row h1 h2
	[ -r "$f" ] || { echo "no $f"; return 1; }
	cat "$f" >"$t"
	h1=$(sed -n 1p "$t")
	h2=$(sed -n 2p "$t")
	echo "$h1" | grep -qE "^# $label ABI, [0-9]+ of $capacity ports usable\$" ||
		{ echo "first line '$h1', want '# $label ABI, <n> of $capacity ports usable'"; return 1; }
	[ "$h2" = "#   port      irq kind        remote vcpu prio pending masked       events     spurious why flags" ] ||
		{ echo "second line is not the column header: '$h2'"; return 1; }
	grep -v '^#' "$t" | awk 'NF != 12 { bad = $0 } END { if (bad != "") { print "row with " split(bad, x) " columns: " bad; exit 1 } }' ||
		return 1
	cpus=$(grep -c '^processor' /proc/cpuinfo)
	cpu=0
	while [ "$cpu" -lt "$cpus" ]; do
		for name in timer resched callfunc; do
			kind=ipi
			[ $name != timer ] || kind=virq
			irq=$(irq_of "$name$cpu" | cut -d' ' -f1)
			[ -n "$irq" ] || { echo "no $name$cpu in /proc/interrupts"; return 1; }
			row=$(awk -v i="$irq" '$1 !~ /^#/ && $2 == i' "$t")
			[ -n "$row" ] || { echo "no row for IRQ $irq ($name$cpu)"; return 1; }
			[ "$(echo "$row" | grep -c .)" -eq 1 ] || { echo "IRQ $irq ($name$cpu) has several rows: $row"; return 1; }
			echo "$row" | awk -v k="$kind" -v c="$cpu" '$3 == k && $4 == "self" && $5 == c { ok = 1 } END { exit !ok }' ||
				{ echo "$name$cpu: row '$row', want kind $kind, remote self, on vCPU $cpu"; return 1; }
		done
		cpu=$((cpu + 1))
	done
}

# The events column of timer0's row counts every timer0 interrupt: the
# core counts before it hands the event to the IRQ layer, so between two
# reads of /proc/interrupts (a, b) the row shows a <= events <= b + 1.
debugfs_counts() {
	local irq a b d r1="" r2 n=0
	irq=$(irq_of timer0 | cut -d' ' -f1)
	[ -n "$irq" ] || { echo "no timer0 in /proc/interrupts"; return 1; }
	# A first reading, then one a second later until the count moved
	# (at most 5 s: see timer_ticks), each checked against the bounds.
	while :; do
		a=$(irq_of timer0 | cut -d' ' -f2)
		d=$(awk -v i="$irq" '$1 !~ /^#/ && $2 == i { print $9 }' /sys/kernel/debug/xen/events)
		b=$(irq_of timer0 | cut -d' ' -f2)
		[ -n "$d" ] || { echo "no debugfs row for IRQ $irq"; return 1; }
		if [ "$d" -lt "$a" ] || [ "$d" -gt $((b + 1)) ]; then
			echo "timer0 (IRQ $irq): debugfs counts $d events, /proc/interrupts $a then $b"
			return 1
		fi
		[ -n "$r1" ] || r1=$d
		r2=$d
		{ [ "$r2" -le "$r1" ] && [ $n -lt 5 ]; } || break
		sleep 1
		n=$((n + 1))
	done
	[ "$r2" -gt "$r1" ] || { echo "timer0 events in debugfs did not move in 5 s: $r1 -> $r2"; return 1; }
}

# /sys/kernel/debug/xen/events-by-domain (events_usage.c): the headroom
# line names the ABI and its usable ports (capacity - 1, port 0 is never
# handed out) and the rate interval, the column header follows, then one
# row per remote domain: "self" first (the timer VIRQ and the IPIs of every
# CPU at least), then domids in ascending order.  The rows' ports add up to
# ports_in_use, and every port holds an IRQ; no more events in the
# interval than in all, no more ports in back-off than ports, and a delay
# exactly when some are.  The file is shown on the console.
debugfs_by_domain() {
	local f=/sys/kernel/debug/xen/events-by-domain t=/tmp/abi.bydom h1 h2 cpus
	[ -r "$f" ] || { echo "no $f"; return 1; }
	cat "$f" >"$t"
	# check() keeps stdout for the verdict's reason: show it on the console.
	while IFS= read -r h1; do report "$h1"; done <"$t" >/dev/console 2>/dev/null
	h1=$(sed -n 1p "$t")
	h2=$(sed -n 2p "$t")
	echo "$h1" | grep -qE "^# headroom: abi=$label ports_in_use=[0-9]+ max=$((capacity - 1)) irqs=[0-9]+ interval_ms=[0-9]+\$" ||
		{ echo "first line '$h1', want '# headroom: abi=$label ports_in_use=<n> max=$((capacity - 1)) irqs=<n> interval_ms=<n>'"; return 1; }
	[ "$h2" = "#  domid    ports       events     spurious   eoi-delays   masked       recent   rate/s  backoff delay-ms" ] ||
		{ echo "second line is not the column header: '$h2'"; return 1; }
	cpus=$(grep -c '^processor' /proc/cpuinfo)
	awk -v cpus="$cpus" '
		NR == 1 { for (i = 2; i <= NF; i++) { split($i, kv, "="); h[kv[1]] = kv[2] } next }
		NR == 2 { next }
		NF != 10 { print "row with " NF " columns: " $0; bad = 1; exit }
		$7 > $3 { print "more events in the interval than in all: " $0; bad = 1; exit }
		$9 > $2 || (($9 > 0) != ($10 > 0)) { print "back-off columns: " $0; bad = 1; exit }
		NR == 3 && $1 != "self" { print "first row is not self: " $0; bad = 1; exit }
		NR == 3 && $2 < 3 * cpus { print "self holds " $2 " ports, want >= " 3 * cpus; bad = 1; exit }
		NR > 3 && ($1 !~ /^[0-9]+$/ || (prev != "" && $1 + 0 <= prev + 0)) {
			print "domid " $1 " out of order after " prev; bad = 1; exit }
		NR > 3 { prev = $1 }
		{ sum += $2; if ($6 > $2) { print "more masked than ports: " $0; bad = 1; exit } }
		END {
			if (bad) exit 1
			if (sum != h["ports_in_use"]) { print "rows hold " sum " ports, ports_in_use=" h["ports_in_use"]; exit 1 }
			if (h["irqs"] < h["ports_in_use"]) { print "irqs=" h["irqs"] " < ports_in_use=" h["ports_in_use"]; exit 1 }
		}' "$t"
}

refused=$(xevt_arg expect_refused)
forced=$(xevt_arg expect_forced)
check "abi_$expect: dmesg and sysfs name the $expect ABI" abi_line
check "abi_$expect: dmesg capacity line: $capacity ports" capacity_line
[ -z "$refused" ] || check "abi_$expect: ${refused%%:*} refused with ${refused#*:}, fallback" refused_line
what="${forced:+forced $forced}${forced:+${refused:+, }}${refused:+$refused}"
[ -z "$forced" ] || check "abi_$expect: xen.evtchn_abi=${forced%%:*} refused with ${forced#*:}, default order" forced_line
check "abi_$expect: ABI refusals in dmesg: exactly ${what:-none}" refusals
check "abi_$expect: timer/resched/callfunc per CPU on xen-percpu" percpu_irqs
check "abi_$expect: timer0 interrupts are delivered" timer_ticks
check "abi_$expect: debugfs rows of the timer VIRQ and IPIs per CPU" debugfs_rows
check "abi_$expect: debugfs events of timer0 match /proc/interrupts" debugfs_counts
check "abi_$expect: debugfs events-by-domain headroom and rows" debugfs_by_domain
