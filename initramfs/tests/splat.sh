#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The kernel log of the whole boot holds no splat.
#
#   splat.sh start   (first thing /init does) copy every kernel log record
#                    from /dev/kmsg into /tmp/kmsg.log as it is logged, so
#                    records survive the ring buffer wrapping around
#   splat.sh         (last thing /init does) scan that copy: verdicts
#                    "splat_scan_selftest" and "no_kernel_splat"
#   splat.sh list    the names of those two verdicts ("xevt-list NAME")
#
# Why not only panic_on_warn: in 6.1 lockdep reports and "suspicious RCU
# usage" are printed without going through WARN(), so they neither panic
# nor match what mk/boot.sh looks for on the console.
#
# Only records of the kernel facility count.  What userspace writes to
# /dev/kmsg is always logged with a non-zero facility, so no test program
# can fool the scan by printing these words, and test programs' own output
# goes to the console, not to the kernel log.
#
# A test that makes the kernel splat on purpose (xevt-api selftest=1 dumps
# every task's stack with SysRq-t) brackets it by writing to /dev/kmsg
#   xevt: expected splat begin: <test>
#   xevt: expected splat end: <test>
# Kernel records between the two are not scanned (their number is
# reported); a window that is never closed fails the verdict.
#
# Also failing: kernel log records lost before they were copied (the scan
# could not see them), taint flags B, D, W or L (bad page, oops, warning,
# soft lockup), and lockdep having switched itself off.
. /tests/lib.sh

raw=/tmp/kmsg.log
pidfile=/tmp/kmsg.pid

# Fixed strings (grep -F semantics, case-sensitive) that start or make up
# a splat.  Lockdep reports begin with "WARNING: " as well, but the
# descriptions are listed so the verdict names them.
SPLAT_SIGNS='possible circular locking
possible recursive locking
inconsistent lock state
possible irq lock inversion
suspicious RCU usage
sleeping function called from invalid context
trying to register non-static key
WARNING:
BUG:
Oops
Call Trace:
Kernel panic
kernel BUG
general protection fault
Unable to handle kernel
KFENCE:
KASAN:
UBSAN:
ODEBUG:
soft lockup
hard LOCKUP
rcu: INFO:
self-detected stall
blocked for more than
list_add corruption
list_del corruption
apparently not enabled'

# Known splats of the test environment, not of the code under test: a
# record starting with one of these, and the stack dump right after it
# ("Call Trace:", "<TASK>", frame lines, up to "</TASK>"), are not
# counted; the verdict's report lines say how many were left out.
#
# - The AMD E400 check at boot (arch_post_acpi_subsys_init()) reads
#   MSR_K8_INT_PENDING_MSG (0xc0010055) because QEMU's qemu64 CPU says
#   AuthenticAMD family 15; Xen does not give that MSR to a PV dom0, so
#   the read faults and the kernel prints it with a stack dump, once.
SPLAT_KNOWN='unchecked MSR access error: RDMSR from 0xc0010055 '

capture_start() {
	[ -r /dev/kmsg ] || return 0
	(
		while [ ! -e /tmp/kmsg.stop ]; do
			# A reader that fell behind gets EPIPE and cat exits:
			# start again from the oldest record (duplicates are
			# dropped by the scan, gaps are counted as lost).
			cat /dev/kmsg >>"$raw" 2>/dev/null &
			echo $! >"$pidfile"
			wait $!
			sleep 1
		done
	) >/dev/null 2>&1 &
}

capture_stop() {
	[ -f "$pidfile" ] || return 1
	# Let the reader catch up with the records logged just now.
	sleep 1
	touch /tmp/kmsg.stop
	kill "$(cat "$pidfile")" 2>/dev/null
	sleep 1
	return 0
}

