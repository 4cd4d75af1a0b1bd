#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test-step.sh WORKDIR: tests of the progress reporter (mk/step.sh) and of
# mk/quiet-output.sh, run by check-host.sh.  Prints one "ok name" /
# "not ok name # why" line per test (the *.results format).  A short
# heartbeat (STEP_HEARTBEAT=1) keeps the whole run under 15 seconds.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:?usage: test-step.sh WORKDIR}
rm -rf "$work" && mkdir -p "$work"
cd "$work" || exit 1

verdict() {	# verdict NAME WHY: ok when WHY is empty
	if [ -z "$2" ]; then echo "ok host step: $1"; else echo "not ok host step: $1 # $2"; fi
}

stamped() {	# stamped OUT CMD...: CMD's stderr in OUT, "time line" in OUT.t
	local out=$1
	shift
	: >"$out.t"
	{ "$@" 2>&1 >/dev/null; echo "rc=$?"; } | while IFS= read -r l; do
		echo "$(date +%s.%N) $l" >>"$out.t"
		echo "$l"
	done >"$out"
}

noisy() {	# noisy N SECONDS RC: N lines of compiler-like output over SECONDS
	local i
	for i in $(seq 1 "$1"); do echo "gcc -c line $i"; done
	sleep "$2"
	echo "last line"
	return "$3"
}
export -f noisy

# 1. A long step (5 s) with a 1 s heartbeat on plain lines: a progress line
# at least every 3 s (1 s, the 1 s poll and slack for a loaded machine; with
# the default 25 s that is the promised 30 s), none of the command's output.
STEP_TTY=0 STEP_HEARTBEAT=1 stamped long.out "$here/step.sh" -l long.log \
	-p 'echo 7/9 objects' "simulated long step" "~5 s" bash -c 'noisy 50 5 0'
why=
grep -q '^==> simulated long step (~5 s); log: long.log$' long.out || why="no announcement line"
np=$(grep -c '^    0:0[0-9]  7/9 objects$' long.out)
[ "$np" -ge 3 ] || why="${why:+$why; }$np progress lines in 5 s, want >= 3"
grep -q '^    done in 0:0[4-7]$' long.out || why="${why:+$why; }no 'done in' line"
grep -q 'gcc' long.out && why="${why:+$why; }the command's output reached the terminal"
grep -q '^rc=0$' long.out || why="${why:+$why; }status $(grep '^rc=' long.out)"
gap=$(grep -v ' rc=' long.out.t | awk 'NR > 1 { g = $1 - p; if (g > m) m = g } { p = $1 } END { printf "%.1f", m }')
awk -v g="$gap" 'BEGIN { exit !(g <= 3.0) }' || why="${why:+$why; }a silent gap of $gap s"
grep -q '^gcc -c line 50$' long.log || why="${why:+$why; }output not in the log"
verdict "a long step prints a progress line at least every STEP_HEARTBEAT (here 1) + 2 s" "${why:+$why; largest gap $gap s}"

# 2. The same on a terminal: one line updated in place (\r), then "done".
STEP_TTY=1 STEP_HEARTBEAT=1 "$here/step.sh" -l tty.log -p 'echo 3/9 objects' \
	"simulated step on a terminal" "~3 s" bash -c 'noisy 5 3 0' 2>tty.out
why=
nl=$(wc -l <tty.out)
ncr=$(tr -cd '\r' <tty.out | wc -c)
[ "$nl" -eq 2 ] || why="$nl lines, want 2 (announcement, done)"
[ "$ncr" -ge 2 ] || why="${why:+$why; }$ncr carriage returns, want >= 2"
grep -q $'\r    0:0[0-9]  3/9 objects' tty.out || why="${why:+$why; }no updating progress line"
verdict "on a terminal the progress is one line updated in place" "$why"

# 3. A quiet step: done before the first heartbeat, it prints its one line
# and nothing else, whatever its command printed.
STEP_TTY=0 STEP_HEARTBEAT=1 "$here/step.sh" -l quiet.log "quick step" "seconds" \
	bash -c 'noisy 100 0 0' 2>quiet.out
rc=$?
why=
[ $rc -eq 0 ] || why="status $rc"
[ "$(wc -l <quiet.out)" -eq 1 ] || why="${why:+$why; }$(wc -l <quiet.out) lines, want 1: $(tr '\n' '/' <quiet.out)"
[ "$(grep -c '^gcc' quiet.log)" -eq 100 ] || why="${why:+$why; }the log lacks the output"
verdict "a quick step prints one line and keeps its output in its log" "$why"

# 4. A failing step: its status, "FAILED", the last 20 lines of the log and
# the log's path.
STEP_TTY=0 STEP_HEARTBEAT=1 "$here/step.sh" -l "$work/fail.log" "failing step" "seconds" \
	bash -c 'noisy 30 0 3' 2>fail.out
rc=$?
why=
[ $rc -eq 3 ] || why="status $rc, want 3"
grep -q '^FAILED: failing step (exit 3 after 0:0[0-9]); last 20 lines of' fail.out || why="${why:+$why; }no FAILED line"
grep -q '^  | last line$' fail.out || why="${why:+$why; }no tail"
grep -q '^  | gcc -c line 12$' fail.out || why="${why:+$why; }tail too short"
grep -q '^  | gcc -c line 11$' fail.out && why="${why:+$why; }tail longer than 20 lines"
grep -q "^full log: fail.log$" fail.out || why="${why:+$why; }no 'full log:' line"
verdict "a failing step returns its status and prints the log's tail and path" "$why"

# 5. As a function in a script under set -e: the failure stops the script
# with the step's status.
bash -c ". '$here/step.sh'; set -euo pipefail; STEP_TTY=0 step -l f.log 'x' 'y' false; echo after" \
	>fn.out 2>&1
rc=$?
why=
[ $rc -eq 1 ] || why="status $rc, want 1"
grep -q '^after$' fn.out && why="${why:+$why; }the script went on"
verdict "a failed step stops a set -e script with its status" "$why"

# 6. quiet-output.sh: apt and compiler lines fail, verdicts and a failed
# step's tail do not.
printf '%s\n' "==> building the dom0 kernel (~7 min); log: build/logs/k.log" \
	"    0:25  12/1268 objects" "ok 3 - host model/ports" "not ok 4 - [abi-2l] gcc" \
	"FAILED: x (exit 2 after 0:01); last 20 lines of y:" "  |   CC      kernel/fork.o" \
	"  | Setting up gcc" "boot 7/24: kunit-2l (~90 s)" "3 passed, 1 failed" >clean.txt
printf 'ok 1 - a\n  CC      kernel/fork.o\nSetting up gcc (4:12.2.0-3) ...\ngcc -static -o a a.c\n' >dirty.txt
why=
"$here/quiet-output.sh" clean.txt >clean.res || why="flags a clean output: $(cat clean.res)"
if "$here/quiet-output.sh" dirty.txt >dirty.res; then
	why="${why:+$why; }passes apt and compiler lines"
elif ! grep -q '^not ok .* # 3 such lines' dirty.res; then
	why="${why:+$why; }$(head -n 1 dirty.res)"
fi
verdict "quiet-output.sh finds apt and compiler lines and nothing else" "$why"
