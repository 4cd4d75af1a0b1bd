#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check-boot.sh RESULTS_DIR TABLE...: boot dom0 once per line of each table
# file and record every verdict the initramfs printed.
#
# Table lines:   name | dom0 kernel arguments [| Xen arguments]
# Table header directives (comment lines, apply to the whole table):
#   # @kernel: main|debug|6.12 dom0 kernel image (default main; 6.12: our
#                              sources on the Debian 6.12 base)
#   # @rows: TABLE...          boot the rows of those tables (in the same
#                              directory) too, after its own, each name
#                              suffixed with -KERNEL (e.g. abi-fifo-6.12);
#                              only this table's directives apply
#   # @xen: stock|patched      hypervisor (default stock: Debian's 4.17)
#   # @timeout: SECONDS        per boot (default $BOOT_TIMEOUT or 600)
#   # @qemu: ARGS              extra QEMU arguments (devices) for every boot
#   # @mem: MIB                memory of the emulated machine (default 2048)
#   # @rootfs: yes             the boots attach the real dom0 userland:
#                              @ROOTFS@ and @PAYLOAD@ in @qemu are replaced
#                              by ROOTFS_IMG and HOST_PAYLOAD (the Debian
#                              root filesystem of mk/rootfs.sh and the
#                              guests' kernel and initramfs of
#                              mk/host-payload.sh); a missing one fails
#                              every boot of the table
#
# Images come from the environment: KIMAGE_main, KIMAGE_debug, KIMAGE_6_12
# (a dot in a kernel name becomes _), XEN_stock,
# XEN_patched, INITRD.  A table whose image is missing fails every boot.
#
# Each boot is a test of its own ("boot <name>": reached init, ran its tests
# and finished without a panic or a timeout); each "@@XEVT@@ ok|not ok"
# line is one more test.
#
# The verdict channel.  The serial console (COM1) carries Xen's console
# (loglvl=all), dom0's printk through hvc0 and the test programs' output
# together, so an asynchronous line can split a verdict there and it would
# silently not be counted.  Verdicts therefore travel on a second UART,
# COM2 (QEMU's second -serial, mk/boot.sh -V, into RESULTS_DIR/boot-<name>
# .verdicts): Xen 4.17 only drives the UARTs its command line names
# (com1), so COM2's ports stay with dom0, whose 8250 driver
# (configs/kernel.config: CONFIG_SERIAL_8250, two legacy ports) makes it
# /dev/ttyS1; /init opens it and only verdict writers write there
# (initramfs/tests/lib.sh chan, tests/userspace/xevt.c, xen3l_query.c).
# Why a UART: one small driver, and a line is out the moment it is
# written.  The alternatives: a virtio console needs virtio and virtio-pci
# in the PV dom0; isa-debugcon needs port I/O from userspace (ioperm or
# /dev/port, both off in our allnoconfig-based kernel); a disk image is
# read only after the boot and loses what a crash leaves unwritten.
# COM2's interrupt (IRQ 3) reaches dom0 as a PIRQ event channel
# (/proc/interrupts: xen-pirq ttyS1), as the console's hvc0 rides an event
# channel too.  The verdicts also appear on the console, for people.
#
# Every verdict is accounted for: before any test runs, /init writes
# "@@XEVT@@ expect <name>" on the channel for every verdict the row's test
# scripts and programs list (XEVT_LIST=1, list=1).  Each expected name
# without a verdict becomes "not ok [row] <name> # no verdict", so a boot
# that ends early reports every test it did not reach; a verdict not
# expected is still counted and flagged on the terminal and in
# RESULTS_DIR/boot-<name>.unexpected.  A boot whose channel stayed empty
# (no COM2 in the dom0 kernel) is one more failed test, "verdict channel
# <name>", and its verdicts are taken from the console as before.
#
# Before the boots it prints how many there are, the tests they ran last
# time and the estimated time; each boot is one mk/step.sh step ("boot 7/24:
# kunit-2l (~60 s)", a progress line at least every 30 s) followed by its
# outcome.  Durations go to RESULTS_DIR/boot-times ("name seconds verdicts",
# for summary.sh's slowest boots) and to BOOT_HISTORY (default
# RESULTS_DIR/../boot-times.txt, kept across runs) for the next estimate.
set -uo pipefail
out=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=mk/step.sh
. "$here/step.sh"
# shellcheck source=mk/verdicts.sh
. "$here/verdicts.sh"
mkdir -p "$out"
res=$out/3-boot.results
: >"$res"
times=$out/boot-times
: >"$times"
history=${BOOT_HISTORY:-$(dirname "$out")/boot-times.txt}
touch "$history"

