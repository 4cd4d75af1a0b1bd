#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# PIRQ channels of real PCI devices: QEMU's e1000e and ICH9 AHCI
# (tests/boot/pirq.table adds them).  dom0 maps their interrupts to PIRQs
# (PHYSDEVOP_map_pirq) and binds each to an event channel when the driver
# requests it: the NIC's at "ip link set eth0 up", and "down" frees them,
# which closes the channels; the AHCI controller's MSI at probe.
#   xevt.pirq_mode=msi-x|ioapic-level  the flow name /proc/interrupts must
#                                      show for eth0's IRQs ("-msi-x", ...)
#   xevt.pirq_cycles=N                 down/up cycles (default 20)
# NIC traffic: arping to QEMU's user-mode gateway 10.0.2.2, which answers
# ARP; every answer is a received frame, so eth0's IRQ counts must move.
# Disk traffic: O_DIRECT reads of the AHCI disk, one command each.
. /tests/lib.sh

# check() keeps what its command prints for the verdict: figures go to fd 3.
exec 3>&1
mode=$(xevt_arg pirq_mode)
cycles=$(xevt_arg pirq_cycles)
: "${cycles:=20}"
dev=eth0
ev=/sys/kernel/debug/xen/events

# XEVT_LIST=1: the names of the verdicts below, nothing run.
if listing; then
	list_name pirq_msi_ahci_disk_reads_counted
	list_name "pirq_${mode}_bound_at_link_up"
	list_name "pirq_${mode}_traffic_counted"
	list_name "pirq_${mode}_down_up_${cycles}_cycles"
	list_name "pirq_${mode}_freed_at_link_down"
	exit 0
fi

# eth0's lines of /proc/interrupts, "IRQ total chip flow action" each.
# The action list of a shared line reads "eth0, other"; eth0's own names
# are "eth0" or "eth0-rx-0" and the like.
eth_irqs() {
	awk -v d="$dev" 'NR == 1 { n = NF; next }
		{
			acts = ""
			for (i = n + 4; i <= NF; i++) acts = acts " " $i
			if (!match(acts ",", "[ ,]" d "(-[^ ,]*)?,")) next
			irq = $1; sub(":", "", irq); s = 0
			for (i = 2; i <= n + 1; i++) s += $i
			name = substr(acts ",", RSTART + 1, RLENGTH - 2)
			print irq, s, $(n + 2), $(n + 3), name
		}' /proc/interrupts
}


# What the receive path raises: the rx vectors with MSI-X, else all.
rx_total() {
	eth_irqs | awk '$5 ~ /-rx-/ { rx += $2; r = 1 } { s += $2 }
		END { print r ? rx : s }'
}

# bound: eth0 has IRQs, all on the xen-pirq chip with the expected flow.
bound() {
	local lines bad
	lines=$(eth_irqs)
	[ -n "$lines" ] || { echo "no IRQ of $dev in /proc/interrupts"; return 1; }
	bad=$(echo "$lines" | awk -v f="-$mode" '$3 != "xen-pirq" || $4 != f')
	[ -z "$bad" ] || { echo "not a xen-pirq -$mode line: $bad"; return 1; }
}

gone() {
	[ -z "$(eth_irqs)" ] || { echo "$dev down but IRQs left: $(eth_irqs | tr '\n' ';')"; return 1; }
}

# in_debugfs: one row of kind pirq per eth0 IRQ, with a port.
in_debugfs() {
	local irq rows
	for irq in $(eth_irqs | awk '{ print $1 }'); do
		rows=$(awk -v i="$irq" '$1 !~ /^#/ && $2 == i && $3 == "pirq"' "$ev" | wc -l)
		[ "$rows" = 1 ] || { echo "IRQ $irq: $rows pirq rows in $ev"; return 1; }
	done
}

up() {
	local i=0
	ip link set "$dev" up || { echo "ip link set $dev up failed"; return 1; }
	while [ "$(cat /sys/class/net/$dev/carrier 2>/dev/null)" != 1 ]; do
		i=$((i + 1))
		[ $i -le 100 ] || { echo "$dev: no carrier 10 s after up"; return 1; }
		sleep 0.1
	done
}

