#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mutants.sh REPO BUILD [FILTER...]: put each known bug back, one at a time,
# and see whether the tests that claim to guard it notice (make mutants).
#
# A mutant is tests/mutants/<name>.patch: a header of "Key: value" lines,
# then a unified diff against the repository (patch -p1).  Keys:
#
#   Row:      the row of the regression table it stands for ("6", "new-virq-move")
#   Bug:      the bug, in a few words, and its origin
#   Mutation: what the diff does; where our design makes the bug
#             impossible, which lock, guard bit or barrier it removes
#   Kind:     host (the harness of tools/testing/xen-events) or kernel
#   Program:  host only: the harness program that runs the tests: test
#             (default: xen-events-test, the backends behind a stand-in
#             core), core (xen-events-core-test, the real core) or tsan
#             (xen-events-core-tsan, the same under ThreadSanitizer)
#   Test:     a test that claims to guard the row (one per line; several
#             allowed).  host: a harness test name ("fifo/busy_link_path");
#             kernel: a verdict name as the boot prints it
#             ("kunit xen_evtchn.<case>", "evtchn_fix9e77d96b_...")
#   Runs:     host only: how many times each test is run, seeds 1..N
#             (default 1); the mutant is killed when any run fails.  For
#             races whose window a run hits only most of the time.
#   Boot:     kernel only: the dom0 arguments of the boot that runs them
#             (one row of a boot table, see mk/check-boot.sh)
#   Kernel:   kernel only: main (default) or debug
#   Xen:      kernel only: stock (default) or patched
#
# Each mutant is applied to a copy of the repository (BUILD/mutants/src).
# A kernel mutant's build and boot print their mk/step.sh lines (what is
# being done, elapsed time, how far along) as make check does; the
# compiler's output goes to the logs.
# host: the harness is built from the copy (objects in BUILD/mutants/host)
# and every Test is run.  kernel: the copy is laid out as its own tree
# (BUILD/linux-mutant, so BUILD/linux stays as it is) and rebuilt
# incrementally, then dom0 boots once with the Boot arguments, with the
# test initramfs of BUILD (make initramfs).  A mutant is killed when one of
# its tests fails (a failing boot, a panic included, counts as the boot's
# verdict) and survives when all pass.  A diff that no longer applies, or a
# tree that no longer builds, is an error: the mutant must be brought up
# to date, it is not counted as killed.
#
# FILTER: mutant names, or "host" / "kernel" for every mutant of that
# kind; none: all.  Output: one line per mutant on the terminal, and
# BUILD/mutants/table.txt (same lines) and table.rst (the list-table of
# Documentation/xen/events.rst).  Exit status 0 only when every mutant run
# was killed.
#
# MUTANTS_DIR: where the copy, the logs and the table go (default
# BUILD/mutants; make check-host uses BUILD/mutants-host).
# MUTANTS_CHECK=1: only check that every mutant applies to the repository
# as it is and names tests that exist (make check-host runs this; seconds).
set -uo pipefail
repo=$(cd "${1:?usage: mutants.sh REPO BUILD [FILTER...]}" && pwd)
build=${2:?}
shift 2
mkdir -p "$build"
build=$(cd "$build" && pwd)
here=$repo/mk
mdir=${MUTANTS_DIR:-$build/mutants}
src=$mdir/src
# shellcheck source=mk/step.sh
. "$here/step.sh"

field() {	# field FILE KEY: the values of KEY, one per line
	sed -n '/^diff \|^--- /q; s/^'"$2"': *//p' "$1"
}

