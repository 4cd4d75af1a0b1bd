#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# host-payload.sh OUT KERNEL INITRD: the second disk of a real-dom0 boot
# (tests/boot/host.table, make run-host): an ext4 image holding the guest
# kernel (our bzImage, the same image dom0 runs) and the guests' initramfs
# (the test initramfs; its /init runs initramfs/tests/guest.sh when the
# guest's command line says xevt.tests=guest).  Made without mounting
# (mkfs.ext4 -d), in a second or two; dom0 copies both into its root
# filesystem, where xl finds them.
set -euo pipefail
out=${1:?usage: host-payload.sh OUT KERNEL INITRD}
kernel=${2:?}
initrd=${3:?}
dir=$out.d
rm -rf "$dir"
mkdir -p "$dir"
cp "$kernel" "$dir/bzImage"
cp "$initrd" "$dir/initramfs.cpio.gz"
# The payload's size: what it holds plus room for ext4's own blocks.
mib=$(( $(du -sm "$dir" | cut -f1) + 16 ))
rm -f "$out.tmp"
mkfs.ext4 -q -F -L xevt-payload -d "$dir" "$out.tmp" "${mib}M" >/dev/null
mv "$out.tmp" "$out"
rm -rf "$dir"
echo "$out"
