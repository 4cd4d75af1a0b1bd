# SPDX-License-Identifier: GPL-2.0
# The real dom0 userland (sourced by xl-*.sh; see tests/boot/host.table).
#
# The boot attaches two virtio disks: /dev/vda, the Debian 12 root
# filesystem with Debian's Xen 4.17 toolstack (mk/rootfs.sh; a QEMU
# snapshot, so nothing written here outlives the boot), and /dev/vdb, the
# payload (mk/host-payload.sh: our bzImage and this initramfs, which the
# guests boot).  host_up mounts the first at $ROOT with /proc, /sys, /dev,
# xenfs and a fresh /run inside, and starts Debian's daemons there as a
# Debian dom0's init scripts would: oxenstored, xen-init-dom0 (dom0's
# xenstore entries), xenconsoled (each guest's console in
# /var/log/xen/console/guest-NAME.log).  Every toolstack command runs in
# that root (in_root); the test logic stays here, in the initramfs's shell.
#
# Guests: our kernel with this initramfs, initramfs/tests/guest.sh run by
# its /init (xevt.tests=guest), one vbd (an ext4 image file in dom0's root,
# blkback through a loop device made by Debian's block script) and one vif
# (netback, on the bridge xenbr0 that dom0 holds 10.0.0.1/24 on).  A
# guest's verdicts come back on its console, in xenconsoled's log.

ROOT=/debian
PAYLOAD=/payload
GUEST_MEM=${GUEST_MEM:-160}

in_root() { chroot "$ROOT" "$@"; }
xl() { chroot "$ROOT" /usr/sbin/xl ${XL_OPTS:-} "$@"; }

# The dom0 counts that must be back after a teardown: bound ports (our
# debugfs view) and IRQ descriptors (/sys/kernel/irq).  The core keeps up
# to xen.evtchn_irq_cache descriptors of unbound channels for the next
# bind; they are not left behind, so they are freed (the limit set to 0,
# then back) before the count.
dom0_ports() { grep -vc '^#' /sys/kernel/debug/xen/events; }
IRQ_CACHE=/sys/module/xen/parameters/evtchn_irq_cache
dom0_irqs() {
	local was=
	[ -w "$IRQ_CACHE" ] && was=$(cat "$IRQ_CACHE") && echo 0 >"$IRQ_CACHE"
	ls /sys/kernel/irq | wc -l
	[ -z "$was" ] || echo "$was" >"$IRQ_CACHE"
}

