#!/bin/bash
# shellcheck disable=SC2034
# bench/lib.sh - what the benchmarks share: where data and results go, and
# measure(), which times one command and appends a row to $ROWS for
# bench/table.py.  Sourced, not run.
N=${BENCH_N:-100000}
DIR=${BENCH_DIR:-build/bench}
BIN=${BENCH_BIN:-bin}
ROUNDS=${BENCH_ROUNDS:-2}
ROWS=${BENCH_ROWS:-$DIR/rows.jsonl}
mkdir -p "$DIR"
# the fake servers' rate budgets (pm-fetch(1), PM_STATE_DIR) with the
# results, not in the user's ~/.cache/pm
export PM_STATE_DIR=$DIR/state

# measure WORKLOAD TOOL OURS BYTES RECORDS CMD: run CMD (through sh, with
# its own redirections), time it, its CPU (user and system, all of its
# processes) and its peak RSS (the largest process of a pipeline), and
# append one row.  OURS is 1 for the toolchain's own row, the one the
# others' ratios are taken against.  A failing command stops the
# benchmark: a fast wrong answer is no answer.  The files the runs before
# wrote are synced first: their writeback would otherwise fall in this
# run's time (in replay, whichever tool ran first in a round lost about
# 1 s of 6 to the 300 MB databases of the round before).
measure() {
	local r
	sync
	r=$(python3 bench/timeit.py "$2" "$6") || return 1
	python3 - "$r" "$1" "$3" "$4" "$5" >>"$ROWS" <<'PY' || return 1
import json, sys
r, wl, ours, size, recs = json.loads(sys.argv[1]), sys.argv[2], \
    sys.argv[3] == "1", int(sys.argv[4]), int(sys.argv[5])
if r["status"] != 0:
    sys.exit("bench: %s: %s exited %d" % (wl, r["label"], r["status"]))
print(json.dumps({"workload": wl, "tool": r["label"], "ours": ours,
                  "seconds": r["seconds"], "cpu_seconds": r["cpu_seconds"],
                  "peak_rss_mb":
                  round(r["max_rss_kb"] / 1024, 1), "bytes": size,
                  "records": recs}))
PY
}

# The N real-shaped raw Gamma markets every workload starts from.
markets_data() {
	local f=$DIR/markets-g-$1.ndjson
	[ -s "$f" ] || python3 bench/gen-markets.py "$1" >"$f"
	echo "$f"
}
