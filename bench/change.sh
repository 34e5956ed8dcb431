#!/bin/bash
# bench/change.sh - cost grows with change, not with size: thirty
# static-shaped runs (bench/gen-runs.py: a run record, every market as a
# raw record of the keyset listing) over BENCH_CHANGE_N (default 20000)
# markets, 10% of them changed between runs, into one SQLite database by
# pm-normalize | pm-store.  One row for the thirty runs; the payload
# bytes after each run and the table sizes after the last go to
# $DIR/change.txt.
set -eu
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
CN=${BENCH_CHANGE_N:-20000}
RUNS=${BENCH_CHANGE_RUNS:-30}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pm-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

BASE=$(markets_data "$CN")
for k in $(seq "$RUNS"); do
	python3 bench/gen-runs.py "$BASE" "$k" >"$TMP/run-$k.ndjson"
done
BYTES=$(cat "$TMP"/run-*.ndjson | wc -c)

measure "$RUNS static runs, 10% change" "pm-normalize | pm-store" 1 "$BYTES" $((CN * RUNS)) \
    "for k in \$(seq $RUNS); do $BIN/pm-normalize <$TMP/run-\$k.ndjson |
	$BIN/pm-store --db $TMP/c.db >/dev/null 2>>$TMP/err || exit 1
	sqlite3 $TMP/c.db \"SELECT 'run ' || \$k || ': ' || (SELECT count(*) FROM raw_payloads) ||
	    ' payloads, ' || (SELECT sum(length(payload)) FROM raw_payloads) || ' payload bytes, ' ||
	    (SELECT count(*) FROM raw_observations) || ' observations'\" >>$TMP/growth; done"
{
	cat "$TMP/growth"
	sqlite3 "$TMP/c.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
	echo "after $RUNS runs: $(wc -c <"$TMP/c.db") bytes; by table and index (dbstat):"
	sqlite3 "$TMP/c.db" "SELECT name, sum(pgsize) FROM dbstat GROUP BY name
	    HAVING sum(pgsize) > 65536 ORDER BY 2 DESC" | sed 's/|/: /; s/^/  /'
} | tee "$DIR/change.txt" >&2
