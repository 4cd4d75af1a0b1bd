#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# patches.sh REPO BUILD_DIR linux|xen: write the git format-patch series
# of the overlay for the base KERNEL (6.1 or 6.12) into
# BUILD_DIR/patches/KERNEL/, or of xen/patches/ for Debian's Xen 4.17
# source into BUILD_DIR/patches/xen/, each with a cover letter.  The last
# line printed is the directory.
#
# The series is made in a small git repository (BUILD_DIR/patches/
# work-NAME) that holds only the files the series touches, as the
# pristine base has them; each commit of mk/patches/linux.series is made
# there and format-patch writes them out.  Blob ids are those of the
# whole tree's files, so the patches apply with git am (3-way included)
# to a git tree of the pristine base.  Dates and identity are fixed: the
# same inputs give the same files.
set -euo pipefail
repo=$(cd "${1:?usage: patches.sh REPO BUILD_DIR linux|xen}" && pwd)
build=$(cd "${2:?}" && pwd)
what=${3:?}
here=$repo/mk
spec=$here/patches
# shellcheck source=mk/lib.sh
. "$here/lib.sh"

ident_name="Xen events project"
ident_mail="xen-events@example.invalid"
export GIT_AUTHOR_NAME=$ident_name GIT_AUTHOR_EMAIL=$ident_mail
export GIT_COMMITTER_NAME=$ident_name GIT_COMMITTER_EMAIL=$ident_mail
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
signoff="Signed-off-by: $ident_name <$ident_mail>"
# Commit N is dated N minutes after this.
epoch=$(date -d '2026-12-07 12:00:00 UTC' +%s)

die() { echo "patches: $*" >&2; exit 1; }

# The overlay's files, as mk/prepare-tree.sh finds them.
overlay_dirs=(arch drivers include Documentation tools kernel lib)
overlay_files() {
	local d
	for d in "${overlay_dirs[@]}"; do
		[ -d "$repo/$d" ] || continue
		(cd "$repo" && find "$d" -type f ! -name '*.o' ! -name '.*')
	done | LC_ALL=C sort
}

# The files a plain or git diff writes to (its +++ lines, "b/" dropped).
patch_files() {
	sed -n 's/^+++ b\/\([^\t]*\).*/\1/p' "$1"
}

# The message of a numbered patch of patches/: what comes before "---".
patch_message() {
	sed -n '/^---$/q; p' "$1"
}

# git, in the work repository, with fixed dates for commit number $n.
n=0
wgit() {
	local d="@$((epoch + n * 60)) +0000"
	GIT_AUTHOR_DATE=$d GIT_COMMITTER_DATE=$d git -C "$work" "$@"
}

