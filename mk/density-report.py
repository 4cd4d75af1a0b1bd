#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""density-report.py OUT: turn the serial logs of "make density" into figures.

Reads OUT/logs/<run>.log (the lines "@@XEVT@@ | density: ..." that
tests/density/xevt-density prints, relayed by initramfs/tests/density.sh)
and writes:

  OUT/results.csv   one row per progress line: run, guests, ports, elapsed
                    creation time, ms per guest over the last step, dom0's
                    MemAvailable, and the probe echo round time at that count
  OUT/results.md    one row per run: guests and channels reached, the
                    refusal, creation rate at the start and the end, echo
                    round times, dom0 memory per channel, verdicts
  OUT/curve.png     ms to create a guest, and seconds for an echo round,
                    against running guests, per run (gnuplot)
"""
import csv
import glob
import os
import subprocess
import sys

MARK = "@@XEVT@@ "


def kv(words):
    return dict(w.split("=", 1) for w in words if "=" in w)


def parse(path):
    run = os.path.basename(path)[:-4]
    res = {"run": run, "progress": [], "probes": [], "rounds": [],
           "summary": {}, "ok": 0, "notok": [], "done": False,
           "abi": "?", "refusal": ""}
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "replace").replace("\r", "")
    for line in text.splitlines():
        if not line.startswith(MARK):
            continue
        body = line[len(MARK):]
        if body == "done":
            res["done"] = True
        elif body.startswith("ok "):
            res["ok"] += 1
        elif body.startswith("not ok "):
            res["notok"].append(body[7:])
        elif body.startswith("| "):
            t = body[2:]
            if "xen:events: Using " in t:
                res["abi"] = t.split("xen:events: Using ", 1)[1]
            if not t.startswith("density: "):
                continue
            w = t.split()
            if w[1] == "progress":
                res["progress"].append(kv(w[2:]))
            elif w[1] == "probe" and "round_s=" in t:
                res["probes"].append(kv(w[2:]))
            elif w[1] == "round":
                res["rounds"].append(float(w[-2]))
            elif w[1] == "summary":
                res["summary"] = kv(w[2:])
            elif w[1] == "refused:":
                res["refusal"] = " ".join(w[2:])
    return res


def main():
    out = sys.argv[1]
    runs = [parse(p) for p in sorted(glob.glob(os.path.join(out, "logs", "*.log")))]
    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["run", "guests", "ports", "create_elapsed_s",
                    "ms_per_guest_last_step", "dom0_mem_available_mib",
                    "probe_round_s"])
        for r in runs:
            probes = {p["guests"]: p["round_s"] for p in r["probes"]}
            for p in r["progress"]:
                g = p["guests"].split("/")[0]
                w.writerow([r["run"], g, p["ports"], p["elapsed_s"],
                            p["per_guest_ms"], p["mem_available_mib"],
                            probes.get(g, "")])
    md = []
    with open(os.path.join(out, "meta.txt")) as f:
        md += [l.rstrip() for l in f]
    md += ["",
           "| run | ABI | guests | channels | refusal | create s | ms/guest first step | ms/guest last step | echo round s (max) | dom0 KiB/channel | verdicts |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        s = r["summary"]
        prog = r["progress"]
        first = prog[0]["per_guest_ms"] if prog else "-"
        last = prog[-1]["per_guest_ms"] if prog else "-"
        verdicts = f"{r['ok']} ok, {len(r['notok'])} not ok"
        if not r["done"]:
            verdicts += ", boot did not finish"
        md.append(
            f"| {r['run']} | {r['abi']} | {s.get('guests', '-')} | {s.get('ports', '-')} "
            f"| {r['refusal'] or 'none'} | {s.get('create_s', '-')} | {first} | {last} "
            f"| {s.get('round_s_max', '-')} | {s.get('dom0_kib_per_channel', '-')} | {verdicts} |")
    for r in runs:
        for n in r["notok"]:
            md.append(f"- {r['run']}: not ok {n}")
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    plot(out, runs)
    print("\n".join(md))


def plot(out, runs):
    series = []
    for r in runs:
        probes = {p["guests"]: p["round_s"] for p in r["probes"]}
        name = os.path.join(out, f"curve-{r['run']}.dat")
        with open(name, "w") as f:
            for p in r["progress"]:
                g = p["guests"].split("/")[0]
                f.write(f"{g} {p['per_guest_ms']} {probes.get(g, 'NaN')}\n")
        if r["progress"]:
            series.append((name, r["run"]))
    if not series:
        return
    p1 = ", ".join(f"'{n}' using 1:2 with linespoints title '{t}'" for n, t in series)
    p2 = ", ".join(f"'{n}' using 1:3 with linespoints title '{t}'" for n, t in series)
    script = f"""
set terminal png size 900,900
set output '{os.path.join(out, "curve.png")}'
set multiplot layout 2,1 title 'Real PV guests served by one dom0 (Xen 4.17 in QEMU TCG)'
set xlabel 'running guests'
set ylabel 'ms to create, bind and start one guest'
set key top left
set grid
set yrange [0:*]
plot {p1}
set ylabel 's for one echo round (dom0 notifies all, all echo)'
set logscale y
set yrange [*:*]
set key bottom right
plot {p2}
unset multiplot
"""
    subprocess.run(["gnuplot"], input=script.encode(), check=True)


if __name__ == "__main__":
    main()