# scan FILE: FILE holds /dev/kmsg records ("prio,seq,usec,flags;text").
# Prints one line per finding, oldest first:
#   hit|<seq>|<text>        kernel record matching a splat signature
#   known|<n>|<text>        n records of a known splat (SPLAT_KNOWN) left out
#   lost|<n>|<first seq>    n records were never read (first missing seq)
#   quiet|<n>|<tests>       n kernel records inside expected-splat windows
#   open|<test>             a window that was never closed
scan() {
	{
		printf '%s\n' "$SPLAT_SIGNS" | sed 's/^/s /'
		printf '%s\n' "$SPLAT_KNOWN" | sed 's/^/k /'
	} | awk -F'\n' '
	NR == FNR && /^s / { sign[++nsign] = substr($0, 3); next }
	NR == FNR && /^k / { if (length($0) > 2) known[++nknown] = substr($0, 3); next }
	NR == FNR { next }
	!/^[0-9]+,[0-9]+,/ { next }	# continuation lines (" KEY=value")
	{
		semi = index($0, ";")
		if (!semi)
			next
		split(substr($0, 1, semi - 1), f, ",")
		text = substr($0, semi + 1)
		seq = f[2] + 0
		if (seq < want)
			next		# read twice after a restart
		if (seq > want) {
			if (!lost)
				firstlost = want
			lost += seq - want
		}
		want = seq + 1
		if (int(f[1] / 8) != 0) {	# not the kernel facility
			if (text ~ /^xevt: expected splat begin: /) {
				sub(/^xevt: expected splat begin: /, "", text)
				window = text
				windows = windows (windows == "" ? "" : ",") text
			} else if (text ~ /^xevt: expected splat end: /) {
				window = ""
			}
			next
		}
		if (window != "") {
			quiet++
			next
		}
		# Inside a known splat: its stack dump, up to "</TASK>".
		if (inknown) {
			if (text ~ /^(Call Trace:| <\/?TASK>| [^ ].*\+0x[0-9a-f]+\/0x[0-9a-f]+)/ && inknown < 60) {
				inknown++
				knownn[kidx]++
				if (text ~ /^ <\/TASK>/)
					inknown = 0
				next
			}
			inknown = 0
		}
		for (i = 1; i <= nknown; i++)
			if (index(text, known[i]) == 1) {
				inknown = 1
				kidx = i
				knownn[i]++
				next
			}
		for (i = 1; i <= nsign; i++)
			if (index(text, sign[i])) {
				print "hit|" seq "|" text
				break
			}
	}
	END {
		for (i = 1; i <= nknown; i++)
			if (knownn[i])
				print "known|" knownn[i] "|" known[i]
		if (lost)
			print "lost|" lost "|" firstlost
		if (quiet)
			print "quiet|" quiet "|" windows
		if (window != "")
			print "open|" window
	}' - "$1"
}

# The scan itself must be able to fail: feed it a made-up log.
selftest() {
	local t=/tmp/kmsg.selftest out
	cat >"$t" <<-'EOF'
	6,0,100,-;Linux version 6.1
	4,1,200,-;------------[ cut here ]------------
	4,2,300,-;WARNING: CPU: 1 PID: 7 at drivers/xen/events/events_base.c:1 f+0x1/0x2
	 SUBSYSTEM=xen
	4,3,400,-;WARNING: suspicious RCU usage
	12,4,500,-;WARNING: written by a test program
	12,5,600,-;xevt: expected splat begin: t1
	4,6,700,-;Call Trace:
	12,7,800,-;xevt: expected splat end: t1
	4,6,700,-;Call Trace:
	6,9,900,-;all quiet
	4,10,910,-;unchecked MSR access error: RDMSR from 0xc0010055 at rIP: 0x1 (f+0x56/0x70)
	4,11,911,-;Call Trace:
	4,12,912,-; <TASK>
	4,13,913,-; ? xen_read_msr+0x21/0x30
	4,14,914,-; </TASK>
	4,15,915,-;Call Trace:
	4,16,916,-;unchecked MSR access error: RDMSR from 0xc0010056 at rIP: 0x1 (f+0x56/0x70)
	12,17,950,-;xevt: expected splat begin: t2
	4,18,990,-;BUG: left open
	EOF
	out=$(scan "$t" | tr '\n' '#')
	local want='hit|2|WARNING: CPU: 1 PID: 7 at drivers/xen/events/events_base.c:1 f+0x1/0x2#'
	want="${want}hit|3|WARNING: suspicious RCU usage#hit|15|Call Trace:#"
	want="${want}known|5|unchecked MSR access error: RDMSR from 0xc0010055 #"
	want="${want}lost|1|8#quiet|2|t1,t2#open|t2#"
	[ "$out" = "$want" ] || { echo "scan of a made-up log gave '$out', want '$want'"; return 1; }
}

