#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# boot.sh [options]: boot Xen + a dom0 kernel + initramfs under QEMU
# (software emulation) and capture the serial log.
#
#   -x XEN      hypervisor ELF (multiboot)
#   -k KERNEL   dom0 bzImage
#   -i INITRD   initramfs
#   -a ARGS     extra dom0 kernel arguments
#   -X ARGS     extra Xen arguments
#   -l LOG      serial log file (COM1: Xen's console, dom0's hvc0)
#   -V VLOG     verdict channel file: a second UART (COM2) that only the
#               initramfs's verdict lines are written to (mk/check-boot.sh)
#   -t SECONDS  timeout (default 300)
#   -Q ARGS     extra QEMU arguments (devices), split on blanks
#   -m MIB      memory of the emulated machine (default 2048)
#
# Exit status: 0 when the initramfs said "done" (on the console or the
# verdict channel), 2 on timeout, 3 on a
# panic or a crash, 4 when QEMU stopped before "done".
set -uo pipefail
timeout=300 mem=2048
args='' xargs_='' log='' qargs='' vlog=''
while getopts x:k:i:a:X:l:V:t:Q:m: o; do
	case $o in
	x) xen=$OPTARG ;; k) kernel=$OPTARG ;; i) initrd=$OPTARG ;;
	a) args=$OPTARG ;; X) xargs_=$OPTARG ;; l) log=$OPTARG ;; V) vlog=$OPTARG ;;
	t) timeout=$OPTARG ;; Q) qargs=$OPTARG ;; m) mem=$OPTARG ;;
	*) exit 64 ;;
	esac
done
: "${xen:?-x XEN}" "${kernel:?-k KERNEL}" "${initrd:?-i INITRD}" "${log:?-l LOG}"
for f in "$xen" "$kernel" "$initrd"; do
	[ -s "$f" ] || { echo "boot: missing $f" >&2; exit 1; }
done

mark='@@XEVT@@'
xen_cmd="console=com1 com1=115200,8n1 dom0_mem=1536M,max:1536M dom0_max_vcpus=2 loglvl=all guest_loglvl=all $xargs_"
dom0_cmd="console=hvc0 earlyprintk=xen $args"
# QEMU's -initrd takes a comma-separated module list; a comma inside an
# argument is written as two commas.
mods="${kernel} ${dom0_cmd//,/,,},${initrd}"

: >"$log"
# The second -serial is COM2 (0x2f8, IRQ 3): Xen, told console=com1 only,
# leaves it alone, and dom0's 8250 driver finds it as ttyS1.
vser=()
if [ -n "$vlog" ]; then
	: >"$vlog"
	vser=(-serial "file:$vlog")
fi
# shellcheck disable=SC2086 # $qargs is a list of QEMU arguments
qemu-system-x86_64 -machine pc -cpu qemu64 -smp 2 -m "$mem" \
	-display none -monitor none -serial "file:$log" "${vser[@]}" -no-reboot \
	-kernel "$xen" -append "$xen_cmd" -initrd "$mods" $qargs &
qpid=$!

status=4
start=$(date +%s)
done_at=
said_done() {
	grep -qa "^$mark done" <(tr -d '\r' <"$log") ||
		{ [ -n "$vlog" ] && grep -qa "^$mark done" <(tr -d '\r' <"$vlog"); }
}
while kill -0 "$qpid" 2>/dev/null; do
	now=$(date +%s)
	if [ -z "$done_at" ] && said_done; then
		done_at=$now
	fi
	if grep -qaE 'Kernel panic|Panic on CPU|FATAL TRAP|BUG: |Oops: ' "$log"; then
		sleep 2
		status=3
		break
	fi
	# After "done", dom0 powers off; give it a little time, then stop.
	if [ -n "$done_at" ] && [ $((now - done_at)) -ge 20 ]; then
		break
	fi
	if [ $((now - start)) -ge "$timeout" ]; then
		status=2
		break
	fi
	sleep 1
done
kill "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
wait "$qpid" 2>/dev/null

if said_done && [ "$status" != 3 ]; then
	status=0
fi
case $status in
0) ;;
2) echo "boot: timeout after ${timeout}s (log: $log)" >&2 ;;
3) echo "boot: panic or crash: $(grep -aE -m1 'Kernel panic|Panic on CPU|FATAL TRAP|BUG: |Oops: ' "$log" | tr -d '\r')" >&2 ;;
4) echo "boot: QEMU exited before the initramfs finished (log: $log)" >&2 ;;
esac
exit $status
