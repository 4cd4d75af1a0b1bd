#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Soft reset: a PVH guest running our kernel kexecs itself (issue 13), with
# the real toolstack (hostlib.sh).  The guest loads the same kernel and
# initramfs from a second disk (xvdb, an ext4 image made here) with
# kexec_file_load and starts it; the old kernel's last act is
# SHUTDOWN_soft_reset, on which xl (on_soft_reset = "soft-reset") has Xen
# reset the domain (every event channel closed, the domain back on the
# 2-level ABI, grants reset) and builds it again in place; the new kernel,
# in the same domain, sets up its event channel ABI and binds everything
# afresh.
#
#   xevt.guest_args=a,b   more arguments for the guest's first kernel
#   xevt.kexec_args=a,b   more arguments for the second (passed on by the
#                         guest)
#   xevt.pvh_tries=N      attempts of the first boot (see xl-pvh.sh)
#
# Verdicts: xl_create_pvh, the first kernel's own (guest_abi, disk, ping),
# kexec_loaded (the control port's answer), soft_reset_same_domain (the
# new kernel says "ready" in the same domain id), the second kernel's own
# verdicts, dom0's ping and TCP fetch from it, xl shutdown, the console
# scan, dom0's counts back.
. /tests/lib.sh
. /tests/hostlib.sh

g=pvh1
ip=10.0.0.11
GUEST_TESTS="guest_abi disk_write_sync_read net_ping_dom0"

if listing; then
	list_name host_toolstack_up
	list_name xl_create_pvh
	for t in $GUEST_TESTS; do list_name "$g/$t"; done
	list_name kexec_loaded
	list_name xl_soft_reset
	list_name soft_reset_same_domain
	for t in $GUEST_TESTS; do list_name "$g/kexec/$t"; done
	for t in $g/kexec/dom0_ping $g/kexec/tcp_4MiB_from_guest xl_shutdown \
		$g/no_kernel_splat dom0_ports_and_irqs_back; do
		list_name "$t"
	done
	exit 0
fi

host_start
tries=$(xevt_arg pvh_tries)
[ -n "$tries" ] || tries=3

# The second kernel's files, on a disk of their own for the guest.
mkdir -p "$ROOT/var/lib/xevt/boot2"
cp "$ROOT/var/lib/xevt/bzImage" "$ROOT/var/lib/xevt/initramfs.cpio.gz" \
	"$ROOT/var/lib/xevt/boot2/"
in_root /sbin/mkfs.ext4 -q -F -d /var/lib/xevt/boot2 /var/lib/xevt/boot2.img 64M \
	>/tmp/mkfs-boot2.log 2>&1 || report "mkfs.ext4 -d boot2: $(tail -n 1 /tmp/mkfs-boot2.log)"
GUEST_DISK2="format=raw,vdev=xvdb,access=ro,backendtype=phy,target=/var/lib/xevt/boot2.img"
# xl leaves the soft reset to xevt-softreset (see there: libxl refuses it
# for PVH and would destroy the domain).
GUEST_CFG='on_soft_reset = "preserve"'
cp /bin/xevt-softreset "$ROOT/var/lib/xevt/"

# xl's daemon for the guest logs libxl's soft reset in detail.
XL_OPTS=-vvv
if create_retrying $g 1 pvh "$tries"; then
	verdict_ok xl_create_pvh
	report "PVH guest booted on attempt $attempt of $tries"
else
	verdict_fail xl_create_pvh "$why"
fi
XL_OPTS=
guest_verdicts $g $GUEST_TESTS
domid=$(xl domid $g 2>/dev/null)
report "$g: domain $domid; $(guest_report $g abi); $(guest_report $g vector)"

ctl() { echo "$1" | timeout 120 nc $ip 5001 2>/dev/null; }
loaded() {
	local a
	a=$(ctl kexec)
	case $a in
	ok*) echo "${a#ok }" >/tmp/kexec.report ;;
	*) echo "the guest answered '$a'"; return 1 ;;
	esac
}
check kexec_loaded loaded
report "$(cat /tmp/kexec.report 2>/dev/null)"