# traffic: arping gets answers, which moved rx_packets by at least as
# many and moved the receive interrupts' counts.
traffic() {
	local a0 a1 r0 r1 got
	a0=$(rx_total)
	r0=$(cat /sys/class/net/$dev/statistics/rx_packets)
	got=$(arping -c 5 -w 10 -I "$dev" 10.0.2.2 2>&1 |
		sed -n 's/^Received \([0-9]*\) response.*/\1/p')
	a1=$(rx_total)
	r1=$(cat /sys/class/net/$dev/statistics/rx_packets)
	[ "${got:-0}" -ge 3 ] || { echo "arping: ${got:-no} answers of 5"; return 1; }
	[ $((r1 - r0)) -ge "$got" ] || { echo "rx_packets +$((r1 - r0)), arping got $got"; return 1; }
	[ "$a1" -gt "$a0" ] || { echo "$dev receive IRQ counts did not move ($a0 -> $a1) while $got frames came in"; return 1; }
	report "pirq: $got answers, rx_packets +$((r1 - r0)), $dev receive interrupts +$((a1 - a0))" >&3
}

cycle() {
	local k=0
	while [ $k -lt "$cycles" ]; do
		k=$((k + 1))
		ip link set "$dev" down || { echo "cycle $k: down failed"; return 1; }
		gone || { echo "cycle $k: $(gone)"; return 1; }
		up || return 1
		bound >/dev/null || { echo "cycle $k: $(bound)"; return 1; }
	done
	in_debugfs && traffic
}

# ahci_msi: the controller's one IRQ is a xen-pirq -msi line, and 256
# direct reads of 64 KiB (one command, one completion each) add at least
# 256 interrupts to it.
ahci_msi() {
	local line irq a0 a1 n
	line=$(grep -E ' ahci\[' /proc/interrupts)
	[ -n "$line" ] || { echo "no ahci IRQ in /proc/interrupts"; return 1; }
	[ "$(echo "$line" | wc -l)" = 1 ] || { echo "more than one ahci IRQ: $line"; return 1; }
	echo "$line" | grep -q "xen-pirq *-msi " || { echo "not a xen-pirq -msi line: $line"; return 1; }
	irq=$(echo "$line" | awk '{ sub(":", "", $1); print $1 }')
	[ -b /dev/sda ] || { echo "no /dev/sda"; return 1; }
	a0=$(irq_total "$irq")
	n=$(dd if=/dev/sda of=/dev/null bs=64k count=256 iflag=direct 2>&1 |
		sed -n 's/^\([0-9]*\)+0 records in$/\1/p')
	a1=$(irq_total "$irq")
	[ "${n:-0}" = 256 ] || { echo "dd read ${n:-no} blocks of 256"; return 1; }
	[ $((a1 - a0)) -ge 256 ] || { echo "ahci IRQ $irq: +$((a1 - a0)) interrupts for 256 reads"; return 1; }
	[ "$(awk -v i="$irq" '$1 !~ /^#/ && $2 == i && $3 == "pirq"' "$ev" | wc -l)" = 1 ] ||
		{ echo "ahci IRQ $irq: no pirq row in $ev"; return 1; }
	report "pirq: ahci MSI IRQ $irq, 256 reads, +$((a1 - a0)) interrupts" >&3
}

irq_total() {
	awk -v i="$1:" 'NR == 1 { n = NF; next } $1 == i { s = 0; for (k = 2; k <= n + 1; k++) s += $k; print s }' /proc/interrupts
}

check "pirq_msi_ahci_disk_reads_counted" ahci_msi

if [ ! -d /sys/class/net/$dev ]; then
	verdict_fail "pirq_$mode" "no $dev: is the e1000e in the QEMU machine and CONFIG_E1000E=y?"
	exit 0
fi

up_bound() { up && bound && in_debugfs; }
report "pirq: /proc/interrupts before up: $(grep -c xen-pirq /proc/interrupts) xen-pirq lines"
check "pirq_${mode}_bound_at_link_up" up_bound
grep -E " $dev(-|\$)" /proc/interrupts | while IFS= read -r l; do report "$l"; done
check "pirq_${mode}_traffic_counted" traffic
check "pirq_${mode}_down_up_${cycles}_cycles" cycle
ip link set "$dev" down
check "pirq_${mode}_freed_at_link_down" gone