mutants=()
for f in "$repo"/tests/mutants/*.patch; do
	[ -f "$f" ] || continue
	name=$(basename "$f" .patch)
	kind=$(field "$f" Kind)
	if [ $# -gt 0 ]; then
		keep=0
		for x in "$@"; do
			[ "$x" = "$name" ] || [ "$x" = "$kind" ] && keep=1
		done
		[ $keep = 1 ] || continue
	fi
	mutants+=("$f")
done
if [ ${#mutants[@]} = 0 ]; then
	echo "mutants: none in tests/mutants/ matches ${*:-anything}" >&2
	exit 1
fi

# ---- MUTANTS_CHECK=1: applies, and names tests that exist -------------
if [ "${MUTANTS_CHECK:-0}" = 1 ]; then
	hostlist=${HOST_TEST_LIST:-}
	for f in "${mutants[@]}"; do
		name=$(basename "$f" .patch)
		kind=$(field "$f" Kind)
		why=""
		for k in Row Bug Mutation Kind Test; do
			[ -n "$(field "$f" $k)" ] || why="$why no $k:;"
		done
		case $kind in
		host) ;;
		kernel) [ -n "$(field "$f" Boot)" ] || why="$why no Boot:;" ;;
		*) why="$why Kind is '$kind', not host or kernel;" ;;
		esac
		if ! (cd "$repo" && patch -p1 --dry-run -s -f <"$f" >/dev/null 2>&1); then
			why="$why does not apply to the tree as it is;"
		fi
		while IFS= read -r t; do
			[ -n "$t" ] || continue
			case $kind:$t in
			host:*)
				if [ -n "$hostlist" ] && ! grep -qF -- "$t" "$hostlist"; then
					why="$why no host test '$t';"
				fi ;;
			kernel:"kunit xen_evtchn."*)
				c=${t#kunit xen_evtchn.}
				grep -q "KUNIT_CASE[A-Z_]*(${c}[,)]" \
					"$repo"/drivers/xen/xen_evtchn_kunit.c ||
					why="$why no KUnit case '$c';" ;;
			kernel:*)
				grep -rqF -- "${t%% *}" "$repo"/tests/userspace \
					"$repo"/initramfs 2>/dev/null ||
					why="$why no test program names '${t%% *}';" ;;
			esac
		done < <(field "$f" Test)
		if [ -n "$why" ]; then
			echo "not ok host mutant $name applies and names its tests #$why"
		else
			echo "ok host mutant $name applies and names its tests"
		fi
	done
	exit 0
fi

# ---- the copy ----------------------------------------------------------
mkdir -p "$mdir"
fresh_copy() {
	mkdir -p "$src"
	# By content, without times: a file the last mutant changed comes back
	# with a new time, so make rebuilds what was built from the mutant.
	rsync -rlpc --delete --exclude=/build/ --exclude=/.git/ "$repo"/ "$src"/
}

table=$mdir/table.txt
: >"$table"
rst=$mdir/table.rst
: >"$rst"
killed=0 survived=0 errors=0
say() { echo "$*"; echo "$*" >>"$table"; }

# rst_row NAME ROW KIND OUTCOME: one row of the documentation's list-table
rst_row() {
	{
		echo "   * - $2"
		echo "     - \`\`$1\`\`: $(field "$f" Mutation | head -1)"
		echo "     - $3"
		echo "     - $4"
	} >>"$rst"
}

host_run() {	# host_run NAME FILE: 0 killed, 1 survived, 2 error
	local name=$1 f=$2 obj=$mdir/host bin t log=$mdir/$1/host.log prog target runs seed
	mkdir -p "$mdir/$name"
	: >"$log"
	prog=$(field "$f" Program)
	case ${prog:-test} in
	test) target=test-build bin=xen-events-test ;;
	core) target=core-build bin=xen-events-core-test ;;
	tsan) target=tsan-build bin=xen-events-core-tsan ;;
	*) why="Program: '$prog' is not test, core or tsan"; return 2 ;;
	esac
	if ! nice make --no-print-directory -C "$src/tools/testing/xen-events" \
		BUILD="$build" O="$obj" "$target" >>"$log" 2>&1; then
		why="the harness does not build with it (see $log)"
		return 2
	fi
	bin=$obj/$bin
	runs=$(field "$f" Runs)
	while IFS= read -r t; do
		[ -n "$t" ] || continue
		for seed in $(seq 1 "${runs:-1}"); do
			if ! "$bin" -s "$seed" -t "$t" -T 60 </dev/null >>"$log" 2>&1; then
				by="host $t"
				[ "${runs:-1}" -eq 1 ] || by="$by (seed $seed)"
				return 0
			fi
		done
	done < <(field "$f" Test)
	return 1
}

kernel_run() {	# kernel_run NAME FILE: 0 killed, 1 survived, 2 error
	local name=$1 f=$2 kimg xen kern table res t line
	local frags=(configs/kernel.config configs/kunit.config)
	kern=$(field "$f" Kernel)
	kern=${kern:-main}
	[ "$kern" = debug ] && frags+=(configs/debug.config)
	mkdir -p "$mdir/$name"
	if ! (cd "$src" && TREE=$build/linux-mutant mk/prepare-tree.sh "$src" "$build" &&
	      TREE=$build/linux-mutant nice mk/build-kernel.sh "$build" "$kern" "${frags[@]}") \
		>"$mdir/$name/build.log"; then
		why="the kernel does not build with it (see the FAILED step above and build/logs/kernel-linux-mutant-$kern.log)"
		return 2
	fi
	kimg=$build/linux-mutant/obj-$kern/arch/x86/boot/bzImage
	xen=$(field "$f" Xen)
	xen=${xen:-stock}
	table=$mdir/$name/mutant.table
	{
		echo "# SPDX-License-Identifier: GPL-2.0"
		echo "# mutant $name (tests/mutants/$name.patch)"
		echo "# @kernel: $kern"
		echo "# @xen: $xen"
		echo "# @timeout: 900"
		echo "mutant-$name | $(field "$f" Boot)"
	} >"$table"
	rm -rf "$mdir/$name/check"
	mkdir -p "$mdir/$name/check"
	KIMAGE_main=$kimg KIMAGE_debug=$kimg XEN_stock=$build/xen/xen-4.17.elf \
		XEN_patched=$build/xen-src/xen-4.17-3l.elf INITRD=$build/initramfs.cpio.gz \
		BOOT_HISTORY=$mdir/boot-times.txt \
		"$here/check-boot.sh" "$mdir/$name/check" "$table" 2>&1 | tee "$mdir/$name/boot.out"
	res=$mdir/$name/check/3-boot.results
	if [ ! -s "$res" ]; then
		why="the boot left no results (see $mdir/$name/boot.out)"
		return 2
	fi
	# A listed test that failed, else any failed verdict (the boot
	# itself, no_kernel_splat, a test that found the bug first).
	while IFS= read -r t; do
		[ -n "$t" ] || continue
		line=$(grep -F -- "$t" "$res" | grep -m1 '^not ok')
		if [ -n "$line" ]; then
			by=$(echo "$line" | sed 's/^not ok //; s/ # .*//')
			return 0
		fi
	done < <(field "$f" Test)
	line=$(grep -m1 '^not ok' "$res")
	if [ -n "$line" ]; then
		by="$(echo "$line" | sed 's/^not ok //; s/ # .*//') (not a listed test)"
		return 0
	fi
	# A listed test that did not run is no survival either way.
	while IFS= read -r t; do
		[ -n "$t" ] || continue
		if ! grep -qF -- "$t" "$res"; then
			why="listed test '$t' gave no verdict in the boot (see $res)"
			return 2
		fi
	done < <(field "$f" Test)
	return 1
}

