#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run by a guest's /init (xevt.tests=guest): the guest side of the real
# toolstack tests (initramfs/tests/xl-*.sh, tests/boot/host.table).  The
# guest is our kernel with this initramfs, started by xl with one vbd
# (xvda) and one vif (eth0).  Its verdicts go to its console, which dom0
# reads in xenconsoled's log.
#
#   xevt.name=NAME     the guest's name (in its report lines)
#   xevt.ip=A.B.C.D    eth0's address (dom0 is 10.0.0.1 on xenbr0)
#   xevt.expect_abi=KEY the event channel ABI the guest must use
#   xevt.expect_pvh=1   a PVH guest: dmesg says so and that the per-vCPU
#                       upcall vector is in use, /proc/interrupts counts
#                       its upcalls (HYP)
#
# Verdicts: guest_abi (the ABI line and per-CPU channels), disk_write_sync_read
# (4 MiB of random data written to an ext4 file system on xvda, synced,
# read back after the page cache is dropped and the disk remounted),
# net_ping_dom0.  Then it reports "@@XEVT@@ | md5 SUM" (the data's sum),
# serves the data on TCP port 5000 (dom0 fetches it through netback and
# compares), 8 copies of it on port 5002 ("md5x8 SUM": a stream long enough
# to be in flight during xl save) and a control port, 5001: a line "disk" or "irqs" runs that
# check again and answers with its outcome (used after xl save/restore);
# "stream" stops xevt-hold (started with xevt.hold=1: a counted event
# stream on a loopback pair of its own) and answers with its account.
# It stays up until xl shutdown: the kernel's orderly poweroff runs
# /sbin/poweroff, which here only tells this script to end, so /init can
# still scan the kernel log (no_kernel_splat) and say "done".
. /tests/lib.sh

if listing; then
	for t in guest_abi disk_write_sync_read net_ping_dom0; do list_name "$t"; done
	exit 0
fi

name=$(xevt_arg name)
ip=$(xevt_arg ip)

abi() {
	local line want hyp
	line=$(dmesg | grep -F 'xen:events: Using ')
	[ -n "$line" ] || { echo "no ABI line in dmesg"; return 1; }
	# Report lines, printed after the verdict (check captures stdout).
	echo "abi ${line#*xen:events: }" >>/tmp/reports
	if [ "$(xevt_arg expect_pvh)" = 1 ]; then
		dmesg | grep -q 'Booting kernel on Xen PVH' ||
			{ echo "no 'Booting kernel on Xen PVH' in dmesg"; return 1; }
		line=$(dmesg | grep -F 'callback vector for event delivery is enabled')
		[ -n "$line" ] || { echo "no 'callback vector ... is enabled' line in dmesg"; return 1; }
		echo "vector ${line#*] }" >>/tmp/reports
		# Xen 4.17 offers HVMOP_set_evtchn_upcall_vector: it must be used.
		echo "$line" | grep -qF '(a per-vCPU upcall vector)' ||
			{ echo "not the per-vCPU upcall vector: ${line#*] }"; return 1; }
		hyp=$(awk '$1 == "HYP:" { print $2 }' /proc/interrupts)
		[ "${hyp:-0}" -gt 0 ] || { echo "HYP (callback vector) count in /proc/interrupts is '${hyp}'"; return 1; }
		echo "HYP upcalls $hyp" >>/tmp/reports
	fi
	want=$(xevt_arg expect_abi)
	[ -z "$want" ] || [ "$(abi_key)" = "$want" ] ||
		{ echo "ABI $(abi_key), want $want: ${line#*xen:events: }"; return 1; }
	grep -qE ' timer0$' /proc/interrupts || { echo "no timer0 in /proc/interrupts"; return 1; }
	grep -q 'xenbus' /proc/interrupts || { echo "no xenbus channel in /proc/interrupts"; return 1; }
}

disk() {
	local w r
	mkdir -p /mnt
	umount /mnt 2>/dev/null
	mount -t ext4 /dev/xvda /mnt || { echo "cannot mount /dev/xvda"; return 1; }
	dd if=/dev/urandom of=/mnt/data bs=64k count=64 2>/dev/null
	sync
	w=$(md5sum </mnt/data | cut -d' ' -f1)
	umount /mnt || { echo "umount /mnt failed"; return 1; }
	echo 3 >/proc/sys/vm/drop_caches
	mount -t ext4 /dev/xvda /mnt || { echo "cannot mount /dev/xvda again"; return 1; }
	r=$(md5sum </mnt/data | cut -d' ' -f1)
	[ "$w" = "$r" ] || { echo "read back $r, wrote $w"; return 1; }
	[ "$(wc -c </mnt/data)" -eq 4194304 ] || { echo "data is $(wc -c </mnt/data) bytes"; return 1; }
	cp /mnt/data /tmp/data
}

