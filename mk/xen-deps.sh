#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# xen-deps.sh BUILD_DIR: what "make xen" needs and "make run" does not:
# the hypervisor's build dependencies, a deb-src entry for bookworm, and
# Debian's xen 4.17 source package unpacked (Debian's own patches applied,
# as dpkg-source leaves it) in BUILD_DIR/xen-src/pristine.
# Idempotent and silent when everything is already there.  One line per
# step (mk/step.sh); apt's output goes to BUILD_DIR/logs/apt.log.
set -euo pipefail
build=${1:?usage: xen-deps.sh BUILD_DIR}
mkdir -p "$build"
build=$(cd "$build" && pwd)
# shellcheck source=mk/lib.sh
. "$(dirname "$0")/lib.sh"
apt_log=$build/logs/apt.log

# The hypervisor alone: compiler and binutils, make, Kconfig's flex and
# bison, python3 for the generated headers; dpkg-dev unpacks the source.
pkgs=(build-essential python3 flex bison ccache dpkg-dev xz-utils lsb-release)

apt_install_missing "to build the hypervisor and unpack its source" "~1 min" \
	"${pkgs[@]}"

# deb-src entries for the same suites (mk/deb-src.sh, shared with
# mk/insn-plugin.sh).
"$(dirname "$0")/deb-src.sh" "$build"

# The source package, unpacked once.  Preferably the version of the binary
# package that deps.sh boots (the candidate of the same snapshot), so the
# patched and the stock hypervisor differ only by our series; the mirror
# does not always carry that version's source (security updates), so any
# other xen 4.17 source it has, newest first, will do.
src=$build/xen-src
fetch_source() {
	local want vers ver got='' dir
	want=$(apt-cache policy xen-hypervisor-4.17-amd64 |
		sed -n 's/^ *Candidate: //p')
	vers=$( (echo "$want"; apt-cache showsrc xen | sed -n 's/^Version: //p' |
		sort -rV) | grep '^4\.17\.' | awk '!seen[$0]++')
	rm -rf "$src/dl" "$src/pristine"
	for ver in $vers; do
		mkdir -p "$src/dl"
		echo "xen-deps: fetching the xen $ver source package"
		if (cd "$src/dl" && apt-get source -o APT::Sandbox::User=root \
			"xen=$ver") >"$src/fetch.log" 2>&1; then
			got=$ver
			break
		fi
		echo "xen-deps: xen $ver: $(grep -m1 '^E:' "$src/fetch.log")"
		rm -rf "$src/dl"
	done
	[ -n "$got" ] || { echo "xen-deps: no xen 4.17 source could be fetched"; exit 1; }
	dir=$(find "$src/dl" -mindepth 1 -maxdepth 1 -type d -name 'xen-*')
	[ -f "$dir/xen/Makefile" ] || { echo "xen-deps: no xen/ in $dir"; exit 1; }
	echo "$got" >"$dir/.version"
	mv "$dir" "$src/pristine"
	rm -rf "$src/dl"
	touch "$src/pristine/.unpacked"
}
if [ ! -f "$src/pristine/.unpacked" ]; then
	if ! [[ $(apt-cache showsrc xen 2>/dev/null) =~ Package:\ xen ]]; then
		apt_update
	fi
	step -l "$build/logs/xen-source.log" \
		"fetching and unpacking Debian's xen 4.17 source package (to patch and build the hypervisor)" \
		"~1-2 min, once" fetch_source
fi
