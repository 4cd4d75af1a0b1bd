#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench-insn-report.py OUT: the table of "make bench-insn".

Reads OUT/marks/KERNEL-ABI-RUN.txt, written by the instruction-counting
plugin (tools/insn-count): one line per marker executed,
"VCPU TAG PREV XEN KERNEL USER", the instructions of that vCPU from the
previous marker (tag PREV) up to this one, split by address.  A figure is
an interval between two given tags (PREV -> TAG), or the sum of two
consecutive intervals of one sample; its value in one boot is the most
common total over all its samples (the mode), with the share of samples
at the mode and the split of the most common sample at it.  Samples that
an interrupt or a timer tick lands in count more and fall off the mode.
Prints Markdown on stdout.
"""
import collections
import glob
import os
import re
import sys

# (key, label, intervals): each interval (prev tag, tag); two intervals
# are summed per sample (the second must follow the first on its vCPU).
FIGURES = [
    ("empty", "two markers in a row (the counter's own cost, want 1)",
     [(0x01F0, 0x01F1)]),
    ("ev", "one event, notify to the end of its handler",
     [(0x0100, 0x0101)]),
    ("ev_rest", "  rest of that upcall, back in the caller",
     [(0x0101, 0x0102)]),
    ("ev_all", "one event, notify to its return",
     [(0x0100, 0x0101), (0x0101, 0x0102)]),
    ("rt", "round trip, notify to the end of the second handler",
     [(0x0110, 0x0111)]),
    ("rt_all", "round trip, notify to its return",
     [(0x0110, 0x0111), (0x0111, 0x0112)]),
]


def read_marks(path):
    """Per vCPU, the list of (tag, prev, (xen, kernel, user))."""
    per_vcpu = collections.defaultdict(list)
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                continue
            p = line.split()
            if len(p) != 6:
                continue
            prev = None if p[2] == "-" else int(p[2], 16)
            per_vcpu[int(p[0])].append(
                (int(p[1], 16), prev, tuple(int(x) for x in p[3:6])))
    return per_vcpu


def samples(per_vcpu, intervals):
    """The (xen, kernel, user) of every sample of one figure."""
    out = []
    for lines in per_vcpu.values():
        for i, (tag, prev, cnt) in enumerate(lines):
            if (prev, tag) != intervals[-1]:
                continue
            total = cnt
            ok = True
            # Earlier intervals: the lines just before, in order.
            for back, want in enumerate(reversed(intervals[:-1]), start=1):
                if i - back < 0:
                    ok = False
                    break
                t2, p2, c2 = lines[i - back]
                if (p2, t2) != want:
                    ok = False
                    break
                total = tuple(a + b for a, b in zip(total, c2))
            if ok:
                out.append(total)
    return out


def mode(smp):
    """(mode of the totals, share at it, most common split at it, n)."""
    if not smp:
        return None
    totals = collections.Counter(sum(s) for s in smp)
    m, n_at = max(totals.items(), key=lambda kv: (kv[1], -kv[0]))
    split = collections.Counter(s for s in smp if sum(s) == m).most_common(1)[0][0]
    return m, n_at / len(smp), split, len(smp)


def fmt(n):
    return f"{n:,}"


def main():
    out = sys.argv[1]
    boots = {}
    for path in sorted(glob.glob(os.path.join(out, "marks", "*.txt"))):
        m = re.match(r"(\w+)-(\w+)-(\d+)\.txt$", os.path.basename(path))
        if m:
            boots[(m.group(1), m.group(2), int(m.group(3)))] = read_marks(path)
    meta = os.path.join(out, "meta.txt")
    if os.path.exists(meta):
        print(open(meta).read().rstrip())
        print()
    print("Instructions per operation: the most common count over all samples"
          " of one boot (mode), the share of samples at it, and the split of"
          " that count by address (Xen / dom0 kernel / user).  Runs of the"
          " same kernel and ABI are listed side by side.")
    abis = sorted({a for _, a, _ in boots}, key=lambda a: ["fifo", "2l", "3l"].index(a)
                  if a in ("fifo", "2l", "3l") else 9)
    kernels = [k for k in ("ours", "upstream") if any(b[0] == k for b in boots)]
    results = {}
    for abi in abis:
        print(f"\n### {abi}\n")
        print("| figure | kernel | run | mode | at mode | samples | xen | kernel | user |")
        print("|---|---|---|---|---|---|---|---|---|")
        for key, label, intervals in FIGURES:
            for k in kernels:
                for (bk, ba, run) in sorted(b for b in boots if b[0] == k and b[1] == abi):
                    r = mode(samples(boots[(bk, ba, run)], intervals))
                    if r is None:
                        print(f"| {label} | {k} | {run} | n/a | | 0 | | | |")
                        continue
                    m, share, split, n = r
                    results.setdefault((key, abi, k), []).append((m, split))
                    print(f"| {label} | {k} | {run} | {fmt(m)} | {share:.0%} | {n} |"
                          f" {fmt(split[0])} | {fmt(split[1])} | {fmt(split[2])} |")
    if "ours" in kernels and "upstream" in kernels:
        print("\n### ours / upstream (first run of each)\n")
        print("| figure | ABI | ours | upstream | ratio | kernel ours | kernel upstream | ratio |")
        print("|---|---|---|---|---|---|---|---|")
        for abi in abis:
            for key, label, _ in FIGURES:
                o = results.get((key, abi, "ours"))
                u = results.get((key, abi, "upstream"))
                if not o or not u or key == "empty":
                    continue
                (mo, so), (mu, su) = o[0], u[0]
                print(f"| {label.strip()} | {abi} | {fmt(mo)} | {fmt(mu)} |"
                      f" {mo / mu:.2f} | {fmt(so[1])} | {fmt(su[1])} |"
                      f" {so[1] / su[1] if su[1] else float('nan'):.2f} |")


if __name__ == "__main__":
    main()