# The guest's old kernel ends in SHUTDOWN_soft_reset; xevt-softreset
# (retried until the domain has shut down so) resets it and lets it run on.
soft_reset() {
	local i=0
	until in_root /var/lib/xevt/xevt-softreset "$domid" >/tmp/softreset.log 2>&1; do
		i=$((i + 1))
		[ $i -lt 120 ] || { echo "$(tail -n 1 /tmp/softreset.log) (after 120 s)"; return 1; }
		sleep 1
	done
	echo "soft reset after $i s: $(tr '\n' ';' </tmp/softreset.log)" >/tmp/kexec.report
}
check xl_soft_reset soft_reset
report "$(cat /tmp/kexec.report 2>/dev/null)"

same_domain() {
	local d i=0 gone=0
	# While libxl rebuilds the domain in place its name may be missing
	# for a while; the domain id must stay.
	until guest_wait $g "| ready $g gen 2" 1; do
		if xl list "$domid" >/tmp/xl-list1.log 2>&1; then
			gone=0
			# A crashed or shut down domain (a triple fault) ends the wait.
			awk 'NR == 2 && $5 ~ /[cs]/ { exit 1 }' /tmp/xl-list1.log ||
				{ echo "domain $domid stopped after $i s: $(tail -n 1 /tmp/xl-list1.log); $(xl dmesg | grep -m1 -E "Triple fault|\\(d$domid\\).*(BUG|panic)")"; return 1; }
		else
			gone=$((gone + 1))
			[ $gone -lt 30 ] || { echo "domain $domid gone for 30 s after $i s; xl list: $(xl list | tail -n +2 | tr '\n' ';')"; return 1; }
		fi
		i=$((i + 1))
		[ $i -lt 400 ] || { echo "no 'ready $g gen 2' on the console in 400 s"; return 1; }
	done
	d=$(xl domid $g 2>/dev/null)
	[ "$d" = "$domid" ] || { echo "domain id $domid before, '$d' after"; return 1; }
	echo "$g ready again after $i s in domain $d" >/tmp/kexec.report
}
check soft_reset_same_domain same_domain
report "$(cat /tmp/kexec.report 2>/dev/null)"
guest_wait $g "| ready $g gen 2" 1 || {
	sed -n '/Action for shutdown/,$p' "$ROOT/var/log/xen/xl-$g.log" 2>/dev/null |
		grep -v -e 'xencall:buffer' -e 'XENBUS_\|script: \|env:\|extra args:' |
		head -n 150 | cut -c 1-240 | sed "s/^/xl-$g.log: /"
	xl dmesg | grep -v "^(XEN) HVM" | tail -n 80 | sed "s/^/xl dmesg: /"
}
xl dmesg | grep -i -E 'soft.?reset|d[0-9]+: .*(FIFO|event)' | tail -n 5 |
	while IFS= read -r l; do report "xl dmesg: $l"; done

# The second kernel's verdicts: the last of each name on the console.
log=$(guest_log $g)
for t in $GUEST_TESTS; do
	line=$(tr -d '\r' <"$log" 2>/dev/null | grep -E "^@@XEVT@@ (not )?ok $t( |\$)" | tail -n 1)
	n=$(tr -d '\r' <"$log" 2>/dev/null | grep -cE "^@@XEVT@@ (not )?ok $t( |\$)")
	case $n:$line in
	2:"@@XEVT@@ ok $t"*) verdict_ok "$g/kexec/$t" ;;
	2:*) verdict_fail "$g/kexec/$t" "${line#*# }" ;;
	*) verdict_fail "$g/kexec/$t" "$n verdicts $t on the console, want 2 (one per kernel)" ;;
	esac
done
report "$g after kexec: $(guest_report $g abi)"
check $g/kexec/dom0_ping ping -c 3 -W 10 $ip
want=$(guest_report $g md5)
check $g/kexec/tcp_4MiB_from_guest fetch_check $ip 5000 "$want" 4194304
show_host 20
check xl_shutdown xl_shutdown_wait $g
guest_verdicts $g no_kernel_splat
xl destroy $g >/dev/null 2>&1
check dom0_ports_and_irqs_back settle_counts "$ports0" "$irqs0" 60
dump_consoles $g
exit 0
