#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# patches-check.sh REPO BUILD_DIR linux|xen: apply the series "make
# patches" wrote (BUILD_DIR/patches/KERNEL or BUILD_DIR/patches/xen) with
# git am, one patch at a time, on a fresh copy of the pristine base, and
# build after each (incrementally, ccache); the Linux patches also go
# through scripts/checkpatch.pl --strict.  One line per patch:
#
#   ok 4 - xen/events: split ... (builds; checkpatch: clean)
#   not ok 5 - ... # checkpatch: 0 errors, 2 warnings, 1 checks (see FILE)
#
# then "patches-check NAME: N of M ok".  Exits non-zero unless every
# patch is ok.  Works in BUILD_DIR/patches-check/NAME/:
#
#   tree/             the copy of the base (hard links for Linux: git am
#                     writes a new file and renames it, never writes
#                     through a link) with a git repository
#   tree/obj-main/    Linux objects (the configuration of make kernel:
#                     allnoconfig + configs/kernel.config +
#                     configs/kunit.config), redone after every patch
#   obj/              Xen objects (Debian's debian/xen-kconfig)
#   NNNN.log, NNNN.checkpatch   each patch's build log and checkpatch report
#
# The pristine base is recorded once in a git repository
# (BUILD_DIR/patches/base-NAME.git) whose objects the copy borrows.
set -euo pipefail
repo=$(cd "${1:?usage: patches-check.sh REPO BUILD_DIR linux|xen}" && pwd)
build=$(cd "${2:?}" && pwd)
what=${3:?}
here=$repo/mk
jobs=${JOBS:-$(nproc)}
# shellcheck source=mk/lib.sh
. "$here/lib.sh"

export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=xevt GIT_AUTHOR_EMAIL=xevt@localhost
export GIT_COMMITTER_NAME="Xen events project" GIT_COMMITTER_EMAIL=xen-events@example.invalid

case $what in
linux)
	kver=${KERNEL:-6.1}
	sfx=
	[ "$kver" = 6.1 ] || sfx=-$kver
	name=$kver
	pristine=$build/linux-base$sfx
	;;
xen)
	name=xen
	pristine=$build/xen-src/pristine
	;;
*) echo "patches-check: linux or xen, not $what" >&2; exit 2 ;;
esac
series=$build/patches/$name
chk=$build/patches-check/$name
tree=$chk/tree
bgit=$build/patches/base-$name.git
[ -f "$pristine/.unpacked" ] || { echo "patches-check: no pristine base in $pristine" >&2; exit 1; }
ls "$series"/0001-*.patch >/dev/null 2>&1 || { echo "patches-check: no series in $series (make patches)" >&2; exit 1; }

# The base in git, once (redone when the base is unpacked again).
record_base() {
	rm -rf "$bgit"
	git init -q --bare "$bgit"
	git --git-dir="$bgit" config core.compression 1
	git --git-dir="$bgit" --work-tree="$pristine" add -A -f -- . ':!.unpacked'
	local t c
	t=$(git --git-dir="$bgit" write-tree)
	c=$(GIT_AUTHOR_DATE="@0 +0000" GIT_COMMITTER_DATE="@0 +0000" \
		git --git-dir="$bgit" commit-tree -m "pristine base" "$t")
	git --git-dir="$bgit" update-ref refs/heads/base "$c"
	touch -r "$pristine/.unpacked" "$bgit/stamp"
}
if [ ! -f "$bgit/stamp" ] || [ "$pristine/.unpacked" -nt "$bgit/stamp" ]; then
	step -l "$chk.base.log" "recording the pristine $name base in git, once ($(step_path "$bgit"))" \
		"~1-3 min for Linux, seconds for Xen" record_base
fi

# A fresh copy, known to be the pristine base: the index from the
# recorded tree, refreshed against the files (every file hashed).
fresh_copy() {
	rm -rf "$chk"
	mkdir -p "$chk"
	if [ "$what" = linux ]; then
		cp -al "$pristine" "$tree"
	else
		# Xen's build writes a few files into its source tree.
		cp -a "$pristine" "$tree"
	fi
	rm -f "$tree/.unpacked"
	git -C "$tree" init -q
	echo "$bgit/objects" >"$tree/.git/objects/info/alternates"
	git -C "$tree" config core.autocrlf false
	git -C "$tree" reset -q "$(git --git-dir="$bgit" rev-parse base)"
	git -C "$tree" update-index -q --refresh
	if [ -n "$(git -C "$tree" status --porcelain --untracked-files=no)" ]; then
		echo "the copy of $pristine differs from the recorded base" >&2
		return 1
	fi
}
step -l "$chk.copy.log" "a fresh copy of the pristine $name base in $(step_path "$tree")" \
	"~10-40 s" fresh_copy

# Linux: the configuration of "make kernel", redone after every patch
# (allnoconfig + the fragments) so that symbols a patch adds are taken;
# Kconfig touches only what changed, so kbuild rebuilds only that.
frags=("$repo/configs/kernel.config" "$repo/configs/kunit.config")
kbuild() {
	cd "$tree"
	export CCACHE_BASEDIR=$chk
	export KBUILD_BUILD_TIMESTAMP="2023-01-01"
	export KBUILD_BUILD_USER=xevt KBUILD_BUILD_HOST=build
	mkdir -p obj-main
	cat "${frags[@]}" >obj-main/fragments.config
	make -s O=obj-main CC="ccache gcc" HOSTCC="ccache gcc" \
		KCONFIG_ALLCONFIG=obj-main/fragments.config allnoconfig
	make -s O=obj-main CC="ccache gcc" HOSTCC="ccache gcc" -j"$jobs" bzImage
}

