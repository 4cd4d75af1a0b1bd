#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mkinitramfs.sh REPO BUILD_DIR OUT [BIN...]: the test initramfs: static
# busybox, initramfs/init, initramfs/tests/*, and the given static
# programs in /bin; an argument lib:FILE goes to /lib/xevt/ instead (guest
# kernels the tests boot, not programs dom0 runs).  Built with the kernel's own gen_init_cpio, so device
# nodes need no root.
set -euo pipefail
repo=$(cd "${1:?usage: mkinitramfs.sh REPO BUILD_DIR OUT [BIN...]}" && pwd)
build=${2:?}
out=${3:?}
shift 3

gen=$build/host/gen_init_cpio
if [ ! -x "$gen" ]; then
	mkdir -p "$build/host"
	gcc -O2 -o "$gen" "${TREE:-$build/linux}/usr/gen_init_cpio.c"
fi

list=$out.list
{
	echo "dir /dev 0755 0 0"
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "nod /dev/null 0666 0 0 c 1 3"
	for d in /bin /sbin /proc /sys /tmp /run /tests /usr /usr/bin /usr/sbin \
		/lib /lib/xevt; do
		echo "dir $d 0755 0 0"
	done
	echo "file /bin/busybox /bin/busybox 0755 0 0"
	echo "file /init $repo/initramfs/init 0755 0 0"
	for t in "$repo"/initramfs/tests/*; do
		echo "file /tests/$(basename "$t") $t 0755 0 0"
	done
	for b in "$@"; do
		case $b in
		lib:*) echo "file /lib/xevt/$(basename "${b#lib:}") ${b#lib:} 0644 0 0" ;;
		*) echo "file /bin/$(basename "$b") $b 0755 0 0" ;;
		esac
	done
} >"$list"
"$gen" "$list" | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
