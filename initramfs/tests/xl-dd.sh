#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A driver domain (issue 13): a PV domU running our kernel that serves
# another guest's vbd and vif with its own blkback and netback, as
# xl.cfg's backend= options and driver_domain=1 intend.  Dom0 runs the
# toolstack (hostlib.sh); the driver domain (initramfs/tests/driver.sh)
# runs `xl devd` from its own copy of the Debian root filesystem (QEMU's
# third disk, dom0's /dev/vdc, given to it as its xvda) and holds the
# bridge the guest's vif joins.
#
# Verdicts: the driver domain created and its xl devd up; the guest
# created with backend=dd for both devices, its own checks (ABI, disk
# written and read back, ping of 10.0.0.1, which is the driver domain's
# bridge here), xl block-list and network-list naming the driver domain
# as the backend, dom0 holding no backend channel for the guest (no
# blkif-backend or vifN line in its /proc/interrupts beyond the one of the
# driver domain's own disk); then the guest
# shut down, the driver domain shut down after it, both kernel-log scans,
# dom0's counts back.
. /tests/lib.sh
. /tests/hostlib.sh

if listing; then
	list_name host_toolstack_up
	list_name xl_create_driver_domain
	list_name dd/dd_devd_up
	list_name xl_create_g1_backend_dd
	for t in guest_abi disk_write_sync_read net_ping_dom0; do list_name "g1/$t"; done
	for t in backends_in_driver_domain dom0_serves_nothing xl_shutdown_g1 g1/no_kernel_splat \
		xl_shutdown_driver_domain dd/no_kernel_splat dom0_ports_and_irqs_back; do
		list_name "$t"
	done
	exit 0
fi

host_start

cat >"$ROOT/var/lib/xevt/dd.cfg" <<EOT
name = "dd"
type = "pv"
kernel = "/var/lib/xevt/bzImage"
ramdisk = "/var/lib/xevt/initramfs.cpio.gz"
extra = "console=hvc0 xevt.tests=driver xevt.name=dd"
memory = 320
vcpus = 1
driver_domain = 1
disk = [ "format=raw,vdev=xvda,access=rw,target=/dev/vdc" ]
on_poweroff = "destroy"
on_crash = "preserve"
EOT
create_dd() {
	xl create /var/lib/xevt/dd.cfg >/tmp/xl-dd.log 2>&1 ||
		{ echo "xl create dd: $(grep -m1 -i error /tmp/xl-dd.log)"; return 1; }
}
check xl_create_driver_domain create_dd
guest_wait dd "| ready dd" 300 || report "dd not ready in 300 s"
guest_verdicts dd dd_devd_up
ddid=$(xl domid dd 2>/dev/null)
# Dom0 serves the driver domain's own disk; nothing more may appear.
dm0=$(grep -cE 'blkif-backend|vif[0-9]' /proc/interrupts)

cat >"$ROOT/var/lib/xevt/g1.cfg" <<EOT
name = "g1"
type = "pv"
kernel = "/var/lib/xevt/bzImage"
ramdisk = "/var/lib/xevt/initramfs.cpio.gz"
extra = "console=hvc0 xevt.tests=guest xevt.name=g1 xevt.ip=10.0.0.11"
memory = $GUEST_MEM
vcpus = 1
disk = [ "format=raw,vdev=xvda,access=rw,backendtype=phy,backend=dd,target=/var/lib/xevt/g1.img" ]
vif = [ "bridge=xenbr0,backend=dd,mac=00:16:3e:00:00:01" ]
on_poweroff = "destroy"
on_crash = "preserve"
EOT
create_g1() {
	xl create /var/lib/xevt/g1.cfg >/tmp/xl-g1.log 2>&1 ||
		{ echo "xl create g1: $(grep -m1 -i error /tmp/xl-g1.log)"; return 1; }
}
check xl_create_g1_backend_dd create_g1
[ -s /tmp/xl-g1.log ] && sed "s/^/xl create g1: /" /tmp/xl-g1.log
guest_wait g1 "| ready g1" 300 || report "g1 not ready in 300 s"
guest_verdicts g1 guest_abi disk_write_sync_read net_ping_dom0

backends() {
	local b n
	[ -n "$ddid" ] || { echo "no domid for dd"; return 1; }
	xl block-list g1 >/tmp/bl 2>&1
	xl network-list g1 >/tmp/nl 2>&1
	b=$(awk 'NR > 1 { print $2 }' /tmp/bl | sort -u)
	n=$(awk 'NR > 1 { print $2 }' /tmp/nl | sort -u)
	[ "$b" = "$ddid" ] || { echo "block-list BE '$b', want dd ($ddid): $(tr '\n' ';' </tmp/bl)"; return 1; }
	[ "$n" = "$ddid" ] || { echo "network-list BE '$n', want dd ($ddid): $(tr '\n' ';' </tmp/nl)"; return 1; }
}
check backends_in_driver_domain backends
serves_nothing() {
	local n
	n=$(grep -cE 'blkif-backend|vif[0-9]' /proc/interrupts)
	[ "$n" -eq "$dm0" ] || { echo "dom0 has $n backend channels, had $dm0: $(grep -E 'blkif-backend|vif[0-9]' /proc/interrupts | tr -s ' ' | tr '\n' ';')"; return 1; }
}
check dom0_serves_nothing serves_nothing
show_host 20
check xl_shutdown_g1 xl_shutdown_wait g1
guest_verdicts g1 no_kernel_splat
check xl_shutdown_driver_domain xl_shutdown_wait dd
guest_verdicts dd no_kernel_splat
check dom0_ports_and_irqs_back settle_counts "$ports0" "$irqs0" 60
dump_consoles dd g1
exit 0
