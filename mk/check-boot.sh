#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check-boot.sh RESULTS_DIR TABLE...: boot dom0 once per line of each table
# file and record every verdict the initramfs printed.
#
# Table lines:   name | dom0 kernel arguments [| Xen arguments]
# Table header directives (comment lines, apply to the whole table):
#   # @kernel: main|debug      dom0 kernel image (default main)
#   # @xen: stock|patched      hypervisor (default stock: Debian's 4.17)
#   # @timeout: SECONDS        per boot (default $BOOT_TIMEOUT or 600)
#   # @qemu: ARGS              extra QEMU arguments (devices) for every boot
#   # @mem: MIB                memory of the emulated machine (default 2048)
#
# Images come from the environment: KIMAGE_main, KIMAGE_debug, XEN_stock,
# XEN_patched, INITRD.  A table whose image is missing fails every boot.
#
# Each boot is a test of its own ("boot <name>": reached init, ran its tests
# and finished without a panic or a timeout); each "@@XEVT@@ ok|not ok"
# line is one more test.
set -uo pipefail
out=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
res=$out/3-boot.results
: >"$res"

directive() {	# directive TABLE NAME DEFAULT
	local v
	v=$(sed -n "s/^#[[:space:]]*@$2:[[:space:]]*//p" "$1" | tail -n 1 | sed "s/[[:space:]]*$//")
	echo "${v:-$3}"
}

for table in "$@"; do
	kname=$(directive "$table" kernel main)
	xname=$(directive "$table" xen stock)
	tmo=$(directive "$table" timeout "${BOOT_TIMEOUT:-600}")
	qargs=$(directive "$table" qemu "")
	mem=$(directive "$table" mem 2048)
	kvar=KIMAGE_$kname xvar=XEN_$xname
	kernel=${!kvar:-} xen=${!xvar:-}
	while IFS='|' read -r name args xargs_; do
		name=$(echo "$name" | sed "s/^[[:space:]]*//; s/[[:space:]]*$//")
		[ -z "$name" ] || [ "${name#\#}" != "$name" ] && continue
		log=$out/boot-$name.log
		if [ ! -s "$kernel" ] || [ ! -s "$xen" ]; then
			echo "not ok boot $name # no image: kernel '$kname' or xen '$xname' was not built" >>"$res"
			continue
		fi
		echo "check-boot: $name [$kname kernel, $xname xen]: $args${xargs_:+ | xen: $xargs_}${qargs:+ | qemu: $qargs}" >&2
		start=$(date +%s)
		err=$("$here/boot.sh" -x "$xen" -k "$kernel" -i "$INITRD" -l "$log" \
			-t "$tmo" -a "$args" -X "${xargs_:-}" -Q "$qargs" -m "$mem" 2>&1)
		rc=$?
		echo "check-boot: $name: finished in $(($(date +%s) - start)) s" >&2
		if [ $rc -eq 0 ]; then
			echo "ok boot $name" >>"$res"
		else
			echo "not ok boot $name # $err" >>"$res"
		fi
		tr -d '\r' <"$log" | sed -n 's/^@@XEVT@@ \(\(not \)\{0,1\}ok \)/\1'"[$name] "'/p' >>"$res"
	done <"$table"
done
