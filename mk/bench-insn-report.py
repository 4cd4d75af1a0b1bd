#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench-insn-report.py OUT: the tables, CSV and plot of "make bench-insn".

Reads OUT/marks/KERNEL-ABI-RUN.txt, written by the instruction-counting
plugin (tools/insn-count): one line per marker executed,
"VCPU TAG PREV XEN KERNEL USER", the instructions of that vCPU from the
previous marker (tag PREV) up to this one, split by address.  A figure is
an interval between two given tags (PREV -> TAG), or the sum of two
consecutive intervals of one sample; its value in one boot is the most
common total over all its samples (the mode), with the share of samples
at the mode and the split of the most common sample at it.  Samples that
an interrupt or a timer tick lands in count more and fall off the mode.

Every workload first writes its context in markers (xeb_mark_ctx() of
drivers/xen/xen_evtchn_bench.c: a begin tag, 64 bit tags, an end tag):
the idle ports bound and, for a batch, K, the events pending at once.
Samples are grouped by it: a batch figure is divided by K, and one event
and a round trip at each idle size make the scalability curve.

Prints Markdown on stdout; writes OUT/results.csv (every figure of every
boot) and, with gnuplot, OUT/curve.png (kernel instructions per event and
per round trip against idle bound ports).
"""
import collections
import csv
import glob
import os
import re
import subprocess
import sys

CTX_BEGIN, CTX_END, BIT0, BIT1 = 0x0E00, 0x0E01, 0x0E10, 0x0E11

# (key, label, intervals, kind): each interval (prev tag, tag); two
# intervals are summed per sample (the second follows the first on its
# vCPU).  kind: "one" (at idle 0, and the curve), "batch" (divided by K),
# "bind".
FIGURES = [
    ("empty", "two markers in a row (the counter's own cost, want 1)",
     [(0x01F0, 0x01F1)], "one"),
    ("ev", "one event, notify to the end of its handler",
     [(0x0100, 0x0101)], "one"),
    ("ev_rest", "  rest of that upcall, back in the caller",
     [(0x0101, 0x0102)], "one"),
    ("ev_all", "one event, notify to its return",
     [(0x0100, 0x0101), (0x0101, 0x0102)], "one"),
    ("rt", "round trip, notify to the end of the second handler",
     [(0x0110, 0x0111)], "one"),
    ("rt_all", "round trip, notify to its return",
     [(0x0110, 0x0111), (0x0111, 0x0112)], "one"),
    ("user_ev", "user space via /dev/xen/evtchn: notify, read, unmask",
     [(0x0160, 0x0162)], "one"),
    ("user_rt", "user space round trip via /dev/xen/evtchn (one thread)",
     [(0x0170, 0x0171)], "one"),
    ("batch", "per event, K pending at once (irqs on to all delivered, / K)",
     [(0x0120, 0x0121)], "batch"),
    ("pair_bind", "bind a loopback pair (2 hypercalls, 2 handlers, 1 event)",
     [(0x0130, 0x0131)], "bind"),
    ("pair_unbind", "unbind that pair (closes both ports)",
     [(0x0131, 0x0132)], "bind"),
    ("pair_all", "bind + unbind of a loopback pair",
     [(0x0130, 0x0131), (0x0131, 0x0132)], "bind"),
    ("virq_all", "bind + unbind of a global VIRQ (VIRQ_ENOMEM, CPU0)",
     [(0x0140, 0x0141), (0x0141, 0x0142)], "bind"),
    ("ipi_all", "bind + unbind of an IPI (XEN_NMI_VECTOR, CPU0)",
     [(0x0150, 0x0151), (0x0151, 0x0152)], "bind"),
]
LABEL = {f[0]: f[1] for f in FIGURES}
ABI_ORDER = ["fifo", "2l", "3l"]


def read_marks(path):
    """Per vCPU, the list of (tag, prev, (xen, kernel, user), ctx)."""
    per_vcpu = collections.defaultdict(list)
    ctx = collections.defaultdict(lambda: (0, 0))
    bits = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                continue
            p = line.split()
            if len(p) != 6:
                continue
            vcpu, tag = int(p[0]), int(p[1], 16)
            if tag == CTX_BEGIN:
                bits[vcpu] = []
            elif tag in (BIT0, BIT1) and bits.get(vcpu) is not None:
                bits[vcpu].append(tag == BIT1)
            elif tag == CTX_END and bits.get(vcpu) is not None:
                if len(bits[vcpu]) == 64:
                    v = 0
                    for b in bits[vcpu]:
                        v = v << 1 | b
                    ctx[vcpu] = (v >> 32, v & 0xFFFFFFFF)
                bits[vcpu] = None
            prev = None if p[2] == "-" else int(p[2], 16)
            per_vcpu[vcpu].append(
                (tag, prev, tuple(int(x) for x in p[3:6]), ctx[vcpu]))
    return per_vcpu


def samples(per_vcpu, intervals):
    """Per context (idle ports, K), the (xen, kernel, user) of every sample."""
    out = collections.defaultdict(list)
    for lines in per_vcpu.values():
        for i, (tag, prev, cnt, ctx) in enumerate(lines):
            if (prev, tag) != intervals[-1]:
                continue
            total = cnt
            ok = True
            # Earlier intervals: the lines just before, in order.
            for back, want in enumerate(reversed(intervals[:-1]), start=1):
                if i - back < 0:
                    ok = False
                    break
                t2, p2, c2, _ = lines[i - back]
                if (p2, t2) != want:
                    ok = False
                    break
                total = tuple(a + b for a, b in zip(total, c2))
            if ok:
                out[ctx].append(total)
    return out


def mode(smp):
    """(mode of the totals, share at it, most common split at it, n, min,
    median sample): the median as (total, split) of the middle sample."""
    if not smp:
        return None
    totals = collections.Counter(sum(s) for s in smp)
    m, n_at = max(totals.items(), key=lambda kv: (kv[1], -kv[0]))
    split = collections.Counter(s for s in smp if sum(s) == m).most_common(1)[0][0]
    mid = sorted(smp, key=sum)[len(smp) // 2]
    return m, n_at / len(smp), split, len(smp), min(totals), (sum(mid), mid)


def fmt(n):
    if isinstance(n, float) and n != int(n):
        return f"{n:,.1f}"
    return f"{int(n):,}"


def split_str(total, split, div=1):
    """'total = xen / kernel / user', each divided by div."""
    parts = [x / div for x in split]
    return f"{fmt(total / div)} = " + " / ".join(fmt(x) for x in parts)


def ratio(a, b):
    return f"{a / b:.2f}" if b else "n/a"


def collect(out):
    boots = {}
    for path in sorted(glob.glob(os.path.join(out, "marks", "*.txt"))):
        m = re.match(r"(\w+)-(\w+)-(\d+)\.txt$", os.path.basename(path))
        if m:
            boots[(m.group(1), m.group(2), int(m.group(3)))] = read_marks(path)
    # rows: one per boot, figure and context
    rows = []
    for (k, abi, run), marks in sorted(boots.items()):
        for key, _, intervals, kind in FIGURES:
            for (idle, kk), smp in sorted(samples(marks, intervals).items()):
                r = mode(smp)
                if r is None:
                    continue
                m, share, split, n, lo, med = r
                div = kk if kind == "batch" and kk else 1
                rows.append(dict(kernel=k, abi=abi, run=run, figure=key,
                                 idle_ports=idle, k=kk, mode=m, share=share,
                                 samples=n, min=lo, xen=split[0],
                                 kern=split[1], user=split[2], div=div,
                                 median=med[0], med_split=med[1]))
    return boots, rows


def first(rows, **want):
    """The row of the first run matching want, or None."""
    for r in sorted(rows, key=lambda r: r["run"]):
        if all(r[k] == v for k, v in want.items()):
            return r
    return None


def write_csv(out, rows):
    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["kernel", "abi", "run", "figure", "idle_ports", "k",
                    "mode", "share_at_mode", "samples", "min", "xen",
                    "kernel_insns", "user", "per_event_total",
                    "per_event_kernel", "median", "median_xen",
                    "median_kernel", "median_user"])
        for r in rows:
            w.writerow([r["kernel"], r["abi"], r["run"], r["figure"],
                        r["idle_ports"], r["k"], r["mode"],
                        f"{r['share']:.3f}", r["samples"], r["min"], r["xen"],
                        r["kern"], r["user"], f"{r['mode'] / r['div']:.1f}",
                        f"{r['kern'] / r['div']:.1f}", r["median"],
                        *r["med_split"]])


def plot(out, rows, abis, kernels):
    series = []
    for abi in abis:
        for k in kernels:
            pts = {}
            for fig in ("ev_all", "rt_all"):
                for r in rows:
                    if (r["kernel"], r["abi"], r["figure"], r["run"]) == \
                            (k, abi, fig, 1) and r["idle_ports"] > 0:
                        pts.setdefault(r["idle_ports"], {})[fig] = r["kern"]
            pts = {n: v for n, v in pts.items() if len(v) == 2}
            if not pts:
                continue
            name = os.path.join(out, f"curve-{k}-{abi}.dat")
            with open(name, "w") as f:
                for n in sorted(pts):
                    f.write(f"{n} {pts[n]['ev_all']} {pts[n]['rt_all']}\n")
            series.append((name, f"{k} {abi}"))
    if not series:
        return
    try:
        subprocess.run(["gnuplot", "--version"], check=True,
                       stdout=subprocess.DEVNULL)
    except (OSError, subprocess.CalledProcessError):
        print("\n(no gnuplot: curve.png not drawn; the points are in"
              " curve-*.dat and results.csv)")
        return
    ev = ", ".join(f"'{n}' using 1:2 with linespoints title '{t}'"
                   for n, t in series)
    rt = ", ".join(f"'{n}' using 1:3 with linespoints title '{t}'"
                   for n, t in series)
    script = f"""
