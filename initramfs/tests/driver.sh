#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run by a driver domain's /init (xevt.tests=driver; initramfs/tests/
# xl-dd.sh starts it): a PV domU running our kernel that serves another
# guest's disk and network with its own blkback and netback.  Its disk
# (xvda) is a copy of dom0's Debian root filesystem (a second QEMU
# snapshot of it, dom0's /dev/vdc); the toolstack part a driver domain
# runs, `xl devd` (which runs the hotplug scripts for the backends it
# serves), runs chrooted there, as hostlib.sh does in dom0.  The guest
# images live in that root; the guests' vifs join the bridge xenbr0
# (10.0.0.1) here, not dom0's.
#
# Verdict: dd_devd_up.  Then "| ready NAME" and it stays up until xl
# shutdown (as guest.sh), so /init can scan its kernel log at the end.
. /tests/lib.sh
. /tests/hostlib.sh

if listing; then
	list_name dd_devd_up
	exit 0
fi

name=$(xevt_arg name)

dd_up() {
	local i
	dev_links
	mkdir -p "$ROOT"
	mount -t ext4 /dev/xvda "$ROOT" || { echo "cannot mount /dev/xvda"; return 1; }
	root_mounts
	ip link set lo up
	ip link add xenbr0 type bridge || { echo "cannot make the bridge xenbr0"; return 1; }
	ip addr add 10.0.0.1/24 dev xenbr0
	ip link set xenbr0 up
	# A domU may not ask Xen for the host's CPU count: libxl logs
	# "failed to retrieve the maximum number of cpus" and goes on.
	in_root /usr/sbin/xl devd -p /run/xldevd.pid >/tmp/devd.log 2>&1 ||
		{ echo "xl devd: $(tail -n 1 /tmp/devd.log)"; return 1; }
	for i in $(seq 1 "${XEVT_DD_IMAGES:-2}"); do
		dd if=/dev/zero of="$ROOT/var/lib/xevt/g$i.img" bs=1M count=0 seek=32 2>/dev/null
		in_root /sbin/mkfs.ext4 -q -F "/var/lib/xevt/g$i.img" >/dev/null 2>&1 ||
			{ echo "mkfs.ext4 g$i.img failed"; return 1; }
	done
	i=0
	until [ -s "$ROOT/run/xldevd.pid" ]; do
		i=$((i + 1))
		[ $i -lt 10 ] || { echo "xl devd wrote no pid file: $(tail -n 1 /tmp/devd.log)"; return 1; }
		sleep 1
	done
	kill -0 "$(cat "$ROOT/run/xldevd.pid")" 2>/dev/null ||
		{ echo "xl devd is not running: $(tail -n 1 /tmp/devd.log)"; return 1; }
}
check dd_devd_up dd_up

rm -f /sbin/poweroff /tmp/stop
printf '#!/bin/sh\n: >/tmp/stop\n' >/sbin/poweroff
chmod 755 /sbin/poweroff
report "ready $name"
while [ ! -e /tmp/stop ]; do
	sleep 1
done
report "shutdown requested $name"
exit 0
