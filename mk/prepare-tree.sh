#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# prepare-tree.sh REPO BUILD_DIR: make BUILD_DIR/linux the Debian 6.1 base
# tree with patches/*.patch applied and the overlay laid on top.
#
# KERNEL=6.12 (default 6.1): the Debian 6.12 base instead, unpacked into
# BUILD_DIR/linux-base-6.12, the tree BUILD_DIR/linux-6.12 (unless TREE
# names another); the series is patches/*.patch merged by name with
# patches/KERNEL/*.patch, the patches that differ per base.
#
# The tree is composed in a staging copy (hard links to the pristine base)
# and synced into BUILD_DIR/linux by content, so files that did not change
# keep their timestamps and kbuild rebuilds only what an edit touched.
set -euo pipefail
repo=$(cd "${1:?usage: prepare-tree.sh REPO BUILD_DIR}" && pwd)
build=${2:?}
kver=${KERNEL:-6.1}
case $kver in
6.1) sfx= ;;
6.12) sfx=-$kver ;;
*) echo "prepare-tree: KERNEL=$kver: no such base (6.1 or 6.12)" >&2; exit 2 ;;
esac
base=$build/linux-base$sfx
tree=${TREE:-$build/linux$sfx}
# One staging directory per tree: ours and the baseline can be prepared
# side by side.
stage=$tree.stage

# Top-level directories of the repository that are kernel tree paths.
overlay_dirs=(arch drivers include Documentation tools kernel lib)
# OVERLAY_EXCLUDE: space-separated path prefixes of the overlay to leave
# out (e.g. "drivers/xen/events/ include/xen/events.h" gives a tree with
# upstream's event channel code, the benchmark baseline).
exclude=${OVERLAY_EXCLUDE:-}
# shellcheck source=mk/lib.sh
. "$(dirname "$0")/lib.sh"
mkdir -p "$build"
logs=$(cd "$build" && pwd)/logs

unpack() {
	rm -rf "$base" "$base.tmp"
	mkdir -p "$base.tmp"
	tar -C "$base.tmp" -xf "/usr/src/linux-source-$kver.tar.xz"
	mv "$base.tmp/linux-source-$kver" "$base"
	rmdir "$base.tmp"
	touch "$base/.unpacked"
}
if [ ! -f "$base/.unpacked" ]; then
	step -l "$logs/tree-unpack.log" \
		"unpacking the Debian $kver source (/usr/src/linux-source-$kver.tar.xz) into $(step_path "$base")" \
		"~30 s-2 min, once" unpack
fi

compose() {
	local d f x
	tree_stage "$base" "$stage"
	tree_patch "$stage" tree "$repo" patches "patches/$kver" || exit 1

	for d in "${overlay_dirs[@]}"; do
		[ -d "$repo/$d" ] || continue
		(cd "$repo" && find "$d" -type f ! -name '*.o' ! -name '.*') |
		while IFS= read -r f; do
			for x in $exclude; do
				case $f in "$x"*) continue 2 ;; esac
			done
			mkdir -p "$stage/$(dirname "$f")"
			cp --remove-destination "$repo/$f" "$stage/$f"
		done
	done

	tree_sync "$stage" "$tree" --exclude="/obj-*/"
}
tname=$(basename "$tree")
step -l "$logs/$tname-prepare.log" \
	"preparing $(step_path "$tree"): patches/ and the overlay on the base, synced by content" \
	"~20 s" compose
