#!/bin/bash
# bench/normalize.sh - pm-normalize against jq and Python doing the same
# decoding of BENCH_N (default 100000) real-shaped Gamma markets.  Runs the
# three alternately, BENCH_ROUNDS times, and reports the best of each and
# the ratios from this one run.
set -eu
cd "$(dirname "$0")/.."
N=${BENCH_N:-100000}
ROUNDS=${BENCH_ROUNDS:-3}
DIR=${BENCH_DIR:-build/bench}
mkdir -p "$DIR"
DATA=$DIR/markets-$N.ndjson
[ -s "$DATA" ] || python3 bench/gen-markets.py "$N" >"$DATA"
BYTES=$(wc -c <"$DATA")

JQ='{kind:"market",source:"polymarket",market_id:(.id|tostring),
 condition_id:(if .conditionId=="" then null else .conditionId end),
 slug,question,event_id:(.events[0].id),close_time:.endDate,active,closed,
 volume:((.volume//.volumeNum)|tonumber? // null),
 liquidity:((.liquidity//.liquidityNum)|tonumber? // null),
 contracts:([(.outcomes//"[]"|fromjson),(.outcomePrices//"[]"|fromjson),
   (.clobTokenIds//"[]"|fromjson)]|transpose|
   map({outcome:.[0],token_id:.[1],price:(.[2]|tonumber? // null)})),
 tags:[(.tags//.events[0].tags//[])[]|{id,slug,"label":.label}]}'

res=$DIR/normalize-runs.jsonl
: >"$res"
for _ in $(seq "$ROUNDS"); do
	python3 bench/timeit.py pm-normalize "bin/pm-normalize -R <'$DATA' >/dev/null"
	python3 bench/timeit.py jq "jq -c '$JQ' <'$DATA' >/dev/null"
	python3 bench/timeit.py python "python3 bench/normalize_baseline.py <'$DATA' >/dev/null"
done >>"$res"
python3 - "$res" "$N" "$BYTES" "$DIR/normalize.json" <<'PY'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
n, size = int(sys.argv[2]), int(sys.argv[3])
best = {}
for r in runs:
    if r["status"] != 0:
        sys.exit("bench: %s failed with status %d" % (r["label"], r["status"]))
    b = best.get(r["label"])
    if b is None or r["seconds"] < b["seconds"]:
        best[r["label"]] = r
ours = best["pm-normalize"]["seconds"]
print("normalize: %d markets, %.1f MB, best of %d alternating runs"
      % (n, size / 1e6, len(runs) // 3))
print("%-14s %9s %9s %11s %9s %9s" % ("program", "seconds", "MB/s",
      "records/s", "peak MB", "ratio"))
rows = []
for label in ("pm-normalize", "jq", "python"):
    r = best[label]
    row = {"workload": "normalize", "program": label, "seconds": r["seconds"],
           "mb_per_s": size / 1e6 / r["seconds"],
           "records_per_s": n / r["seconds"],
           "peak_rss_mb": r["max_rss_kb"] / 1024,
           "ratio_vs_ours": r["seconds"] / ours}
    rows.append(row)
    print("%-14s %9.3f %9.1f %11.0f %9.1f %8.1fx" % (label, row["seconds"],
          row["mb_per_s"], row["records_per_s"], row["peak_rss_mb"],
          row["ratio_vs_ours"]))
json.dump(rows, open(sys.argv[4], "w"), indent=1)
PY
