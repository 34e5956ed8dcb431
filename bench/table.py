#!/usr/bin/env python3
"""table.py ROWS.jsonl [RESULTS.json] - the one table of make bench: per
workload, each tool's best time, its ratio to ours (how many times slower
it is), the CPU of that run, peak RSS and throughput; the same rows as
JSON for tracking.  The CPU shows what the ratio can reach: on N cores a
tool is at best N times faster than a one-thread peer that uses as much
CPU."""
import json
import os
import sys

rows = [json.loads(line) for line in open(sys.argv[1])]
best = {}
for r in rows:
    k = (r["workload"], r["tool"])
    if k not in best or r["seconds"] < best[k]["seconds"]:
        best[k] = dict(r, runs=0)
    best[k]["runs"] += 1
ours = {r["workload"]: r["seconds"] for r in best.values() if r["ours"]}
out = []
print("%-26s %-24s %8s %7s %7s %8s %8s %10s" % ("workload", "tool",
      "seconds", "ratio", "CPU s", "peak MB", "MB/s", "records/s"))
for (wl, tool), r in best.items():
    r["ratio"] = round(r["seconds"] / ours[wl], 2) if wl in ours else None
    r["mb_per_s"] = round(r["bytes"] / 1e6 / r["seconds"], 1) \
        if r["bytes"] else None
    r["records_per_s"] = round(r["records"] / r["seconds"])
    out.append(r)
    cpu = r.get("cpu_seconds")
    print("%-26s %-24s %8.3f %7s %7s %8.1f %8s %10d" % (wl, tool,
          r["seconds"], "%.1fx" % r["ratio"] if r["ratio"] else "-",
          "%.2f" % cpu if cpu is not None else "-", r["peak_rss_mb"],
          "%.1f" % r["mb_per_s"] if r["mb_per_s"] else "-",
          r["records_per_s"]))
print("ratio: the tool's time over ours in the same workload (higher: we "
      "are faster); best of the alternating runs")
print("CPU s: user and system seconds of that run's own processes (not a "
      "database server's), on %d cores" % os.cpu_count())
if len(sys.argv) > 2:
    json.dump(out, open(sys.argv[2], "w"), indent=1)
