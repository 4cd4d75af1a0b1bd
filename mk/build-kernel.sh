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
tree=${TREE:-$build/linux}
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

# Reconfigure from scratch when the fragments change; otherwise only let
# Kconfig pick up symbols that the overlay or the patches added.
cat "${frags[@]}" >"$obj/fragments.config.new"
if ! cmp -s "$obj/fragments.config.new" "$obj/fragments.config" ||
   [ ! -f "$obj/.config" ]; then
	echo "kernel[$name]: configuring (allnoconfig + ${frags[*]})" >&2
	kmake KCONFIG_ALLCONFIG="$obj/fragments.config.new" allnoconfig >&2
	mv "$obj/fragments.config.new" "$obj/fragments.config"
else
	rm -f "$obj/fragments.config.new"
	kmake olddefconfig >&2
fi
"$here/kconfig-check.sh" "${frags[@]}" "$obj/.config"

echo "kernel[$name]: building" >&2
start=$(date +%s)
kmake bzImage >&2
echo "kernel[$name]: built in $(($(date +%s) - start)) s" >&2
echo "$obj/arch/x86/boot/bzImage"