# commit MSGFILE: everything in the work tree, the message with the
# sign-off appended.
commit() {
	local msg=$1
	n=$((n + 1))
	{ sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$msg"; echo; echo "$signoff"; } >"$work.msg"
	wgit add -A
	wgit commit -q --cleanup=whitespace -F "$work.msg"
	rm -f "$work.msg"
}

# The work repository: FILES (relative paths) as BASE has them.
init_work() {
	local base=$1 f
	shift
	rm -rf "$work"
	mkdir -p "$work"
	for f in "$@"; do
		[ -f "$base/$f" ] || continue
		mkdir -p "$work/$(dirname "$f")"
		cp "$base/$f" "$work/$f"
	done
	git -C "$work" init -q
	git -C "$work" config core.autocrlf false
	wgit add -A
	wgit commit -q --allow-empty -m "pristine base"
	wgit tag base
}

# write_out OUT COVER BASENAME: format-patch with a cover letter whose
# subject and blurb are COVER's first line and the rest, @BASE@ replaced.
write_out() {
	local out=$1 cover=$2 basename=$3 c
	rm -rf "$out"
	mkdir -p "$out"
	wgit format-patch -q --no-renames --binary --cover-letter \
		--no-signature -o "$out" base..HEAD
	c=$(ls "$out"/0000-cover-letter.patch)
	python3 - "$c" "$cover" "$basename" <<'EOF'
import sys
path, cover, base = sys.argv[1:]
text = open(cover).read().replace('@BASE@', base)
subject, _, blurb = text.partition('\n')
s = open(path).read()
s = s.replace('*** SUBJECT HERE ***', subject)
s = s.replace('*** BLURB HERE ***', blurb.strip('\n'))
open(path, 'w').write(s)
EOF
}

linux() {
	local kver=${KERNEL:-6.1} sfx= base series line cmd name
	[ "$kver" = 6.1 ] || sfx=-$kver
	base=$build/linux-base$sfx
	[ -f "$base/.unpacked" ] || die "no pristine base in $base (make tree KERNEL=$kver)"
	work=$build/patches/work-$kver
	series=$spec/linux.series

	# Numbered patches of this base (patches/ and patches/KERNEL/ hold
	# different numbers; mk/lib.sh's tree_patch applies both).
	declare -A numbered=() applied=()
	local p num
	for p in "$repo"/patches/*.patch "$repo/patches/$kver"/*.patch; do
		[ -e "$p" ] || continue
		num=${p##*/}
		num=${num%%-*}
		[ -z "${numbered[$num]:-}" ] || die "two patches $num for $kver"
		numbered[$num]=$p
	done

	# Every file the series touches, for the work repository.
	local -a touched
	mapfile -t touched < <({ overlay_files; for p in "${numbered[@]}"; do patch_files "$p"; done; } | LC_ALL=C sort -u)
	init_work "$base" "${touched[@]}"

	# The overlay's files, and which of them a commit has added.
	local -a ofiles
	mapfile -t ofiles < <(overlay_files)
	declare -A added=() skipped=() held=()
	local msg="" f x path sedx
	local -a adds=() excl=() holds=()

	flush() {
		[ -n "$name" ] || return 0
		local f x a
		for a in "${adds[@]}"; do
			for f in "${ofiles[@]}"; do
				case $f in "$a" | "${a%/}/"*) ;; *) continue ;; esac
				[ -z "${added[$f]:-}" ] || continue
				for x in "${excl[@]}"; do [ "$f" != "$x" ] || continue 2; done
				for x in "${holds[@]}"; do [ "$f" != "${x%%	*}" ] || continue 2; done
				mkdir -p "$work/$(dirname "$f")"
				cp "$repo/$f" "$work/$f"
				added[$f]=1
				unset "held[$f]"
			done
		done
		for x in "${holds[@]}"; do
			f=${x%%	*}
			mkdir -p "$work/$(dirname "$f")"
			sed -e "${x#*	}" "$repo/$f" >"$work/$f"
			cmp -s "$repo/$f" "$work/$f" && die "$name: hold of $f changes nothing"
			held[$f]=1
		done
		if [ -z "$msg" ]; then
			[ -f "$spec/$name.msg" ] || die "$name: no mk/patches/$name.msg and no numbered patch"
			msg=$spec/$name.msg
		fi
		commit "$msg"
		[ -n "$(git -C "$work" diff --name-only HEAD~1 HEAD)" ] || die "$name: empty commit"
		name= msg= adds=() excl=() holds=()
	}

	name=
	while read -r cmd line; do
		case $cmd in
		'' | '#'*) continue ;;
		patch)
			flush
			name=$line
			[ ! -f "$spec/$name.msg" ] || msg=$spec/$name.msg
			;;
		apply)
			p=${numbered[$line]:-}
			[ -n "$p" ] || die "$name: no patch $line for $kver"
			[ -z "${applied[$line]:-}" ] || die "$name: $line applied twice"
			patch -d "$work" -p1 -s -N --no-backup-if-mismatch -r - <"$p" >&2 ||
				die "$name: ${p#"$repo"/} does not apply"
			applied[$line]=1
			if [ -z "$msg" ]; then
				msg=$work.hdr
				patch_message "$p" >"$msg"
			fi
			;;
		add)
			for x in $line; do
				case $x in
				!*) excl+=("${x#!}") ;;
				*) adds+=("$x") ;;
				esac
			done
			;;
		hold)
			path=${line%% *}
			sedx=${line#* }
			holds+=("$path	$sedx")
			;;
		skip)
			flush
			for x in $line; do
				for f in "${ofiles[@]}"; do
					case $f in "$x" | "${x%/}/"*) skipped[$f]=1 ;; esac
				done
			done
			;;
		*) die "linux.series: unknown line: $cmd $line" ;;
		esac
	done <"$series"
	flush
	rm -f "$work.hdr"

	# Everything in the overlay is in the series (as it is) or skipped,
	# every numbered patch applied.
	for f in "${ofiles[@]}"; do
		[ -n "${skipped[$f]:-}" ] && continue
		[ -n "${added[$f]:-}" ] || die "$f: in the overlay, in no commit (mk/patches/linux.series)"
		cmp -s "$repo/$f" "$work/$f" || die "$f: the series' last version is not the overlay's"
	done
	for num in "${!numbered[@]}"; do
		[ -n "${applied[$num]:-}" ] || die "${numbered[$num]#"$repo"/}: applied by no commit"
	done

	local ver
	ver=$(dpkg-query -W -f='${Version}' "linux-source-$kver" 2>/dev/null || echo unknown)
	write_out "$build/patches/$kver" "$spec/cover-linux.txt" \
		"linux-source-$kver $ver (Linux $(make -s -C "$base" kernelversion 2>/dev/null))"
	echo "patches: $(($(ls "$build/patches/$kver" | wc -l) - 1)) patches and a cover letter for linux-source-$kver" >&2
	echo "$build/patches/$kver"
}

xen() {
	local pristine=$build/xen-src/pristine p f
	[ -f "$pristine/.unpacked" ] || die "no Xen source in $pristine (make xen)"
	work=$build/patches/work-xen
	local -a touched
	mapfile -t touched < <(for p in "$repo"/xen/patches/*.patch; do patch_files "$p"; done | LC_ALL=C sort -u)
	init_work "$pristine" "${touched[@]}"
	for p in "$repo"/xen/patches/*.patch; do
		wgit apply --whitespace=nowarn "$p" || die "${p#"$repo"/} does not apply"
		# Subject (unfolded, without [PATCH n/m]) and body, as git am
		# would take them.
		git mailinfo -k "$work.body" /dev/null <"$p" >"$work.info"
		{
			sed -n 's/^Subject: //p' "$work.info" | sed 's/^\[PATCH[^]]*\] *//'
			echo
			sed '/^Signed-off-by: /d' "$work.body"
		} >"$work.hdr"
		commit "$work.hdr"
	done
	rm -f "$work.body" "$work.info" "$work.hdr"
	local ver
	ver=$(sed -n '1s/^xen (\([^)]*\)).*/\1/p' "$pristine/debian/changelog")
	write_out "$build/patches/xen" "$spec/cover-xen.txt" "xen $ver source package (Xen 4.17)"
	echo "patches: $(($(ls "$build/patches/xen" | wc -l) - 1)) patches and a cover letter for Xen $ver" >&2
	echo "$build/patches/xen"
}

case $what in
linux) linux ;;
xen) xen ;;
*) die "linux or xen, not $what" ;;
esac