# dev_links: what udev would have made and devtmpfs does not: /dev/fd
# and /dev/std*.  The hotplug scripts' lock (locking.sh) stats /dev/stdin
# and spins for ever without it.
dev_links() {
	[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
	[ -e /dev/stdin ] || ln -s /proc/self/fd/0 /dev/stdin
	[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout
	[ -e /dev/stderr ] || ln -s /proc/self/fd/2 /dev/stderr
}

# root_mounts: /proc, /sys, /dev (with devpts), xenfs, a fresh /run and
# /tmp inside the mounted $ROOT, and the directories the toolstack wants.
root_mounts() {
	mount --bind /proc "$ROOT/proc"
	mount --bind /sys "$ROOT/sys"
	mount --bind /dev "$ROOT/dev"
	mkdir -p /dev/pts "$ROOT/dev/pts"
	mount -t devpts devpts "$ROOT/dev/pts" 2>/dev/null || true
	mount -t xenfs xenfs "$ROOT/proc/xen" 2>/dev/null || true
	mount -t tmpfs tmpfs "$ROOT/run"
	mount -t tmpfs tmpfs "$ROOT/tmp"
	mkdir -p "$ROOT/run/xen" "$ROOT/run/lock" "$ROOT/run/xenstored" \
		"$ROOT/var/log/xen/console" "$ROOT/var/lib/xen" "$ROOT/var/lib/xevt"
}

host_up() {
	local i
	dev_links
	mkdir -p "$ROOT" "$PAYLOAD"
	mount -t ext4 /dev/vda "$ROOT" || { echo "cannot mount the root filesystem /dev/vda"; return 1; }
	mount -t ext4 -o ro /dev/vdb "$PAYLOAD" || { echo "cannot mount the payload /dev/vdb"; return 1; }
	root_mounts
	cp "$PAYLOAD/bzImage" "$PAYLOAD/initramfs.cpio.gz" "$ROOT/var/lib/xevt/"
	in_root /usr/sbin/oxenstored --pid-file /run/xenstored.pid ||
		{ echo "oxenstored did not start"; return 1; }
	i=0
	until in_root /usr/bin/xenstore-read domid >/dev/null 2>&1 ||
		in_root /usr/bin/xenstore-ls / >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 30 ] || { echo "xenstored did not answer in 30 s"; return 1; }
		sleep 1
	done
	in_root /usr/lib/xen-4.17/bin/xen-init-dom0 >/tmp/xen-init-dom0.log 2>&1 ||
		{ echo "xen-init-dom0 failed: $(tail -n 1 /tmp/xen-init-dom0.log)"; return 1; }
	in_root /usr/sbin/xenconsoled --pid-file=/run/xenconsoled.pid \
		--log=guest --log-dir=/var/log/xen/console ||
		{ echo "xenconsoled did not start"; return 1; }
	ip link set lo up
	ip link add xenbr0 type bridge || { echo "cannot make the bridge xenbr0"; return 1; }
	ip addr add 10.0.0.1/24 dev xenbr0
	ip link set xenbr0 up
	xl list >/tmp/xl-list.log 2>&1 || { echo "xl list failed: $(tail -n 1 /tmp/xl-list.log)"; return 1; }
	grep -q '^Domain-0 ' /tmp/xl-list.log || { echo "xl list has no Domain-0: $(head -n 2 /tmp/xl-list.log | tr '\n' ';')"; return 1; }
}

# host_start: host_up as the verdict host_toolstack_up; when it fails the
# test ends there.  Then ports0 and irqs0 hold dom0's counts, which every
# test wants back after its teardown.
host_start() {
	local out
	if ! out=$(host_up 2>&1); then
		verdict_fail host_toolstack_up "$(echo "$out" | tail -n 1)"
		exit 0
	fi
	verdict_ok host_toolstack_up
	ports0=$(dom0_ports) irqs0=$(dom0_irqs)
}

# xl_shutdown_wait NAME: xl shutdown -w, at most 120 s.
xl_shutdown_wait() {
	timeout 120 chroot "$ROOT" /usr/sbin/xl shutdown -w "$1" >/tmp/xl-shutdown.log 2>&1 ||
		{ echo "xl shutdown -w $1: $(tail -n 1 /tmp/xl-shutdown.log)"; return 1; }
}

# fetch_check IP PORT MD5 BYTES: fetch from a guest's data port (guest.sh)
# and compare the length and the sum with what the guest reported.
fetch_check() {
	local f=/tmp/fetch-$1-$2 got
	[ -n "$3" ] || { echo "the guest reported no md5"; return 1; }
	timeout 120 nc "$1" "$2" </dev/null >"$f" 2>"$f.err" || true
	[ "$(wc -c <"$f")" -eq "$4" ] ||
		{ echo "received $(wc -c <"$f") bytes, want $4 ($(tail -n 1 "$f.err"))"; return 1; }
	got=$(md5sum <"$f" | cut -d' ' -f1)
	[ "$got" = "$3" ] || { echo "received md5 $got, the guest sent $3"; return 1; }
}

# guest_cfg NAME N [TYPE [EXTRA [CFG]]]: write /var/lib/xevt/NAME.cfg for
# guest number N (IP 10.0.0.(10+N), MAC 00:16:3e:00:00:N) and its 32 MiB
# disk; EXTRA goes on the guest's kernel command line, CFG (lines) into
# the xl config.
guest_cfg() {
	local name=$1 n=$2 type=${3:-pv} extra
	# xevt.guest_args=a,b: more arguments for every guest's kernel.
	extra="$(xevt_arg guest_args | tr , ' ') ${4:-} ${GUEST_EXTRA:-}"
	local img=/var/lib/xevt/$name.img disks
	# GUEST_DISK2: a second disk spec for the guest, GUEST_CFG more
	# config lines for it (xl-kexec.sh), GUEST_EXTRA more kernel
	# arguments (xl-save.sh).
	disks="\"format=raw,vdev=xvda,access=rw,backendtype=phy,target=$img\""
	[ -z "${GUEST_DISK2:-}" ] || disks="$disks, \"$GUEST_DISK2\""
	dd if=/dev/zero of="$ROOT$img" bs=1M count=0 seek=32 2>/dev/null
	in_root /sbin/mkfs.ext4 -q -F "$img" >/dev/null 2>&1 || { echo "mkfs.ext4 $img failed"; return 1; }
	cat >"$ROOT/var/lib/xevt/$name.cfg" <<-EOF
	name = "$name"
	type = "$type"
	kernel = "/var/lib/xevt/bzImage"
	ramdisk = "/var/lib/xevt/initramfs.cpio.gz"
	extra = "console=hvc0 xevt.tests=guest xevt.name=$name xevt.ip=10.0.0.$((10 + n)) $extra"
	memory = $GUEST_MEM
	vcpus = 1
	disk = [ $disks ]
	vif = [ "bridge=xenbr0,mac=00:16:3e:00:00:$(printf %02x "$n")" ]
	on_poweroff = "destroy"
	on_crash = "preserve"
	${5:-}
	${GUEST_CFG:-}
	EOF
}

# create_retrying NAME N TYPE TRIES: xl create guest NAME (number N, TYPE
# pv or pvh) and wait until it is ready (its "| ready NAME" line).  A PVH
# guest gets xevt.expect_pvh=1 and tsc_mode "native".  Under QEMU 7.2 a
# PVH guest sometimes dies of a triple fault in the emulator's nested SVM
# (the facts file, section 1): an attempt whose domain Xen reports so
# ("Triple fault" in xl dmesg) is destroyed and retried, up to TRIES
# attempts, each reported.  Sets attempt (the attempts made) and why (the
# reason, on failure); returns 0 when the guest is ready.
create_retrying() {
	local g=$1 n=$2 type=$3 tries=$4 tf0 i out extra='' cfg=''
	attempt=0 why=
	if [ "$type" = pvh ]; then
		extra=xevt.expect_pvh=1 cfg='tsc_mode = "native"'
	fi
	while [ "$attempt" -lt "$tries" ]; do
		attempt=$((attempt + 1))
		tf0=$(triple_faults)
		if ! out=$(guest_cfg "$g" "$n" "$type" "$extra" "$cfg" 2>&1) ||
			! out=$(xl create "/var/lib/xevt/$g.cfg" 2>&1); then
			why="xl create: $(echo "$out" | grep -m1 -i error)"
			echo "$out" | sed "s/^/xl create $g: /"
			return 1
		fi
		i=0
		while [ $i -lt 300 ]; do
			guest_wait "$g" "| ready $g" 1 && return 0
			[ "$(triple_faults)" -eq "$tf0" ] || break
			i=$((i + 1))
		done
		if [ "$(triple_faults)" -eq "$tf0" ]; then
			why="not ready in 300 s"
			return 1
		fi
		why="triple fault (QEMU's nested SVM) in $attempt of $attempt attempts"
		report "attempt $attempt: $g died of a triple fault: $(xl dmesg | grep -m1 'Triple fault')"
		dump_consoles "$g" | tail -n 5
		xl destroy "$g" >/dev/null 2>&1
	done
	return 1
}

triple_faults() { xl dmesg 2>/dev/null | grep -c 'Triple fault'; }

guest_log() { echo "$ROOT/var/log/xen/console/guest-$1.log"; }

# guest_wait NAME WHAT SECONDS: wait until the guest's console has said
# "@@XEVT@@ WHAT" (a verdict or a report line, matched as a prefix).
guest_wait() {
	local log i=0
	log=$(guest_log "$1")
	while ! tr -d '\r' <"$log" 2>/dev/null | grep -qF "@@XEVT@@ $2"; do
		i=$((i + 1))
		[ "$i" -le "$3" ] || return 1
		sleep 1
	done
}

# guest_verdicts NAME TEST...: one verdict NAME/TEST for each of the
# guest's own, taken from its console log.
guest_verdicts() {
	local g=$1 t line log
	shift
	log=$(guest_log "$g")
	for t in "$@"; do
		line=$(tr -d '\r' <"$log" 2>/dev/null | grep -E "^@@XEVT@@ (not )?ok $t( |\$)" | tail -n 1)
		case $line in
		"@@XEVT@@ ok $t"*) verdict_ok "$g/$t" ;;
		"@@XEVT@@ not ok $t"*) verdict_fail "$g/$t" "${line#*# }" ;;
		*) verdict_fail "$g/$t" "no verdict on the guest's console ($(tail -c 200 "$log" 2>/dev/null | tr -d '\r' | tr '\n' ';'))" ;;
		esac
	done
}

