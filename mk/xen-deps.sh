#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# xen-deps.sh BUILD_DIR: what "make xen" needs and "make run" does not:
# the hypervisor's build dependencies, a deb-src entry for bookworm, and
# Debian's xen 4.17 source package unpacked (Debian's own patches applied,
# as dpkg-source leaves it) in BUILD_DIR/xen-src/pristine.
# Idempotent and silent when everything is already there.
set -euo pipefail
build=${1:?usage: xen-deps.sh BUILD_DIR}
mkdir -p "$build"
build=$(cd "$build" && pwd)

# The hypervisor alone: compiler and binutils, make, Kconfig's flex and
# bison, python3 for the generated headers; dpkg-dev unpacks the source.
pkgs=(build-essential python3 flex bison ccache dpkg-dev xz-utils lsb-release)

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing+=("$p")
done

apt_updated=
apt_update() {
	[ -n "$apt_updated" ] && return 0
	echo "xen-deps: apt-get update" >&2
	apt-get update -qq >&2
	apt_updated=1
}

if [ ${#missing[@]} -gt 0 ]; then
	echo "xen-deps: installing ${missing[*]}" >&2
	apt_update
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >&2
fi

# Source entries for the same suites the machine's binary entries use.
srclist=/etc/apt/sources.list.d/xevt-src.sources
if [ ! -f "$srclist" ]; then
	echo "xen-deps: adding $srclist" >&2
	cat >"$srclist" <<'EOF'
# Added by the xevt project's mk/xen-deps.sh (apt-get source xen).
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
	apt_updated=
	apt_update
fi

# The source package, unpacked once.  Preferably the version of the binary
# package that deps.sh boots (the candidate of the same snapshot), so the
# patched and the stock hypervisor differ only by our series; the mirror
# does not always carry that version's source (security updates), so any
# other xen 4.17 source it has, newest first, will do.
src=$build/xen-src
if [ ! -f "$src/pristine/.unpacked" ]; then
	if ! [[ $(apt-cache showsrc xen 2>/dev/null) =~ Package:\ xen ]]; then
		apt_update
	fi
	want=$(apt-cache policy xen-hypervisor-4.17-amd64 |
		sed -n 's/^ *Candidate: //p')
	vers=$( (echo "$want"; apt-cache showsrc xen | sed -n 's/^Version: //p' |
		sort -rV) | grep '^4\.17\.' | awk '!seen[$0]++')
	rm -rf "$src/dl" "$src/pristine"
	got=
	for ver in $vers; do
		mkdir -p "$src/dl"
		echo "xen-deps: fetching the xen $ver source package" >&2
		if (cd "$src/dl" && apt-get source -qq -o APT::Sandbox::User=root \
			"xen=$ver") >"$src/fetch.log" 2>&1; then
			got=$ver
			break
		fi
		echo "xen-deps: xen $ver: $(grep -m1 '^E:' "$src/fetch.log")" >&2
		rm -rf "$src/dl"
	done
	[ -n "$got" ] || { echo "xen-deps: no xen 4.17 source could be fetched" >&2; exit 1; }
	dir=$(find "$src/dl" -mindepth 1 -maxdepth 1 -type d -name 'xen-*')
	[ -f "$dir/xen/Makefile" ] || { echo "xen-deps: no xen/ in $dir" >&2; exit 1; }
	echo "$got" >"$dir/.version"
	mv "$dir" "$src/pristine"
	rm -rf "$src/dl"
	touch "$src/pristine/.unpacked"
fi
