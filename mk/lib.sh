#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# lib.sh: what several mk/*.sh scripts do alike.  Sourced (never run); it
# sources mk/step.sh, so a script that sources lib.sh has "step" as well.
#
# Packages (mk/deps.sh, mk/xen-deps.sh, mk/deb-src.sh).  The caller sets
# apt_log, where apt's output goes (appended); it is shown only when a step
# fails.
#
#   apt_missing PKG...                  those of PKG not installed, one a line
#   apt_update                          "apt-get update" as a step, once per script
#   apt_install PKG...                  apt-get install, no recommends, no questions
#   apt_install_missing WHY EST PKG...  install those of PKG that are missing, as
#                                       one step "installing PKGS: WHY (EST)";
#                                       nothing when none is
#
# Source trees (mk/prepare-tree.sh, mk/build-xen.sh): a pristine tree plus a
# patch series is composed in a staging copy and synced into the build tree
# by content, so files that did not change keep their timestamps and the
# build redoes only what an edit touched.
#
#   tree_stage PRISTINE STAGE           STAGE: PRISTINE as hard links
#   tree_patch STAGE WHO REPO SERIES... apply REPO/SERIES/*.patch to STAGE, the
#                                       directories' patches merged in name order
#   tree_sync STAGE TREE [RSYNC_ARG...] sync STAGE into TREE by content, drop STAGE

# shellcheck source=mk/step.sh
. "$(dirname "${BASH_SOURCE[0]}")/step.sh"

apt_missing() {
	local p st
	for p in "$@"; do
		st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		[ "$st" = "install ok installed" ] || echo "$p"
	done
}

apt_updated=
apt_update() {
	[ -n "$apt_updated" ] && return 0
	step -a -l "${apt_log:?apt_log: where apt logs}" \
		"apt-get update: refreshing the package lists" "~30 s" \
		apt-get update
	apt_updated=1
}

apt_install() {
	DEBIAN_FRONTEND=noninteractive apt-get install -y \
		--no-install-recommends "$@"
}

apt_install_missing() {
	local why=${1:?apt_install_missing: WHY} est=${2:?apt_install_missing: ESTIMATE}
	local -a missing
	shift 2
	mapfile -t missing < <(apt_missing "$@")
	[ ${#missing[@]} -gt 0 ] || return 0
	apt_update
	step -a -l "$apt_log" "installing ${missing[*]}: $why" "$est" \
		apt_install "${missing[@]}"
}

# The staging copy is hard links: cheap, and patch(1) writes a new file and
# renames it over the old one, so the link to the pristine tree is broken,
# never written through.  The pristine tree's ".unpacked" stamp is left out.
tree_stage() {
	rm -rf "$2"
	cp -al "$1" "$2"
	rm -f "$2/.unpacked"
}

# Applies the series in name order; with several SERIES directories their
# patches are merged by file name (patches/0040-x.patch, then
# patches/6.12/0050-y.patch, then patches/0060-z.patch), so a per-base
# directory keeps its patches' places in the common numbering.  Their output
# goes to stderr.  Sets tree_patches to the number applied.  A patch that
# does not apply: says "WHO: patch does not apply: SERIES/NAME" (on stderr)
# and returns 1, the staging copy left as it is.
tree_patches=0
tree_patch() {
	local stage=$1 who=$2 repo=$3 p s
	shift 3
	tree_patches=0
	while IFS= read -r p; do
		[ -n "$p" ] || continue
		if ! patch -d "$stage" -p1 -s -N --no-backup-if-mismatch -r - \
			<"$repo/$p" >&2; then
			echo "$who: patch does not apply: $p" >&2
			return 1
		fi
		tree_patches=$((tree_patches + 1))
	done < <(for s in "$@"; do
			for p in "$repo/$s"/*.patch; do
				[ -e "$p" ] || continue
				printf '%s\t%s\n' "${p##*/}" "$s/${p##*/}"
			done
		done | LC_ALL=C sort -t "$(printf '\t')" -k1,1 | cut -f2)
}

# -c: compare by content; no -t: an unchanged file keeps its mtime.
tree_sync() {
	local stage=$1 tree=$2
	shift 2
	mkdir -p "$tree"
	rsync -rlpc --delete "$@" "$stage/" "$tree/"
	rm -rf "$stage"
}