directive() {	# directive TABLE NAME DEFAULT
	local v
	v=$(sed -n "s/^#[[:space:]]*@$2:[[:space:]]*//p" "$1" | tail -n 1 | sed "s/[[:space:]]*$//")
	echo "${v:-$3}"
}

rows() {	# rows TABLE: the lines of a table that are not comments (see @rows)
	local from t k
	grep -v '^[[:space:]]*#' "$1" || true
	from=$(directive "$1" rows "")
	k=$(directive "$1" kernel main)
	for t in $from; do
		grep -v '^[[:space:]]*#' "$(dirname "$1")/$t" |
			sed "s/^\([^|]*[^|[:space:]]\)[[:space:]]*|/\1-$k |/"
	done
}


# estimate NAME: seconds, from the last run, or a guess from the measured
# times of 2026-12 on 2 cores (README).  Sets est_known when measured.
estimate() {
	local t
	t=$(awk -v n="$1" '$1 == n { s = $2 } END { print s }' "$history")
	if [ -n "$t" ]; then est_known=1; echo "$t"; return; fi
	est_known=
	case $1 in
	abi-*) echo 20 ;; kunit-*) echo 40 ;; evtchn-*) echo 90 ;;
	debug-*) echo 210 ;; pirq-*) echo 80 ;; xen3l-3l*) echo 150 ;; xen3l*) echo 60 ;; xl-*) echo 100 ;;
	density-*) echo 60 ;; *) echo 90 ;;
	esac
}

# The plan.
nboots=0 total_s=0 tests=0 unknown=0
for table in "$@"; do
	while IFS='|' read -r name _; do
		name=$(echo "$name" | sed "s/^[[:space:]]*//; s/[[:space:]]*$//")
		[ -n "$name" ] || continue
		nboots=$((nboots + 1))
		total_s=$((total_s + $(estimate "$name")))
		v=$(awk -v n="$name" '$1 == n { v = $3 } END { print v }' "$history")
		if [ -n "$v" ]; then tests=$((tests + 1 + v)); else unknown=$((unknown + 1)); fi
	done < <(rows "$table")
done
if [ $unknown -eq 0 ]; then
	tplan="$tests tests (as many as last time)"
else
	tplan="at least $((tests + unknown)) tests ($unknown boots not run here before)"
