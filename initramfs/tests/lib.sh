# SPDX-License-Identifier: GPL-2.0
# Helpers shared by /init and the boot tests (sourced, not run).

XEVT_MARK='@@XEVT@@'

# The verdict channel (see mk/check-boot.sh): /init opens the second UART
# (COM2, /dev/ttyS1) on fd 9 and exports XEVT_CHAN_FD=9; verdicts, the
# expected list and "done" are written there, and nothing else is.  They
# also go to the console (stdout) for people reading the serial log.
chan() { [ "${XEVT_CHAN_FD:-}" != 9 ] || echo "$XEVT_MARK $*" >&9; }
say() { echo "$XEVT_MARK $*"; }
report() { echo "$XEVT_MARK | $*"; }
verdict_ok() { say "ok $1"; chan "ok $1"; }
verdict_fail() { say "not ok $1 # $2"; chan "not ok $1 # $2"; }

# Listing (XEVT_LIST=1 in the environment): a test script prints the name
# of every verdict it will give, "xevt-list NAME" each, and runs nothing.
# check() does so by itself; a script whose names come from elsewhere
# (a program, a loop) tests listing and calls list_name or the program's
# list=1.
listing() { [ "${XEVT_LIST:-}" = 1 ]; }
list_name() { echo "xevt-list $1"; }

# xevt_arg NAME: value of xevt.NAME= on the kernel command line.
xevt_arg() {
	tr ' ' '\n' </proc/cmdline | sed -n "s/^xevt\.$1=//p" | tail -n 1
}

# check NAME CMD...: run CMD, print the verdict for NAME; CMD prints the
# reason for a failure on stdout.  When listing: print NAME, run nothing.
check() {
	local name="$1" out
	shift
	if listing; then
		list_name "$name"
		return 0
	fi
	if out=$("$@" 2>&1); then
		verdict_ok "$name"
	else
		verdict_fail "$name" "$(echo "$out" | tail -n 1)"
	fi
}

# The event channel ABI in use, as the kernel spells it: the key
# (fifo, 3level, 2level) that /sys/module/xen/parameters/evtchn_abi reads
# back, else the one in the boot's "xen:events: Using <Name> ABI
# (xen.evtchn_abi=<key>)" line.
abi_key() {
	local k
	k=$(cat /sys/module/xen/parameters/evtchn_abi 2>/dev/null)
	[ -n "$k" ] || k=$(dmesg | sed -n 's/.*xen:events: Using .* ABI (xen\.evtchn_abi=\([^)]*\))$/\1/p' | tail -n 1)
	echo "$k"
}

# Its name for people (FIFO-based, 3-level, 2-level), from the same line:
# the ABI chosen at boot (a run-time switch logs no new "Using" line).
abi_name() {
	dmesg | sed -n 's/.*xen:events: Using \(.*\) ABI (xen\.evtchn_abi=[^)]*)$/\1/p' | tail -n 1
}