# Xen: as mk/build-xen.sh builds it.
xbuild() {
	unset CFLAGS CXXFLAGS CPPFLAGS LDFLAGS
	export CCACHE_BASEDIR=$chk CCACHE_NOHASHDIR=1
	export DEB_VERSION="patches-check" DEB_MAINTAINER="xevt <xevt@localhost>"
	export XEN_BUILD_DATE="Sun Jan  1 00:00:00 UTC 2023" XEN_BUILD_TIME="00:00:00"
	export XEN_WHOAMI=xevt XEN_DOMAIN=localhost
	export WGET=/bin/false GIT=/bin/false
	local obj=$chk/obj
	mkdir -p "$obj"
	if [ ! -f "$obj/.config" ]; then
		cp "$tree/debian/xen-kconfig" "$obj/.config"
		make -s -C "$tree/xen" O="$obj" XEN_TARGET_ARCH=x86_64 \
			CC="ccache gcc" HOSTCC="ccache gcc" olddefconfig
	fi
	make -s -C "$tree/xen" O="$obj" XEN_TARGET_ARCH=x86_64 \
		CC="ccache gcc" HOSTCC="ccache gcc" -j"$jobs"
}

if [ "$what" = linux ]; then
	objdir=$tree/obj-main
	total=1268
	[ -s "$build/linux$sfx/obj-main/.objects" ] && total=$(cat "$build/linux$sfx/obj-main/.objects")
	est1="~2-4 min with a warm ccache, ~8 min cold"
else
	objdir=$chk/obj
	total=468
	est1="~3 min"
fi
progress() { objects_progress "$objdir" "$total"; }
# A patch's subject, unfolded, without "[PATCH n/m]".
patch_subject() {
	git mailinfo /dev/null /dev/null <"$1" | sed -n 's/^Subject: //p'
}

# The series as it is now ("make patches" may write a new one meanwhile).
cp -r "$series" "$chk/series"
mapfile -t patches < <(ls "$chk/series"/[0-9][0-9][0-9][0-9]-*.patch | grep -v '/0000-cover-letter.patch$')
m=${#patches[@]}
i=0
nok=0
fail=
for p in "${patches[@]}"; do
	i=$((i + 1))
	base=$(basename "$p" .patch)
	num=${base%%-*}
	subject=$(patch_subject "$p")
	log=$chk/$num.log
	if ! git -C "$tree" am -q "$p" >"$log" 2>&1; then
		git -C "$tree" am --abort >/dev/null 2>&1 || true
		echo "not ok $i - $subject # does not apply with git am (see $(step_path "$log"))"
		for ((j = i + 1; j <= m; j++)); do
			echo "not ok $j - $(patch_subject "${patches[j - 1]}") # not reached"
		done
		break
	fi
	why=()
	fpc=0
	if [ "$what" = linux ]; then
		cp=$chk/$num.checkpatch
		(cd "$tree" && ./scripts/checkpatch.pl --strict --show-types "$p") >"$cp" 2>&1 || true
		summary=$(sed -n 's/^total: \([0-9]*\) errors, \([0-9]*\) warnings, \([0-9]*\) checks.*/\1 \2 \3/p' "$cp")
		read -r ce cw cc <<<"${summary:-? ? ?}"
		# FILE_PATH_CHANGES ("does MAINTAINERS need updating?") comes
		# with every new file; it is said, not counted.
		fpc=$(grep -c '^WARNING:FILE_PATH_CHANGES:' "$cp" || true)
		[ "$cw" = "?" ] || cw=$((cw - fpc))
		if [ "$ce $cw $cc" != "0 0 0" ]; then
			why+=("checkpatch --strict: $ce errors, $cw warnings, $cc checks ($(grep -o '^[A-Z]*:[A-Z_]*:' "$cp" | sort | uniq -c | sort -rn | awk '{ sub(/:$/, "", $2); printf "%s%s x%s", n++ ? ", " : "", $2, $1 }'); see $(step_path "$cp"))")
		fi
		est=$est1
		[ $i -eq 1 ] || est="seconds to ~1 min (what the patch touched)"
		builder=kbuild
	else
		est=$est1
		[ $i -eq 1 ] || est="~30 s-1 min (what the patch touched)"
		builder=xbuild
	fi
	if ! step -q -a -l "$log" -p progress "patch $i/$m: building after $num ($subject)" "$est" $builder; then
		why=("does not build (see $(step_path "$log"))" "${why[@]}")
	fi
	if [ ${#why[@]} -eq 0 ]; then
		if [ "$what" = linux ]; then
			if [ "$fpc" -gt 0 ]; then
				echo "ok $i - $subject (builds; checkpatch --strict: clean but for FILE_PATH_CHANGES: new files, no MAINTAINERS hunk)"
			else
				echo "ok $i - $subject (builds; checkpatch --strict: clean)"
			fi
		else
			echo "ok $i - $subject (builds)"
		fi
		nok=$((nok + 1))
	else
		msg=$(printf '%s; ' "${why[@]}")
		echo "not ok $i - $subject # ${msg%; }"
	fi
done

# The fragments all survived Kconfig at the end of the series.
if [ "$what" = linux ] && [ $i -eq "$m" ] && [ -f "$tree/obj-main/.config" ]; then
	if "$here/kconfig-check.sh" "${frags[@]}" "$tree/obj-main/.config" >"$chk/kconfig-check.log" 2>&1; then
		echo "ok - every line of the config fragments is in the series' final .config"
	else
		echo "not ok - config fragments lost by Kconfig at the end of the series (see $(step_path "$chk/kconfig-check.log"))"
		fail=1
	fi
fi
echo "patches-check $name: $nok of $m patches ok"
[ "$nok" -eq "$m" ] && [ -z "$fail" ]
