#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The hypervisor side of the 3-level ABI, probed from dom0 userspace with
# /bin/xen3l_query (tests/userspace/xen3l_query.c) through privcmd; it
# prints its own verdicts and never switches dom0 to 3-level.
#   xevt.xen3l=stock|patched    the hypervisor booted (default patched)
#   xevt.expect_abi=fifo|2level the ABI dom0 runs on (default: the one in
#                               use, lib.sh abi_key)
# The program's verdicts decide (mk/check-boot.sh counts each name it
# listed with list=1); an exit status other than 0 or 1 adds a "not ok
# xen3l_query".  XEVT_LIST=1: print those names, run nothing.
. /tests/lib.sh

bin=/bin/xen3l_query
if [ ! -x "$bin" ]; then
	if listing; then list_name xen3l_query; else verdict_fail xen3l_query "no $bin in the initramfs"; fi
	exit 0
fi
xen=$(xevt_arg xen3l)
abi=$(xevt_arg expect_abi)
[ -n "$abi" ] || abi=$(abi_key)
if listing; then
	"$bin" list=1 "xen=${xen:-patched}" "abi=$abi" | grep '^xevt-list '
	exit 0
fi
timeout -s KILL 120 "$bin" "xen=${xen:-patched}" "abi=$abi"
rc=$?
report "$bin: exit status $rc"
case $rc in
0 | 1) ;; # ran to its end; its verdicts decide
*) verdict_fail xen3l_query "$bin died with exit status $rc (137: killed after 120 s)" ;;
esac