# guest_report NAME KEY: the value of the guest's "@@XEVT@@ | KEY VALUE".
guest_report() {
	tr -d '\r' <"$(guest_log "$1")" 2>/dev/null |
		sed -n "s/^@@XEVT@@ | $2 //p" | tail -n 1
}

# guest_no_splat NAME: the guest's console log holds no splat (the signs
# of initramfs/tests/splat.sh); for guests destroyed before their own scan
# ran.  As there, the one known report is left out: the RDMSR of
# 0xc0010055 that QEMU's AMD CPU model draws from every PV kernel, with its
# trace (up to the "</TASK>" that ends it).
guest_no_splat() {
	local hits
	hits=$(tr -d '\r' <"$(guest_log "$1")" |
		awk '/unchecked MSR access error: RDMSR from 0xc0010055 / { skip = 1; next }
		     skip && /<\/TASK>/ { skip = 0; next }
		     !skip' |
		grep -F -e 'BUG:' -e 'WARNING:' -e 'Oops' -e 'Call Trace:' -e 'Kernel panic' \
			-e 'general protection fault' -e 'suspicious RCU usage' -e 'soft lockup' \
			-e 'rcu: INFO:' -e 'unchecked MSR access' | head -n 2)
	[ -z "$hits" ] || { echo "$1's console: $(echo "$hits" | tr '\n' ';')"; return 1; }
}

