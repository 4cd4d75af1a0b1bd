#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# build-xen.sh REPO BUILD_DIR: Debian's xen 4.17 source (unpacked by
# xen-deps.sh in BUILD_DIR/xen-src/pristine) plus REPO/xen/patches/*.patch,
# hypervisor only, with Debian's configuration.  Prints the path of the
# multiboot ELF (what QEMU's -kernel takes) as its last line.
#
#   BUILD_DIR/xen-src/tree   patched source, synced by content so that an
#                            edit to the series rebuilds only what it touched
#   BUILD_DIR/xen-src/obj    out-of-tree objects (O=)
#   BUILD_DIR/xen-src/xen-4.17-3l.elf   the result
set -euo pipefail
repo=$(cd "${1:?usage: build-xen.sh REPO BUILD_DIR}" && pwd)
build=$(cd "${2:?}" && pwd)
src=$build/xen-src
pristine=$src/pristine
stage=$src/stage
tree=$src/tree
obj=$src/obj
out=$src/xen-4.17-3l.elf
jobs=${JOBS:-$(nproc)}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=mk/lib.sh
. "$here/lib.sh"
log=$build/logs/xen-build.log

[ -f "$pristine/.unpacked" ] || { echo "xen: no source in $pristine (mk/xen-deps.sh)" >&2; exit 1; }

# Compose pristine + series in a staging copy (mk/lib.sh).
tree_stage "$pristine" "$stage"
if ! tree_patch "$stage" xen "$repo" xen/patches; then
	rm -rf "$stage"
	exit 1
fi
n=$tree_patches
mkdir -p "$obj"
tree_sync "$stage" "$tree"

ver="$(cat "$tree/.version")+xevt3l"
# Debian's build: no dpkg-buildflags in the hypervisor, its own version
# banner (debian/patches/0003), reproducible dates.
unset CFLAGS CXXFLAGS CPPFLAGS LDFLAGS
export CCACHE_BASEDIR=$src
export DEB_VERSION=$ver
export DEB_MAINTAINER="xevt <xevt@localhost>"
export XEN_BUILD_DATE="Sun Jan  1 00:00:00 UTC 2023" XEN_BUILD_TIME="00:00:00"
export XEN_WHOAMI=xevt XEN_DOMAIN=localhost
export WGET=/bin/false GIT=/bin/false

xmake() {
	make -s -C "$tree/xen" O="$obj" XEN_TARGET_ARCH=x86_64 \
		CC="ccache gcc" HOSTCC="ccache gcc" -j"$jobs" "$@"
}

# Debian's configuration: debian/xen-kconfig (CONFIG_DEBUG=n) completed by
# olddefconfig, as debian/rules does; redone when that file changes.
configure_and_build() {
	if ! cmp -s "$tree/debian/xen-kconfig" "$obj/xen-kconfig" || [ ! -f "$obj/.config" ]; then
		echo "xen: configuring (debian/xen-kconfig + olddefconfig)"
		cp "$tree/debian/xen-kconfig" "$obj/.config"
		xmake olddefconfig
		cp "$tree/debian/xen-kconfig" "$obj/xen-kconfig"
	fi
	echo "xen: building $ver ($n patches)"
	xmake
}

# Progress: .o files in the object directory against the count of the last
# build (or the count of a full build measured on 2026-12-07).
total=468
[ -s "$obj/.objects" ] && total=$(cat "$obj/.objects")
progress() { objects_progress "$obj" "$total"; }
step -l "$log" -p progress \
	"building the patched Xen $ver ($n patches of xen/patches/)" \
	"cold: ~3 min on 2 cores; warm ccache: ~2 min" configure_and_build
find "$obj" -name '*.o' | wc -l >"$obj/.objects"

# xen/xen is the 32-bit multiboot ELF (mkelf32 of xen-syms); xen.gz, which
# Debian ships, is the same file compressed.
if ! od -An -c -N5 "$obj/xen" | tr -d ' ' | grep -q '^177ELF001$'; then
	echo "xen: $obj/xen is not an ELF32 image" >&2
	exit 1
fi
if ! cmp -s "$obj/xen" "$out"; then
	cp "$obj/xen" "$out.tmp"
	mv "$out.tmp" "$out"
fi
echo "$out"