fi
[ $# -eq 1 ] && tables="1 table" || tables="$# tables"
echo "check-boot: $nboots boots from $tables, $tplan; estimated time $(((total_s + 59) / 60)) min" >&2

i=0
for table in "$@"; do
	kname=$(directive "$table" kernel main)
	xname=$(directive "$table" xen stock)
	tmo=$(directive "$table" timeout "${BOOT_TIMEOUT:-600}")
	qargs=$(directive "$table" qemu "")
	mem=$(directive "$table" mem 2048)
	rootfs=$(directive "$table" rootfs no)
	qargs=${qargs//@ROOTFS@/${ROOTFS_IMG:-}}
	qargs=${qargs//@PAYLOAD@/${HOST_PAYLOAD:-}}
	kvar=KIMAGE_${kname//./_} xvar=XEN_$xname
	kernel=${!kvar:-} xen=${!xvar:-}
	while IFS='|' read -r name args xargs_; do
		name=$(echo "$name" | sed "s/^[[:space:]]*//; s/[[:space:]]*$//")
		[ -n "$name" ] || continue
		i=$((i + 1))
		log=$out/boot-$name.log
		vlog=$out/boot-$name.verdicts
		run=$out/boot-$name.run
		if [ "$rootfs" = yes ] && { [ ! -s "${ROOTFS_IMG:-}" ] || [ ! -s "${HOST_PAYLOAD:-}" ]; }; then
			echo "boot $i/$nboots: $name: not ok, no image: the dom0 root filesystem or the guests' payload was not built" >&2
			echo "not ok boot $name # no image: the dom0 root filesystem (mk/rootfs.sh) or the guests' payload (mk/host-payload.sh) was not built" >>"$res"
			continue
		fi
		if [ ! -s "$kernel" ] || [ ! -s "$xen" ]; then
			echo "boot $i/$nboots: $name: not ok, no image: kernel '$kname' or xen '$xname' was not built" >&2
			echo "not ok boot $name # no image: kernel '$kname' or xen '$xname' was not built" >>"$res"
			continue
		fi
		e=$(estimate "$name")
		echo "boot $name [$kname kernel, $xname xen]: $args${xargs_:+ | xen: $xargs_}${qargs:+ | qemu: $qargs}" >"$run"
		start=$(date +%s)
		progress() { boot_progress "$log"; }
		step -a -q -l "$run" -T "$log" -p progress \
			"boot $i/$nboots: $name" "~$e s${est_known:+ last time}" \
			"$here/boot.sh" -x "$xen" -k "$kernel" -i "$INITRD" -l "$log" -V "$vlog" \
			-t "$tmo" -a "$args" -X "${xargs_:-}" -Q "$qargs" -m "$mem"
		rc=$?
		secs=$(($(date +%s) - start))
		if [ $rc -eq 0 ]; then
			echo "ok boot $name" >>"$res"
		else
			echo "not ok boot $name # $(tail -n 1 "$run")" >>"$res"
		fi
		src=$vlog
		if ! grep -qa '^@@XEVT@@ ' "$vlog" 2>/dev/null; then
			echo "not ok verdict channel $name # nothing arrived on COM2 ($vlog); verdicts taken from the console" >>"$res"
			src=$log
		fi
		verdicts=$(account "$name" "$src" "$out/boot-$name.unexpected")
		[ -z "$verdicts" ] || echo "$verdicts" >>"$res"
		nmiss=$(echo "$verdicts" | grep -c ' # no verdict$' || true)
		nunexp=$(grep -c . "$out/boot-$name.unexpected" || true)
		[ "$nunexp" -eq 0 ] ||
			echo "    $nunexp verdicts of $name not in its expected list: $(head -n 3 "$out/boot-$name.unexpected" | tr '\n' ';')" >&2
		nv=0 nbad=0
		if [ -n "$verdicts" ]; then
			nv=$(echo "$verdicts" | wc -l)
			nbad=$(echo "$verdicts" | grep -c '^not ok' || true)
		fi
		missing=
		[ "$nmiss" -eq 0 ] || missing=" ($nmiss of them: no verdict)"
		if [ $rc -ne 0 ]; then
			echo "    NOT OK after $secs s: $(tail -n 1 "$run"); $nbad of $nv verdicts failed$missing" >&2
		elif [ "$nbad" -ne 0 ]; then
			echo "    NOT OK in $secs s: $nbad of $nv verdicts failed$missing" >&2
		else
			echo "    ok in $secs s, $nv verdicts" >&2
		fi
		echo "$name $secs $nv" >>"$times"
		awk -v n="$name" '$1 != n' "$history" >"$history.tmp"
		echo "$name $secs $nv" >>"$history.tmp"
		mv "$history.tmp" "$history"
	done < <(rows "$table")
done