net() {
	ip link set lo up
	ip link set eth0 up || { echo "no eth0"; return 1; }
	ip addr add "$ip/24" dev eth0 || { echo "cannot set $ip on eth0"; return 1; }
	ping -c 3 -W 10 10.0.0.1 >/tmp/ping.log 2>&1 ||
		{ echo "ping 10.0.0.1: $(tail -n 2 /tmp/ping.log | tr '\n' ';')"; return 1; }
}

# kexec_load: load this kernel and initramfs again from xvdb (the soft
# reset test, xl-kexec.sh) with this command line, minus what only the
# first kernel is (expect_pvh: the next one does not enter through the PVH
# entry point, so it runs as an HVM guest without Xen's platform PCI
# device: xen_emul_unplug=unnecessary lets its PV frontends attach), plus
# xevt.kexec_gen=2; start it a second later, after the
# answer ("ok loaded ..." or "fail: why") has gone out.
kexec_load() {
	local cmdline out
	mkdir -p /boot2
	mount -o ro /dev/xvdb /boot2 2>/dev/null ||
		{ echo "fail: cannot mount /dev/xvdb"; return; }
	cmdline="$(sed 's/ *xevt.expect_pvh=1//' /proc/cmdline) xevt.kexec_gen=2 xen_emul_unplug=unnecessary earlyprintk=serial,0xe9,115200 ignore_loglevel $(xevt_arg kexec_args | tr , ' ')"
	if out=$(xevt-kexec -l /boot2/bzImage /boot2/initramfs.cpio.gz "$cmdline" 2>&1); then
		echo "ok $out"
		(sleep 1; umount /mnt; xevt-kexec -e) >/dev/null 2>&1 </dev/null &
	else
		echo "fail: $out"
	fi
}

# The control port's commands (after xl save/restore, say): the outcome
# on stdout, "ok" or "fail: why".
if [ "${1:-}" = cmd ]; then
	case $2 in
	disk) if out=$(disk 2>&1); then echo "ok $(md5sum </tmp/data | cut -d" " -f1)"; else echo "fail: $out"; fi ;;
	irqs) grep -E 'xen-(dyn|percpu)' /proc/interrupts | sed 's/  */ /g' ;;
	kexec) kexec_load ;;
	stream)
		: >/tmp/hold.stop
		i=0
		while kill -0 "$(cat /tmp/hold.pid 2>/dev/null)" 2>/dev/null && [ $i -lt 20 ]; do
			sleep 1
			i=$((i + 1))
		done
		cat /tmp/hold.status 2>/dev/null || echo "no stream status" ;;
	*) echo "unknown $2" ;;
	esac
	exit 0
fi

check guest_abi abi
while IFS= read -r l; do report "$l"; done </tmp/reports 2>/dev/null
check disk_write_sync_read disk
check net_ping_dom0 net

report "md5 $(md5sum </tmp/data | cut -d' ' -f1)"
cat8() { for _ in 1 2 3 4 5 6 7 8; do cat /tmp/data; done; }
report "md5x8 $(cat8 | md5sum | cut -d' ' -f1)"

# xl shutdown: the kernel runs /sbin/poweroff; make it end this script.
rm -f /sbin/poweroff /tmp/stop
printf '#!/bin/sh\n: >/tmp/stop\n' >/sbin/poweroff
chmod 755 /sbin/poweroff

# The data on port 5000, the control port on 5001 (one line in, the
# outcome out), both served again and again.
printf '#!/bin/sh\ncat /tmp/data\n' >/tmp/serve-data
printf '#!/bin/sh\nfor i in 1 2 3 4 5 6 7 8; do cat /tmp/data; done\n' >/tmp/serve-data8
printf '#!/bin/sh\nread -r c\nexec /tests/guest.sh cmd "$c"\n' >/tmp/serve-ctl
chmod 755 /tmp/serve-data /tmp/serve-data8 /tmp/serve-ctl
nc -ll -p 5000 -e /tmp/serve-data &
nc -ll -p 5001 -e /tmp/serve-ctl &
nc -ll -p 5002 -e /tmp/serve-data8 &
# xevt.hold=1: a counted event stream on a loopback pair of our own runs
# from here on (xevt-hold; its account on the control port: "stream").
if [ "$(xevt_arg hold)" = 1 ]; then
	xevt-hold /tmp/hold.status /tmp/hold.stop >/tmp/hold.log 2>&1 &
	echo $! >/tmp/hold.pid
fi

gen=$(xevt_arg kexec_gen)
report "ready $name${gen:+ gen $gen}"

while [ ! -e /tmp/stop ]; do
	sleep 1
done
report "shutdown requested $name"
kill %1 %2 %3 2>/dev/null
umount /mnt 2>/dev/null
exit 0
