#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench-report.py OUT: turn the serial logs of "make bench" into figures.

Reads OUT/logs/<kernel>-<abi>-<run>.log (lines "@@XEVT@@ bench <tag> <verb>
key=value ..." printed by initramfs/tests/bench.sh) and writes:

  OUT/raw.csv      every result line of every boot, one key per column
  OUT/results.csv  figure, abi, kernel, median, min, max, runs
  OUT/results.md   the tables, with the ratio ours / upstream
  OUT/curve.png    per-event cost against idle bound ports (gnuplot)

A figure's value in one boot is a median over that boot's samples; the
tables give the median, minimum and maximum of those values over the boots
of one kernel and ABI.  A workload that reported a failure (lost events, an
error) contributes nothing from that boot; a boot with any other failure,
or that did not finish, contributes nothing at all.
"""
import csv
import glob
import os
import re
import statistics
import subprocess
import sys

MARK = "@@XEVT@@ "


def parse_log(path):
    """(finished, failures, [(tag, verb, {key: value})])"""
    rows, fails, finished = [], [], False
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "replace").replace("\r", "")
    for line in text.splitlines():
        if not line.startswith(MARK):
            continue
        body = line[len(MARK):]
        if body == "done":
            finished = True
        elif body.startswith("not ok "):
            fails.append(body)
        elif body.startswith("bench "):
            parts = body.split()
            if len(parts) >= 3 and parts[1] != "abi":
                kv = dict(p.split("=", 1) for p in parts[3:] if "=" in p)
                rows.append((parts[1], parts[2], kv))
    return finished, fails, rows


def num(v):
    try:
        return int(v)
    except ValueError:
        return float(v)


def collect(out):
    """values[(figure, abi, kernel)] = [one value per good boot]"""
    values, raw, bad, curve_pts = {}, [], [], {}
    for path in sorted(glob.glob(os.path.join(out, "logs", "*.log"))):
        m = re.match(r"(\w+)-(\w+)-(\d+)\.log$", os.path.basename(path))
        if not m:
            continue
        kernel, abi, run = m.group(1), m.group(2), int(m.group(3))
        finished, fails, rows = parse_log(path)
        # A workload whose counts disagreed loses its figures of this boot;
        # anything else that failed (a kernel splat, a boot that did not
        # finish) loses the whole boot.
        failed_tags = set()
        for f in fails:
            m = re.match(r"not ok bench_(\w+)", f)
            if m and m.group(1) != "workloads":
                failed_tags.add(m.group(1))
                bad.append(f"{kernel} {abi} run {run}, {m.group(1)} only: "
                           f"{f}")
            elif not m:
                failed_tags = None
                break
        if not finished or failed_tags is None:
            why = fails[0] if fails else "boot did not finish"
            bad.append(f"{kernel} {abi} run {run}: {why}")
            continue
        rows = [r for r in rows if r[0] not in failed_tags]
        for tag, verb, kv in rows:
            raw.append(dict(kernel=kernel, abi=abi, run=run, tag=tag,
                            verb=verb, **kv))

        def put(fig, val):
            values.setdefault((fig, abi, kernel), []).append(val)

        for tag, verb, kv in rows:
            kv = {k: num(v) for k, v in kv.items()}
            if tag == "pingpong":
                put("rtt_ns", kv["rtt_ns"])
            elif tag in ("batch1", "batch64", "batch4096"):
                put(tag + "_ns_per_event", kv["per_event_ns"])
                if kv.get("upcalls"):
                    put(tag + "_events_per_upcall",
                        kv["events"] / kv["upcalls"])
            elif tag == "storm":
                put("quiet_latency_ns", kv["quiet_median_ns"])
                put("storm_latency_ns", kv["storm_median_ns"])
                put("flood_events_handled", kv["flood_handled"])
            elif tag == "bindrate":
                p = kv["pairs"]
                put("bind_unbind_ns_per_pair", kv["per_pair_ns"])
                put("bind_xen_ns_per_pair", kv["xen_ns"] / p)
                put("bind_guest_ns_per_pair", kv["guest_ns"] / p)
                put("unbind_ns_per_pair", kv["unbind_ns"] / p)
            elif tag == "idle" and kv["ports"] > 0:
                n = kv["ports"]
                curve_pts.setdefault(abi, set()).add(n)
                put(f"mem_used_bytes_per_port@{n}", kv["used_delta"] / n)
                put(f"mem_slab_bytes_per_port@{n}", kv["slab_delta"] / n)
                if kv["added_pairs"]:
                    a = kv["added_pairs"]
                    put(f"grow_xen_ns_per_pair@{n}", kv["xen_ns"] / a)
                    put(f"grow_guest_ns_per_pair@{n}", kv["guest_ns"] / a)
            elif tag == "curve_batch1":
                put(f"curve_ns_per_event@{kv['idle_ports']}",
                    kv["per_event_ns"])
            elif tag == "curve_pingpong":
                put(f"curve_rtt_ns@{kv['idle_ports']}", kv["rtt_ns"])
    return values, raw, bad


def stat(vals):
    return statistics.median(vals), min(vals), max(vals), len(vals)


def fmt(v):
    if v is None:
        return "n/a"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.2f}"


def cell(values, key):
    vals = values.get(key)
    if not vals:
        return "n/a", None
    med, lo, hi, n = stat(vals)
    return f"{fmt(med)} [{fmt(lo)}-{fmt(hi)}] ({n})", med


def ratios(values, fig, abi):
    """(median ratio, minimum ratio) ours / upstream, as text."""
    a, b = values.get((fig, abi, "ours")), values.get((fig, abi, "upstream"))
    if not a or not b or not stat(b)[0] or not stat(b)[1]:
        return "n/a", "n/a"
    return fmt(stat(a)[0] / stat(b)[0]), fmt(stat(a)[1] / stat(b)[1])


FIGURES = [
    ("rtt_ns", "round trip, loopback pair, in-kernel chain (ns)"),
    ("batch1_ns_per_event", "delivery, 1 pending (ns/event)"),
    ("batch64_ns_per_event", "delivery, 64 pending (ns/event)"),
    ("batch4096_ns_per_event", "delivery, 4,096 pending (ns/event)"),
    ("batch64_events_per_upcall", "events per upcall, 64 pending"),
    ("quiet_latency_ns", "latency of one channel, quiet (ns)"),
    ("storm_latency_ns", "latency of one channel, other one flooded (ns)"),
    ("bind_unbind_ns_per_pair", "bind + unbind of a loopback pair (ns)"),
    ("bind_xen_ns_per_pair", "  of which Xen's two hypercalls (ns)"),
    ("bind_guest_ns_per_pair", "  of which the guest's two IRQ binds (ns)"),
    ("unbind_ns_per_pair", "  of which the unbind of both ends (ns)"),
]


def curve_points(values, prefix):
    pts = set()
    for fig, _, _ in values:
        if fig.startswith(prefix + "@"):
            pts.add(int(fig.split("@")[1]))
    return sorted(pts)


def write_reports(out, values, raw, bad):
    abis = [a for a in ("fifo", "2l", "3l", "fifostock")
            if any(k[1] == a for k in values)]
    rows = []
    for (fig, abi, kernel), vals in sorted(values.items()):
        med, lo, hi, n = stat(vals)
        rows.append([fig, abi, kernel, med, lo, hi, n])
    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["figure", "abi", "kernel", "median", "min", "max",
                    "runs"])
        w.writerows(rows)
    keys = sorted({k for r in raw for k in r})
    first = ["kernel", "abi", "run", "tag", "verb"]
    keys = first + [k for k in keys if k not in first]
    with open(os.path.join(out, "raw.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        w.writerows(raw)

    md = []
    with open(os.path.join(out, "meta.txt")) as f:
        md += ["    " + line.rstrip("\n") for line in f]
    md.append("")
    md.append("Each cell: median [min-max] (boots) of the per-boot figure; "
              "ratio = ours / upstream of the medians, and of the minima "
              "(the least disturbed boot of each kernel).")
    for abi in abis:
        md += ["", f"### {abi}", "",
               "| figure | ours | upstream | ratio | ratio of minima |",
               "|---|---|---|---|---|"]
        for fig, label in FIGURES:
            a, ma = cell(values, (fig, abi, "ours"))
            b, mb = cell(values, (fig, abi, "upstream"))
            if a == "n/a" and b == "n/a":
                continue
            r, rmin = ratios(values, fig, abi)
            md.append(f"| {label} | {a} | {b} | {r} | {rmin} |")
        # Memory only where the idle set is large: at a few hundred ports
        # the deltas drown in the kernel's own allocations and frees.
        mem_pts = [n for n in curve_points(values, "mem_used_bytes_per_port")
                   if any((f"mem_used_bytes_per_port@{n}", abi, k) in values
                          for k in ("ours", "upstream"))]
        for n in mem_pts[-1:]:
            for what in ("used", "slab"):
                fig = f"mem_{what}_bytes_per_port@{n}"
                a, ma = cell(values, (fig, abi, "ours"))
                b, mb = cell(values, (fig, abi, "upstream"))
                if a == "n/a" and b == "n/a":
                    continue
                r, rmin = ratios(values, fig, abi)
                md.append(f"| kernel memory per idle port, {what} pages, "
                          f"{n:,} ports (bytes) | {a} | {b} | {r} | {rmin} |")

    for prefix, title in (("curve_ns_per_event",
                           "Cost of one event against idle bound ports "
                           "(ns/event, delivery of 1 pending)"),
                          ("curve_rtt_ns",
                           "Round trip against idle bound ports (ns)"),
                          ("grow_xen_ns_per_pair",
                           "Binding as ports fill up: Xen's hypercalls "
                           "per pair, for the pairs added up to N (ns)"),
                          ("grow_guest_ns_per_pair",
                           "Binding as ports fill up: the guest's IRQ "
                           "binding per pair, up to N (ns)")):
        pts = curve_points(values, prefix)
        if not pts:
            continue
        cols = [(abi, k) for abi in abis for k in ("ours", "upstream")
                if any((f"{prefix}@{n}", abi, k) in values for n in pts)]
        md += ["", f"### {title}", "",
               "| idle ports | " + " | ".join(f"{k} {a}" for a, k in cols)
               + " |", "|---" * (len(cols) + 1) + "|"]
        for n in pts:
            md.append(f"| {n:,} | " + " | ".join(
                cell(values, (f"{prefix}@{n}", a, k))[0] for a, k in cols)
                + " |")
    if bad:
        md += ["", "Left out of the figures:", ""] + [f"- {b}" for b in bad]
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    plot(out, values, abis)


def plot(out, values, abis):
    series = []
    for abi in abis:
        for k in ("ours", "upstream"):
            pts = [(n, stat(values[(f"curve_ns_per_event@{n}", abi, k)]))
                   for n in curve_points(values, "curve_ns_per_event")
                   if (f"curve_ns_per_event@{n}", abi, k) in values]
            if not pts:
                continue
            name = os.path.join(out, f"curve-{k}-{abi}.dat")
            with open(name, "w") as f:
                for n, (med, lo, hi, _) in pts:
                    f.write(f"{n} {med} {lo} {hi}\n")
            series.append((name, f"{k} {abi}"))
    if not series:
        return
    plots = ", ".join(
        f"'{n}' using 1:2:3:4 with yerrorlines title '{t}'"
        for n, t in series)
    script = f"""
set terminal png size 900,560
set output '{os.path.join(out, "curve.png")}'
set logscale x
set xlabel 'idle bound event channels'
set ylabel 'ns per delivered event (median, min-max over boots)'
set title 'Cost of one event against bound ports, dom0 under Xen 4.17 in QEMU'
set key top left
set grid
set yrange [0:*]
plot {plots}
"""
    subprocess.run(["gnuplot"], input=script.encode(), check=True)


def main():
    out = sys.argv[1]
    values, raw, bad = collect(out)
    write_reports(out, values, raw, bad)
    for b in bad:
        print("bench: left out:", b, file=sys.stderr)


if __name__ == "__main__":
    main()
