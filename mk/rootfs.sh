#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# rootfs.sh BUILD_DIR: the real dom0 userland (issue 13), built once and
# reused: a Debian 12 root filesystem made by debootstrap from Debian's
# packages, with Debian's Xen 4.17 toolstack (xl, oxenstored, xenconsoled,
# the hotplug scripts), on an ext4 disk image.  The last line printed is
# the image's path.
#
# The image is cached outside the checkout, in $XEVT_CACHE (default
# /var/cache/xevt), under a name keyed by a hash of its inputs (the
# package list, the suite, and the recipe: build_rootfs's body as bash
# prints it, comments left out), so a fresh clone on this machine reuses it
# and a change to what goes in builds a new one; BUILD_DIR/rootfs.img links to it.  Boots attach it read-only in
# effect (QEMU snapshot=on): nothing a test writes reaches the cache.
#
# Cold: debootstrap downloads about 60 MB (~3-5 min here); then seconds.
set -euo pipefail
build=${1:?usage: rootfs.sh BUILD_DIR}
mkdir -p "$build"
build=$(cd "$build" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=mk/step.sh
. "$here/step.sh"
# shellcheck source=mk/lib.sh
. "$here/lib.sh"

cache=${XEVT_CACHE:-/var/cache/xevt}
mirror=${XEVT_MIRROR:-http://deb.debian.org/debian}
# What dom0 runs: the toolstack and what its hotplug scripts call (ip,
# brctl, losetup, flock), mkfs for the guests' disks, busybox for ping/nc.
pkgs=xen-utils-4.17,xen-utils-common,xenstore-utils,iproute2,bridge-utils
pkgs=$pkgs,busybox-static,e2fsprogs,util-linux,mount,procps,kmod
suite=bookworm
work=$build/rootfs-work

build_rootfs() {
	rm -rf "$work"
	mkdir -p "$work"
	debootstrap --variant=minbase --include="$pkgs" "$suite" \
		"$work/dir" "$mirror"
	# What boots need that a minbase system lacks or would get wrong.
	echo xevt-dom0 >"$work/dir/etc/hostname"
	mkdir -p "$work/dir/var/log/xen/console" "$work/dir/var/lib/xen" \
		"$work/dir/var/run/xen" "$work/dir/xevt"
	rm -rf "$work/dir/var/cache/apt/archives/"*.deb \
		"$work/dir/var/lib/apt/lists/"*
	# 1 GiB: the system takes ~450 MB, the guests' disks the rest.
	mkfs.ext4 -q -F -L xevt-dom0 -d "$work/dir" "$work/rootfs.img" 1G >/dev/null
	mv "$work/rootfs.img" "$img.tmp"
	mv "$img.tmp" "$img"
	rm -rf "$work"
}

key=$( { echo "$pkgs $suite"; declare -f build_rootfs; } | sha256sum | cut -c1-16)
img=$cache/rootfs-$key.img

if [ ! -s "$img" ]; then
	apt_log=$build/logs/apt.log
	apt_install_missing "to build the dom0 root filesystem" \
		"~1 min per 100 MB to download" debootstrap e2fsprogs
	mkdir -p "$cache"
	step -l "$build/logs/rootfs.log" \
		"building the dom0 root filesystem (debootstrap bookworm + Xen 4.17 toolstack)" \
		"cold: ~5 min; cached in $cache after" build_rootfs
fi
ln -sfn "$img" "$build/rootfs.img"
echo "$img"