set terminal png size 900,900
set output '{os.path.join(out, "curve.png")}'
set multiplot layout 2,1 title 'dom0 kernel instructions against idle bound ports (exact, mode of 2,000 samples)'
set logscale x
set grid
set key outside right
set yrange [0:*]
set xlabel 'idle bound event channels'
set ylabel 'kernel instructions'
set title 'one event, notify to its return'
plot {ev}
set title 'one round trip, notify to its return'
plot {rt}
unset multiplot
"""
    subprocess.run(["gnuplot"], input=script.encode(), check=True)


def main():
    out = sys.argv[1]
    boots, rows = collect(out)
    meta = os.path.join(out, "meta.txt")
    if os.path.exists(meta):
        print(open(meta).read().rstrip())
        print()
    print("Instructions per operation: the most common count over all samples"
          " of one boot (mode), the share of samples at it, the smallest"
          " count, and the split of the mode by address (Xen / dom0 kernel /"
          " user).  \"idle\" is the idle ports bound, K the events pending at"
          " once (batch figures are totals here, per event below).")
    abis = sorted({a for _, a, _ in boots},
                  key=lambda a: ABI_ORDER.index(a) if a in ABI_ORDER else 9)
    kernels = [k for k in ("ours", "upstream") if any(b[0] == k for b in boots)]
    for abi in abis:
        print(f"\n### {abi}: every figure of every boot\n")
        print("| figure | idle | K | kernel | run | mode | at mode | samples"
              " | min | median | xen | kernel | user |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for key, label, _, _ in FIGURES:
            for r in rows:
                if r["figure"] != key or r["abi"] != abi:
                    continue
                print(f"| {label.strip()} | {fmt(r['idle_ports'])} |"
                      f" {r['k'] or ''} | {r['kernel']} | {r['run']} |"
                      f" {fmt(r['mode'])} | {r['share']:.0%} | {r['samples']} |"
                      f" {fmt(r['min'])} | {fmt(r['median'])} |"
                      f" {fmt(r['xen'])} | {fmt(r['kern'])} |"
                      f" {fmt(r['user'])} |")

    # ours / upstream at the smallest idle set: single operations, batches
    # (per event) and binds.
    print("\n### ours / upstream (first run of each; total = xen / kernel /"
          " user; batch figures per event)\n")
    print("| figure | ABI | ours | upstream | ratio | kernel ratio |")
    print("|---|---|---|---|---|---|")
    for abi in abis:
        for key, label, _, kind in FIGURES:
            if key == "empty":
                continue
            ctxs = sorted({(r["idle_ports"], r["k"]) for r in rows
                           if r["figure"] == key and r["abi"] == abi})
            if kind != "batch":
                ctxs = ctxs[:1]
            for idle, kk in ctxs:
                o = first(rows, kernel="ours", abi=abi, figure=key,
                          idle_ports=idle, k=kk)
                u = first(rows, kernel="upstream", abi=abi, figure=key,
                          idle_ports=idle, k=kk)
                lab = label.strip().replace("K pending", f"K = {kk:,} pending")
                if not o and not u:
                    continue
                # A path whose count varies from sample to sample (a bind:
                # allocators, IRQ number search) has no dominant count:
                # when either mode holds under 20% of the samples, both
                # kernels are compared by their medians instead.
                if any(x and x["share"] < 0.2 for x in (o, u)):
                    lab += " (median)"
                    o = o and dict(o, mode=o["median"], xen=o["med_split"][0],
                                   kern=o["med_split"][1],
                                   user=o["med_split"][2])
                    u = u and dict(u, mode=u["median"], xen=u["med_split"][0],
                                   kern=u["med_split"][1],
                                   user=u["med_split"][2])
                so = split_str(o["mode"], (o["xen"], o["kern"], o["user"]),
                               o["div"]) if o else "n/a"
                su = split_str(u["mode"], (u["xen"], u["kern"], u["user"]),
                               u["div"]) if u else "n/a"
                if o and u:
                    print(f"| {lab} | {abi} | {so} | {su} |"
                          f" {ratio(o['mode'], u['mode'])} |"
                          f" {ratio(o['kern'], u['kern'])} |")
                else:
                    print(f"| {lab} | {abi} | {so} | {su} | | |")

    # The curve: kernel instructions of one event and a round trip against
    # idle ports, and how flat it is.
    print("\n### scalability: dom0 kernel instructions against idle bound"
          " ports (first run)\n")
    print("| ABI | idle ports | event ours | event upstream | ratio |"
          " round trip ours | round trip upstream | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for abi in abis:
        sizes = sorted({r["idle_ports"] for r in rows
                        if r["abi"] == abi and r["figure"] == "ev_all"})
        for n in sizes:
            cells = []
            for fig in ("ev_all", "rt_all"):
                o = first(rows, kernel="ours", abi=abi, figure=fig,
                          idle_ports=n, k=0)
                u = first(rows, kernel="upstream", abi=abi, figure=fig,
                          idle_ports=n, k=0)
                cells += [fmt(o["kern"]) if o else "", fmt(u["kern"]) if u else "",
                          ratio(o["kern"], u["kern"]) if o and u else ""]
            print(f"| {abi} | {fmt(n)} | " + " | ".join(cells) + " |")
    print("\nFlatness, from the smallest idle set above 0 to the largest"
          " (max / min - 1 of the kernel instructions; the goal: within 1%"
          " on FIFO and 3-level):\n")
    for abi in abis:
        for k in kernels:
            for fig in ("ev_all", "rt_all"):
                v = [(r["idle_ports"], r["kern"]) for r in rows
                     if (r["kernel"], r["abi"], r["figure"], r["run"]) ==
                     (k, abi, fig, 1) and r["idle_ports"] > 0]
                if len(v) < 2:
                    continue
                v.sort()
                lo = min(x for _, x in v)
                hi = max(x for _, x in v)
                print(f"- {abi} {k} {'event' if fig == 'ev_all' else 'round trip'}:"
                      f" {fmt(v[0][1])} at {fmt(v[0][0])} ports,"
                      f" {fmt(v[-1][1])} at {fmt(v[-1][0])};"
                      f" spread {hi / lo - 1:.1%}")
    write_csv(out, rows)
    plot(out, rows, abis, kernels)
    print(f"\nCSV: {os.path.join(out, 'results.csv')};"
          f" plot: {os.path.join(out, 'curve.png')}")


if __name__ == "__main__":
    main()