# Taint flags that only a splat sets (see Documentation/admin-guide/
# tainted-kernels.rst): B bad page 5, D oops 7, W warning 9, L soft lockup 14.
taint_flags() {
	local t f=
	t=$(cat /proc/sys/kernel/tainted 2>/dev/null) || return 0
	[ $(((t >> 5) & 1)) -eq 0 ] || f="${f}B"
	[ $(((t >> 7) & 1)) -eq 0 ] || f="${f}D"
	[ $(((t >> 9) & 1)) -eq 0 ] || f="${f}W"
	[ $(((t >> 14) & 1)) -eq 0 ] || f="${f}L"
	echo "$f"
}

# no_splat: the verdict no_kernel_splat, with report lines around the
# first splat (so not through check(), which keeps only the last line).
no_splat() {
	local out first n seq quiet taint dl why=
	if [ ! -s "$raw" ]; then
		verdict_fail no_kernel_splat "no copy of the kernel log ($raw): /dev/kmsg unreadable?"
		return
	fi
	out=$(scan "$raw")
	report "no_kernel_splat: $(grep -c '^[0-9]*,[0-9]*,' "$raw") kernel log records read"
	echo "$out" | sed -n 's/^known|\([0-9]*\)|\(.*\)/\1 \2/p' | while read -r n what; do
		report "no_kernel_splat: known environment splat left out ($n records): $what"
	done
	quiet=$(echo "$out" | sed -n 's/^quiet|//p')
	[ -z "$quiet" ] ||
		report "no_kernel_splat: ${quiet%%|*} kernel records inside the expected-splat windows of ${quiet#*|} not scanned"
	n=$(echo "$out" | grep -c '^hit|')
	if [ "$n" -gt 0 ]; then
		first=$(echo "$out" | sed -n 's/^hit|[0-9]*|//p' | head -n 1)
		seq=$(echo "$out" | sed -n 's/^hit|\([0-9]*\)|.*/\1/p' | head -n 1)
		# The first splat and what follows it, for the serial log.
		awk -v s="$seq" '/^[0-9]+,[0-9]+,/ {
			split(substr($0, 1, index($0, ";") - 1), f, ",")
			q = f[2] + 0
			if (q >= s && q < s + 30 && !seen[q]++)
				print substr($0, index($0, ";") + 1)
		}' "$raw" | while IFS= read -r l; do report "splat: $l"; done
		why="$first ($n splat lines in all)"
	elif echo "$out" | grep -q '^open|'; then
		why="the expected-splat window of $(echo "$out" | sed -n 's/^open|//p') was never closed"
	elif echo "$out" | grep -q '^lost|'; then
		why=$(echo "$out" | sed -n 's/^lost|\([0-9]*\)|\(.*\)/\1 kernel log records from seq \2 on were lost before they could be scanned/p')
	else
		taint=$(taint_flags)
		[ -z "$taint" ] ||
			why="kernel tainted '$taint' ($(cat /proc/sys/kernel/tainted)) though no splat line was found"
		if [ -z "$why" ] && [ -r /proc/lockdep_stats ]; then
			dl=$(sed -n 's/^ *debug_locks: *//p' /proc/lockdep_stats)
			[ "$dl" != 0 ] || why="lockdep switched itself off (debug_locks: 0) though no splat line was found"
		fi
	fi
	if [ -n "$why" ]; then
		verdict_fail no_kernel_splat "$why"
	else
		verdict_ok no_kernel_splat
	fi
}

case ${1:-check} in
start) capture_start ;;
list)
	list_name splat_scan_selftest
	list_name no_kernel_splat
	;;
check)
	check splat_scan_selftest selftest
	if capture_stop; then
		no_splat
	else
		verdict_fail no_kernel_splat "the kernel log was not copied (splat.sh start did not run)"
	fi
	;;
*) echo "usage: splat.sh [start|check|list]" >&2; exit 64 ;;
esac