n=0
total=${#mutants[@]}
echo "mutants: ${total} to run; copy in $(step_path "$src"), logs in $(step_path "$mdir")/<name>/"
for f in "${mutants[@]}"; do
	n=$((n + 1))
	name=$(basename "$f" .patch)
	kind=$(field "$f" Kind)
	row=$(field "$f" Row | head -1)
	why="" by=""
	fresh_copy
	if ! (cd "$src" && patch -p1 -s -f <"$f" >"$mdir/$name.apply.log" 2>&1); then
		say "$(printf '%-8s %-36s row %-16s %s' error "$name" "$row" "does not apply (see $mdir/$name.apply.log)")"
		errors=$((errors + 1))
		rst_row "$name" "$row" "$kind" "error: does not apply"
		continue
	fi
	start=$SECONDS
	echo "==> mutant $n/$total: $name (row $row, $kind) ..."
	if [ "$kind" = host ]; then
		host_run "$name" "$f"
	else
		kernel_run "$name" "$f"
	fi
	rc=$?
	took=$((SECONDS - start))
	case $rc in
	0)	killed=$((killed + 1))
		say "$(printf '%-8s %-36s row %-16s by %s (%d s)' killed "$name" "$row" "$by" "$took")"
		rst_row "$name" "$row" "$kind" "killed by \`\`$by\`\`" ;;
	1)	survived=$((survived + 1))
		say "$(printf '%-8s %-36s row %-16s %s (%d s)' survived "$name" "$row" \
			"every listed test passed" "$took")"
		rst_row "$name" "$row" "$kind" "**survived**" ;;
	*)	errors=$((errors + 1))
		say "$(printf '%-8s %-36s row %-16s %s' error "$name" "$row" "$why")"
		rst_row "$name" "$row" "$kind" "error: $why" ;;
	esac
done
echo "mutants: $killed killed, $survived survived, $errors errors (table: $(step_path "$table"))"
[ $survived = 0 ] && [ $errors = 0 ]