# settle_counts PORTS IRQS SECONDS: wait until dom0's port and IRQ counts
# are back to PORTS and IRQS (backends close their channels after xenbus
# says so, descriptors are freed after a grace period).
settle_counts() {
	local i=0 p q
	while :; do
		p=$(dom0_ports) q=$(dom0_irqs)
		[ "$p" != "$1" ] || [ "$q" != "$2" ] || return 0
		i=$((i + 1))
		[ $i -le "$3" ] || { echo "dom0 ports $1 -> $p, IRQ descriptors $2 -> $q after ${3} s"; return 1; }
		sleep 1
	done
}

# show_host: what a person wants to see (make run-host and the logs).
show_host() {
	report "xl list:"
	xl list 2>&1 | while IFS= read -r l; do report "  $l"; done
	report "/proc/interrupts, event channel lines (dom0):"
	grep -E 'xen-(dyn|percpu|pirq)' /proc/interrupts | sed 's/  */ /g' | tail -n "${1:-40}" |
		while IFS= read -r l; do report "  $l"; done
	report "/sys/kernel/debug/xen/events-by-domain:"
	while IFS= read -r l; do report "  $l"; done </sys/kernel/debug/xen/events-by-domain
}

# dump_consoles NAME...: each guest's whole console into the serial log
# ("console NAME: ..."), for whoever reads it after a failure.
dump_consoles() {
	local g
	for g in "$@"; do
		tr -d '\r' <"$(guest_log "$g")" 2>/dev/null | sed "s/^/console $g: /"
	done
}
