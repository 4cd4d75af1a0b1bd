#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# build-kernel.sh BUILD_DIR NAME FRAGMENT...: configure and build the tree
# in BUILD_DIR/linux into BUILD_DIR/linux/obj-NAME; print the image path.
#
# The object directory is a direct child of the source tree so that kbuild
# uses the relative srctree "..": compiler command lines do not contain the
# checkout's path and ccache hits survive a fresh clone elsewhere.
set -euo pipefail
build=$(cd "${1:?usage: build-kernel.sh BUILD_DIR NAME FRAGMENT...}" && pwd)
name=${2:?}
shift 2
frags=("$@")
here=$(cd "$(dirname "$0")" && pwd)
# KERNEL=6.12: the tree mk/prepare-tree.sh made on the 6.12 base.
case ${KERNEL:-6.1} in
6.1) tree=${TREE:-$build/linux} ;;
*) tree=${TREE:-$build/linux-$KERNEL} ;;
esac
obj=$tree/obj-$name
jobs=${JOBS:-$(nproc)}
mkdir -p "$obj"

export CCACHE_BASEDIR=$build
export KBUILD_BUILD_TIMESTAMP="2023-01-01"
export KBUILD_BUILD_USER=xevt KBUILD_BUILD_HOST=build

kmake() {
	make -s -C "$tree" O="obj-$name" CC="ccache gcc" HOSTCC="ccache gcc" \
		-j"$jobs" "$@"
}

# shellcheck source=mk/step.sh
. "$here/step.sh"

# Reconfigure from scratch when the fragments change; otherwise only let
# Kconfig pick up symbols that the overlay or the patches added.
configure_and_build() {
	cat "${frags[@]}" >"$obj/fragments.config.new"
	if ! cmp -s "$obj/fragments.config.new" "$obj/fragments.config" ||
	   [ ! -f "$obj/.config" ]; then
		echo "kernel[$name]: configuring (allnoconfig + ${frags[*]})"
		kmake KCONFIG_ALLCONFIG="$obj/fragments.config.new" allnoconfig
		mv "$obj/fragments.config.new" "$obj/fragments.config"
	else
		rm -f "$obj/fragments.config.new"
		kmake olddefconfig
	fi
	"$here/kconfig-check.sh" "${frags[@]}" "$obj/.config"
	echo "kernel[$name]: building"
	kmake bzImage
}

# Progress: .o files in the object directory against the count of the last
# build (or the count measured on 2026-12-07 when there was none).
case $name in
main) what="building the dom0 kernel"; est="cold: ~7 min on 2 cores; warm ccache: ~1-2 min"; total=1268 ;;
debug) what="building the debug dom0 kernel (lockdep, KFENCE, ...)"; est="cold: ~9 min on 2 cores; warm ccache: ~2 min"; total=1308 ;;
*) what="building the kernel obj-$name"; est="cold: ~7 min on 2 cores"; total=1300 ;;
esac
[ "$tree" = "$build/linux" ] || what="$what in $(step_path "$tree")"
[ -s "$obj/.objects" ] && total=$(cat "$obj/.objects")
progress() { objects_progress "$obj" "$total"; }
step -l "$build/logs/kernel-$(basename "$tree")-$name.log" -p progress \
	"$what" "$est" configure_and_build
find "$obj" -name '*.o' | wc -l >"$obj/.objects"
echo "$obj/arch/x86/boot/bzImage"
