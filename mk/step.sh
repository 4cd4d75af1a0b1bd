#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# step.sh: what a long step prints.  Sourced by mk/*.sh (defines "step"), or
# run as a command (from the Makefile) with the same arguments:
#
#   step [-l LOG] [-a] [-q] [-T FILE] [-p CMD2] WHAT ESTIMATE CMD...
#
# Prints, on stderr, one line saying what the step does, how long it usually
# takes and where its log is:
#
#   ==> building the dom0 kernel (cold: ~7 min on 2 cores; warm: ~1 min); log: build/logs/kernel-main.log
#
# and runs CMD with its stdout and stderr in LOG (-a: appended), never on the
# terminal.  While CMD runs, a progress line: on a terminal one line updated
# in place (\r) every second, otherwise a plain line every STEP_HEARTBEAT
# seconds (default 25, so never 30 s without a line), e.g.
#
#       2:05  803/1268 objects
#
# CMD2 (-p), when given, is a shell command (eval'ed in the caller's context)
# whose output is added to that line.  A step that printed progress ends with "    done in M:SS"; one
# that finished before its first progress line prints nothing more (-q: nor
# does one that did; the caller prints its own verdict line).  On
# failure it prints
#
#   FAILED: WHAT (exit N after M:SS); last 20 lines of LOG:
#     | ...
#   full log: LOG
#
# and returns CMD's exit status.  -T FILE names FILE instead of LOG and shows
# its tail (a boot's serial log; LOG's when FILE stayed empty).  Environment: STEP_HEARTBEAT (seconds), STEP_TAIL
# (lines shown on failure, default 20), STEP_TTY (1: update one line in place,
# 0: plain lines; default: whether stderr is a terminal), STEP_LOGDIR (where
# LOG goes when -l is not given; default build/logs).

# M:SS
step_clock() { printf '%d:%02d' $(($1 / 60)) $(($1 % 60)); }

# A path as the user would type it: relative to the current directory when
# under it.
step_path() {
	case $1 in
	"$PWD"/*) echo "${1#"$PWD"/}" ;;
	*) echo "$1" ;;
	esac
}

step() {
	local log='' append='' tailf='' prog='' quiet='' OPTIND=1 o
	while getopts l:aqT:p: o; do
		case $o in
		l) log=$OPTARG ;; a) append=1 ;; q) quiet=1 ;; T) tailf=$OPTARG ;; p) prog=$OPTARG ;;
		*) echo "step: bad option" >&2; return 64 ;;
		esac
	done
	shift $((OPTIND - 1))
	local what=${1:?step: WHAT} est=${2:?step: ESTIMATE}
	shift 2
	if [ -z "$log" ]; then
		log=${STEP_LOGDIR:-build/logs}/$(echo "$what" | tr -cs 'A-Za-z0-9' '-' | sed 's/^-//; s/-$//').log
	fi
	mkdir -p "$(dirname "$log")"
	[ -n "$append" ] || : >"$log"
	local tty=${STEP_TTY:-}
	if [ -z "$tty" ]; then
		if [ -t 2 ]; then tty=1; else tty=0; fi
	fi
	local hb=${STEP_HEARTBEAT:-25}
	echo "==> $what ($est); log: $(step_path "${tailf:-$log}")" >&2

	local start=$SECONDS pid rc=0 last=$SECONDS shown='' n=0 line extra
	"$@" >>"$log" 2>&1 </dev/null &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		# Short naps first, so that a quick step returns at once.
		if [ $n -lt 10 ]; then sleep 0.1; else sleep 1; fi
		n=$((n + 1))
		kill -0 "$pid" 2>/dev/null || break
		local el=$((SECONDS - start))
		if [ "$tty" = 1 ]; then
			[ $el -ge 1 ] || continue
		else
			[ $((SECONDS - last)) -ge "$hb" ] || continue
			last=$SECONDS
		fi
		extra=
		[ -z "$prog" ] || extra=$(eval "$prog" 2>/dev/null)
		line="    $(step_clock $el)${extra:+  $extra}"
		if [ "$tty" = 1 ]; then
			printf '\r%s\033[K' "$line" >&2
		else
			echo "$line" >&2
		fi
		shown=1
	done
	wait "$pid" || rc=$?
	local el=$((SECONDS - start))
	[ "$tty" = 1 ] && [ -n "$shown" ] && printf '\r\033[K' >&2
	if [ $rc -ne 0 ]; then
		local t=${tailf:-$log} nl=${STEP_TAIL:-20}
		[ -s "$t" ] || t=$log
		echo "FAILED: $what (exit $rc after $(step_clock $el)); last $nl lines of $(step_path "$t"):" >&2
		tail -n "$nl" "$t" 2>/dev/null | tr -d '\r' | sed 's/^/  | /' >&2
		echo "full log: $(step_path "$t")" >&2
		return $rc
	fi
	if [ -n "$shown" ] && [ -z "$quiet" ]; then
		echo "    done in $(step_clock $el)" >&2
	fi
	return 0
}

# objects_progress DIR TOTAL: "N/TOTAL objects" (.o files under DIR).
objects_progress() {
	local n
	n=$(find "$1" -name '*.o' 2>/dev/null | wc -l)
	echo "$n/$2 objects"
}

# boot_progress SERIAL_LOG: how far a boot (mk/boot.sh) has come.
boot_progress() {
	local v
	if grep -qa '^@@XEVT@@' "$1" 2>/dev/null; then
		v=$(grep -ac '^@@XEVT@@ \(not \)\{0,1\}ok ' "$1")
		echo "dom0 up, initramfs running its tests ($v verdicts so far)"
	elif grep -qa 'Linux version' "$1" 2>/dev/null; then
		echo "Xen up, dom0 kernel booting"
	else
		echo "Xen booting"
	fi
}

# Run as a command: mk/step.sh [options] WHAT ESTIMATE CMD...
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -uo pipefail
	step "$@"
	exit $?
fi
