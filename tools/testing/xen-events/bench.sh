#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench.sh BENCH_BIN OUTDIR [VALGRIND]: instructions per delivered event,
# counted by callgrind (deterministic), for each ABI and number of bound
# ports, with one port pending at a time and with 64 pending at once.
set -euo pipefail
bin=${1:?usage: bench.sh BENCH_BIN OUTDIR [VALGRIND]}
out=${2:?}
valgrind=${3:-valgrind}
events=${BENCH_EVENTS:-2048}
mkdir -p "$out"

if ! command -v "$valgrind" >/dev/null; then
	echo "bench: valgrind not found (apt-get install valgrind)" >&2
	exit 1
fi

abis=()
for a in 2l fifo 3l; do
	"$bin" "$a" 1 1 1 >/dev/null 2>&1 && abis+=("$a")
done

# ir ABI BOUND PENDING: instructions per event, or "-" if it does not fit.
ir() {
	local abi=$1 bound=$2 pending=$3 f total
	f=$out/callgrind.$abi.$bound.$pending
	if ! "$valgrind" --tool=callgrind --instr-atstart=no \
		--collect-atstart=no --callgrind-out-file="$f" \
		"$bin" "$abi" "$bound" "$pending" "$events" \
		>"$f.log" 2>&1; then
		echo "bench: $abi $bound $pending failed, see $f.log" >&2
		echo "error"
		return
	fi
	total=$(sed -n 's/^totals: *//p' "$f" | awk '{print $1}')
	awk -v t="$total" -v n="$events" 'BEGIN { printf "%.0f", t / n }'
}

max_of() {
	case $1 in
	2l) echo 4095 ;;
	fifo) echo 131071 ;;
	3l) echo 262143 ;;
	esac
}

for pending in 1 64; do
	echo
	if [ "$pending" = 1 ]; then
		echo "Instructions per delivered event, one port pending at a time:"
	else
		echo "Instructions per delivered event, 64 ports pending at once:"
	fi
	printf '%-6s %12s %12s %12s %12s\n' ABI "64 bound" "4,096 bound" "65,536 bound" "max bound"
	for a in "${abis[@]}"; do
		max=$(max_of "$a")
		row=()
		for n in 64 4096 65536 max; do
			[ "$n" = max ] && n=$max
			# 2-level has 4,095 ports: "4,096 bound" is all of them.
			[ "$n" -gt "$max" ] && [ "$n" = 4096 ] && n=$max
			if [ "$n" -gt "$max" ]; then
				row+=("n/a")
			else
				row+=("$(ir "$a" "$n" "$pending")")
			fi
		done
		printf '%-6s %12s %12s %12s %12s\n' "$a" "${row[@]}"
	done
done
echo
echo "max bound: 2l 4,095 ports, fifo 131,071, 3l 262,143 (port 0 is never bound);"
echo "2l's \"4,096 bound\" column is its maximum, 4,095."
echo "callgrind outputs: $out"
