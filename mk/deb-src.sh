#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# deb-src.sh BUILD_DIR: make "apt-get source" work: add deb-src entries for
# the suites the machine's binary entries use (bookworm, its updates and
# security), then refresh the package lists.  Silent when the entries are
# there already.  Used by mk/xen-deps.sh (Xen's source) and
# mk/insn-plugin.sh (QEMU's plugin header).
set -euo pipefail
build=${1:?usage: deb-src.sh BUILD_DIR}
mkdir -p "$build"
build=$(cd "$build" && pwd)
# shellcheck source=mk/lib.sh
. "$(dirname "$0")/lib.sh"
apt_log=$build/logs/apt.log

srclist=/etc/apt/sources.list.d/xevt-src.sources
[ -f "$srclist" ] && exit 0
echo "==> adding $srclist: deb-src entries, for apt-get source" >&2
cat >"$srclist" <<'EOF'
# Added by the xevt project's mk/deb-src.sh (apt-get source xen, qemu).
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
apt_update
