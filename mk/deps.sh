#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# deps.sh BUILD_DIR: install what is missing, fetch and unpack Xen 4.17.
# Idempotent and silent when everything is already there.
set -euo pipefail
build=${1:?usage: deps.sh BUILD_DIR}

pkgs=(build-essential bc bison flex libelf-dev libssl-dev ccache cpio
      xz-utils gzip rsync kmod python3 perl sparse
      qemu-system-x86 busybox-static linux-source-6.1
      clang libclang-rt-14-dev valgrind
      libxen-dev zlib1g-dev liblzma-dev libbz2-dev liblzo2-dev libzstd-dev)

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing+=("$p")
done

apt_updated=
apt_update() {
	[ -n "$apt_updated" ] && return 0
	echo "deps: apt-get update" >&2
	apt-get update -qq >&2
	apt_updated=1
}

if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}" >&2
	apt_update
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >&2
fi

# Xen 4.17: Debian's hypervisor package, downloaded and extracted, never
# installed.  QEMU's multiboot loader wants the uncompressed ELF.
xen_elf=$build/xen/xen-4.17.elf
if [ ! -s "$xen_elf" ]; then
	mkdir -p "$build/xen/deb"
	(
		cd "$build/xen/deb"
		rm -f ./*.deb
		if ! apt-get download -qq xen-hypervisor-4.17-amd64 2>/dev/null; then
			apt_update
			apt-get download -qq xen-hypervisor-4.17-amd64
		fi
		rm -rf root
		dpkg-deb -x xen-hypervisor-4.17-amd64_*.deb root
	) >&2
	gz=$(ls "$build"/xen/deb/root/boot/xen-4.17-amd64.gz)
	gunzip -c "$gz" >"$xen_elf.tmp"
	mv "$xen_elf.tmp" "$xen_elf"
fi
