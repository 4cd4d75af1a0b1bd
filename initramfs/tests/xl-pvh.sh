#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A PVH guest running our kernel (issue 13), started by the real toolstack
# (hostlib.sh) with a vif and a vbd.  Xen runs it with QEMU's emulated AMD
# SVM and nested paging (the table's -cpu); the guest takes its events
# through the HVM callback vector, per vCPU when Xen offers it
# (xevt_hvm_vector_init), so this is the one boot that runs those paths.
#
#   xevt.guest_args=a,b   more guest arguments (xen.fifo_events=0 for 2-level)
#   xevt.pvh_tries=N      attempts (default 3), see below
#
# Under QEMU 7.2 a PVH guest sometimes dies of a triple fault right after
# an instruction Xen intercepts, sometimes before any event channel code
# ran: the emulator's nested SVM (the facts file, section 1).  An attempt
# whose domain Xen reports as triple-faulted ("Triple fault" in xl dmesg
# for it) is destroyed and retried, and says so in a report line; the
# verdict fails if every attempt ended that way, or on any other failure.
#
# Verdicts: xl_create_pvh (a booted attempt), the guest's own (guest_abi
# with xevt.expect_pvh=1: the PVH line, the callback vector line, upcalls
# counted on HYP; disk; ping), dom0's ping and 4 MiB TCP fetch, xl
# shutdown, the guest's kernel-log scan, dom0's counts back.
. /tests/lib.sh
. /tests/hostlib.sh

g=pvh1
GUEST_TESTS="guest_abi disk_write_sync_read net_ping_dom0"

if listing; then
	list_name host_toolstack_up
	list_name xl_create_pvh
	for t in $GUEST_TESTS; do list_name "$g/$t"; done
	for t in $g/dom0_ping $g/tcp_4MiB_from_guest xl_shutdown $g/no_kernel_splat \
		dom0_ports_and_irqs_back; do
		list_name "$t"
	done
	exit 0
fi

host_start
tries=$(xevt_arg pvh_tries)
[ -n "$tries" ] || tries=3

if create_retrying $g 1 pvh "$tries"; then
	verdict_ok xl_create_pvh
	report "PVH guest booted on attempt $attempt of $tries"
else
	verdict_fail xl_create_pvh "$why"
fi
guest_verdicts $g $GUEST_TESTS
report "$g: $(guest_report $g abi); $(guest_report $g vector); HYP upcalls $(guest_report $g 'HYP upcalls')"
check $g/dom0_ping ping -c 3 -W 10 10.0.0.11
want=$(guest_report $g md5)
check $g/tcp_4MiB_from_guest fetch_check 10.0.0.11 5000 "$want" 4194304
show_host 20
check xl_shutdown xl_shutdown_wait $g
guest_verdicts $g no_kernel_splat
xl destroy $g >/dev/null 2>&1
check dom0_ports_and_irqs_back settle_counts "$ports0" "$irqs0" 60
dump_consoles $g
exit 0
