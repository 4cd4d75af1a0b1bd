#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# insn-plugin.sh REPO BUILD_DIR: "make insn-plugin".  Builds the
# instruction-counting TCG plugin tools/insn-count/insn-count.c into
# BUILD_DIR/insn-count.so and prints its path.
#
# Debian's qemu-system-x86 loads plugins but ships no plugin header: the
# header comes from Debian's QEMU source package, of the version installed
# when the mirror has it.  Only the orig tarball is downloaded (24 MB,
# once), only include/qemu/qemu-plugin.h is taken out of it (into
# BUILD_DIR/qemu-plugin/), and the download is deleted.
set -euo pipefail
repo=$(cd "${1:?usage: insn-plugin.sh REPO BUILD_DIR}" && pwd)
mkdir -p "${2:?}"
build=$(cd "$2" && pwd)
here=$repo/mk
# shellcheck source=mk/step.sh
. "$here/step.sh"
hdir=$build/qemu-plugin
src=$repo/tools/insn-count/insn-count.c
so=$build/insn-count.so

command -v qemu-system-x86_64 >/dev/null || make -C "$repo" --no-print-directory BUILD="$build" deps >&2

fetch_header() {
	local want ver dl tarball
	want=$(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null |
		sed 's/+b[0-9]*$//')
	dl=$hdir/dl
	rm -rf "$dl" && mkdir -p "$dl"
	for ver in $want ""; do
		echo "insn-plugin: fetching the qemu${ver:+ $ver} source package (download only)"
		if (cd "$dl" && apt-get source --download-only \
			-o APT::Sandbox::User=root "qemu${ver:+=$ver}"); then
			break
		fi
		[ -n "$ver" ] || return 1
	done
	tarball=$(find "$dl" -maxdepth 1 -name 'qemu_*.orig.tar.*' | head -n 1)
	[ -n "$tarball" ] || { echo "insn-plugin: no orig tarball in $dl"; return 1; }
	tar -xf "$tarball" -C "$dl" --wildcards '*/include/qemu/qemu-plugin.h'
	mv "$(find "$dl" -path '*/include/qemu/qemu-plugin.h' | head -n 1)" "$hdir/"
	find "$dl" -maxdepth 1 -name '*.dsc' -exec sed -n 's/^Version: /from qemu source /p' {} \; \
		>"$hdir/VERSION"
	rm -rf "$dl"
}

if [ ! -s "$hdir/qemu-plugin.h" ]; then
	if ! [[ $(apt-cache showsrc qemu 2>/dev/null) =~ Package:\ qemu ]]; then
		"$here/deb-src.sh" "$build"
	fi
	mkdir -p "$hdir"
	step -l "$build/logs/qemu-plugin-header.log" \
		"fetching qemu-plugin.h from Debian's QEMU source package (24 MB download, header kept)" \
		"~10-30 s, once" fetch_header
fi

if [ ! -s "$so" ] || [ "$src" -nt "$so" ] || [ "$hdir/qemu-plugin.h" -nt "$so" ]; then
	gcc -O2 -Wall -Wextra -Wno-unused-parameter -Werror -shared -fPIC -fvisibility=hidden \
		-I "$hdir" -o "$so.tmp" "$src" -lpthread
	mv "$so.tmp" "$so"
fi
echo "$so"
