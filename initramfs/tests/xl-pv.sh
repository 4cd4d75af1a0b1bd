#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# PV guests through the real toolstack (issue 13): Debian's xl, oxenstored
# and xenconsoled in a Debian 12 root filesystem (hostlib.sh), our kernel
# as dom0 and as every guest.
#
#   xevt.guests=N      guests to start (default 4), g1 .. gN
#
# Each guest gets a vbd and a vif (netback, blkback, the hotplug scripts);
# it writes, syncs and reads back 4 MiB on its disk (its verdicts come
# back from its console), dom0 pings it and fetches the same 4 MiB from it
# over TCP, comparing the sums.  Then xl destroy for the first half and xl
# shutdown for the rest (those scan their own kernel log and say "done"),
# and dom0's bound ports and IRQ descriptors are back to their counts from
# before the first xl create.
. /tests/lib.sh
. /tests/hostlib.sh

n=$(xevt_arg guests)
[ -n "$n" ] || n=4
guests=
i=1
while [ $i -le "$n" ]; do guests="$guests g$i"; i=$((i + 1)); done
half=$((n / 2))
GUEST_TESTS="guest_abi disk_write_sync_read net_ping_dom0"

if listing; then
	list_name host_toolstack_up
	for g in $guests; do
		list_name "xl_create_$g"
		for t in $GUEST_TESTS; do list_name "$g/$t"; done
		list_name "$g/dom0_ping"
		list_name "$g/tcp_4MiB_from_guest"
	done
	list_name xl_destroy_first_half
	list_name xl_shutdown_second_half
	for g in $guests; do list_name "$g/no_kernel_splat"; done
	list_name dom0_ports_and_irqs_back
	exit 0
fi

host_start
if [ "$(xevt_arg xl_debug)" = 1 ]; then
	for sc in block vif-bridge; do
		mv "$ROOT/etc/xen/scripts/$sc" "$ROOT/etc/xen/scripts/$sc.real"
		printf '#!/bin/bash\necho "== $(date +%%T) $0 $*" >>/tmp/%s.trace\nexec bash -x /etc/xen/scripts/%s.real "$@" 2>>/tmp/%s.trace\n' $sc $sc $sc >"$ROOT/etc/xen/scripts/$sc"
		chmod 755 "$ROOT/etc/xen/scripts/$sc"
	done
	for c in "losetup -f" "losetup -a" "xenstore-ls /local/domain/0" "ls -l /dev/loop-control /dev/loop0" "sh -c true"; do
		t0=$(date +%s)
		timeout 20 chroot "$ROOT" $c 2>&1 | tail -n 3 | sed "s|^|debug $c: |"
		echo "debug $c: $(($(date +%s) - t0)) s"
	done
fi
report "dom0 before the guests: $ports0 ports, $irqs0 IRQ descriptors"

i=1
failed=
for g in $guests; do
	t0=$(date +%s)
	if ! out=$(guest_cfg "$g" $i 2>&1) || ! out=$(xl create "/var/lib/xevt/$g.cfg" 2>&1); then
		verdict_fail "xl_create_$g" "$(echo "$out" | grep -m1 -i error)"
		echo "$out" | sed "s/^/xl create $g: /"
		failed="$failed $g"
		sed "s/^/hotplug log: /" "$ROOT/var/log/xen/xen-hotplug.log" 2>/dev/null | tail -n 20
		for sc in block vif-bridge; do
			sed "s/^/$sc trace: /" "$ROOT/tmp/$sc.trace" 2>/dev/null | tail -n 60
		done
	else
		verdict_ok "xl_create_$g"
		report "xl create $g: $(($(date +%s) - t0)) s"
	fi
	i=$((i + 1))
done

i=1
for g in $guests; do
	case " $failed " in *" $g "*) wait_s=1 ;; *) wait_s=300 ;; esac
	if ! guest_wait "$g" "| ready $g" $wait_s; then
		report "$g not ready in $wait_s s"
	fi
	guest_verdicts "$g" $GUEST_TESTS
	check "$g/dom0_ping" ping -c 3 -W 10 "10.0.0.$((10 + i))"
	want=$(guest_report "$g" md5)
	check "$g/tcp_4MiB_from_guest" fetch_check "10.0.0.$((10 + i))" 5000 "$want" 4194304
	i=$((i + 1))
done

show_host 60

destroy() {
	local g
	for g in $(echo $guests | cut -d' ' -f1-$half); do
		xl destroy "$g" || { echo "xl destroy $g failed"; return 1; }
	done
}
shutdown_() {
	local g
	for g in $(echo $guests | cut -d' ' -f$((half + 1))-); do
		xl_shutdown_wait "$g" || return 1
	done
}
check xl_destroy_first_half destroy
check xl_shutdown_second_half shutdown_

j=1
for g in $guests; do
	if [ $j -le $half ]; then
		check "$g/no_kernel_splat" guest_no_splat "$g"
	else
		guest_verdicts "$g" no_kernel_splat
	fi
	j=$((j + 1))
done
report "xl list after the teardown:"
xl list 2>&1 | while IFS= read -r l; do report "  $l"; done
check dom0_ports_and_irqs_back settle_counts "$ports0" "$irqs0" 60
report "dom0 after the teardown: $(dom0_ports) ports, $(dom0_irqs) IRQ descriptors"
dump_consoles $guests
exit 0
