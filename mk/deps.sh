#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# deps.sh BUILD_DIR: install what is missing, fetch and unpack Xen 4.17.
# Idempotent and silent when everything is already there.  One line per
# step (mk/step.sh); apt's own output goes to BUILD_DIR/logs/apt.log and is
# shown (its tail) only when a step fails.
set -euo pipefail
build=${1:?usage: deps.sh BUILD_DIR}
mkdir -p "$build"
build=$(cd "$build" && pwd)
# shellcheck source=mk/lib.sh
. "$(dirname "$0")/lib.sh"
apt_log=$build/logs/apt.log

# What is installed, and why: "reason|packages".
groups=(
	"to build the kernel|build-essential bc bison flex libelf-dev libssl-dev ccache cpio xz-utils gzip rsync kmod python3 perl sparse"
	"the Debian ${KERNEL:-6.1} source the overlay is laid on|linux-source-${KERNEL:-6.1}"
	"to boot Xen and dom0 (QEMU, busybox for the test initramfs)|qemu-system-x86 busybox-static"
	"for the host test harness (clang/libFuzzer, valgrind)|clang libclang-rt-14-dev valgrind"
	"for the density test's dom0 tool (libxenctrl, static)|libxen-dev zlib1g-dev liblzma-dev libbz2-dev liblzo2-dev libzstd-dev"
	"for the plots of make bench and make density|gnuplot-nox"
)

for g in "${groups[@]}"; do
	# shellcheck disable=SC2086 # a list of package names
	apt_install_missing "${g%%|*}" "~1 min per 100 MB to download" ${g#*|}
done

# Xen 4.17: Debian's hypervisor package, downloaded and extracted, never
# installed.  QEMU's multiboot loader wants the uncompressed ELF.
xen_elf=$build/xen/xen-4.17.elf
fetch_xen() {
	mkdir -p "$build/xen/deb"
	cd "$build/xen/deb"
	rm -f ./*.deb
	apt-get download xen-hypervisor-4.17-amd64
	rm -rf root
	dpkg-deb -x xen-hypervisor-4.17-amd64_*.deb root
}
# The package lists may be too old to name the current version: update
# them and try again.
fetch_xen_retry() {
	(fetch_xen) && return 0
	[ -z "$apt_updated" ] || return 1
	apt-get update && fetch_xen
}
if [ ! -s "$xen_elf" ]; then
	step -a -l "$apt_log" "fetching Debian's Xen 4.17 hypervisor package (extracted to boot it, not installed)" \
		"~10 s" fetch_xen_retry
	gz=$(ls "$build"/xen/deb/root/boot/xen-4.17-amd64.gz)
	gunzip -c "$gz" >"$xen_elf.tmp"
	mv "$xen_elf.tmp" "$xen_elf"
fi
