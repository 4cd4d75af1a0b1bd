#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The hypervisor side of the 3-level ABI, probed from dom0 userspace with
# /bin/xen3l_query (tests/userspace/xen3l_query.c) through privcmd; it
# prints its own verdicts and never switches dom0 to 3-level.
#   xevt.xen3l=stock|patched    the hypervisor booted (default patched)
#   xevt.expect_abi=fifo|2level the ABI dom0 runs on (default: the one in
#                               use, lib.sh abi_key)
. /tests/lib.sh

bin=/bin/xen3l_query
if [ ! -x "$bin" ]; then
	verdict_fail xen3l_query "no $bin in the initramfs"
	exit 0
fi
xen=$(xevt_arg xen3l)
abi=$(xevt_arg expect_abi)
[ -n "$abi" ] || abi=$(abi_key)
timeout -s KILL 120 "$bin" "xen=${xen:-patched}" "abi=$abi"
rc=$?
report "$bin: exit status $rc"
case $rc in
0 | 1) ;;
*) verdict_fail xen3l_query "$bin died with exit status $rc (137: killed after 120 s)" ;;
esac
