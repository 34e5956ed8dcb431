#!/bin/bash
# bench/run.sh - make bench: every workload, then one table of all of them
# (bench/table.py), also written as JSON to build/bench/results.json for
# tracking over time.  BENCH_N (default 100000) shrinks the data for a
# quick run; BENCH_ROUNDS (default 2) alternating rounds per workload.
set -eu
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
: >"$ROWS"
# store.sh: pm-store alone against the .import and \copy floors
# B=ch (make bench B=ch): only bench/ch.sh, the others likewise
list="replay.sh change.sh normalize.sh fetch.sh trades.sh store.sh programs.sh ch.sh"
[ -z "${B:-}" ] || list=$B.sh
for b in $list; do
	echo "== $b" >&2
	bash "bench/$b" >&2
done
python3 bench/table.py "$ROWS" "$DIR/results.json"
echo "written: $DIR/results.json" >&2
