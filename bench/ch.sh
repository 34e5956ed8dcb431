#!/bin/bash
# bench/ch.sh - the replay workload into ClickHouse: BENCH_N raw Gamma
# markets normalized and stored by pm-normalize | pm-store --db
# clickhouse:// (raw payloads, markets, contracts, tags as JSONEachRow
# blocks), against the floor: clickhouse-client --query "INSERT ... FORMAT
# JSONEachRow" of the very rows pm-store sent, ready in files, one
# client per table, no checks, no hashing.  pm-store alone (the stream
# normalized beforehand) is a row of its own.  A throwaway server
# (tests/ch.sh); fresh databases each round, schema applied outside the
# timing; the rows are then compared with SQLite's (bench/ch_rows.py).
# BENCH_BEFORE=DIR adds a row for DIR/pm-store alone (an older build, to
# compare a change side by side).
set -eu
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pm-bench.XXXXXX")
# the server's dir is made readable by its user; ours stays private
chmod 755 "$TMP"
# tests/ch.sh's EXIT trap calls tests/lib.sh's test_exit_cleanup: here
# it stops the server and removes $TMP
test_exit_cleanup() { ch_stop_all; rm -rf "$TMP"; }
# shellcheck source=tests/ch.sh
. tests/ch.sh
ch_start bench || { echo "bench: no ClickHouse: $CH_ERR" >&2; exit 1; }
TCP=$(sed -n 's:.*<tcp_port>\([0-9]*\)</tcp_port>.*:\1:p' "$CH_DIR/config.xml")
BASE=${CH_URL%/*}

DATA=$(markets_data "$N")
BYTES=$(wc -c <"$DATA")
NORM=$TMP/norm.ndjson
"$BIN/pm-normalize" <"$DATA" >"$NORM" 2>/dev/null
TABLES="raw_responses markets contracts tags"

fresh() {	# fresh DB: an empty database with the schema
	ch_query "DROP DATABASE IF EXISTS $1" && ch_query "CREATE DATABASE $1" &&
	    "$BIN/pm-store" --schema clickhouse --db "$BASE/$1" 2>/dev/null
}

# The floor's rows: what pm-store sent, read back as JSONEachRow.
fresh prep
"$BIN/pm-store" --db "$BASE/prep" <"$NORM" >/dev/null 2>"$TMP/err"
for t in $TABLES; do
	ch_query "SELECT * FROM prep.$t FORMAT JSONEachRow" >"$TMP/$t.json"
done
floor_cmd=
for t in $TABLES; do
	[ -s "$TMP/$t.json" ] || continue	# the client refuses no rows
	floor_cmd="$floor_cmd clickhouse-client --host 127.0.0.1 --port $TCP --database floor --query 'INSERT INTO $t FORMAT JSONEachRow' <$TMP/$t.json &&"
done
floor_cmd="${floor_cmd% &&}"

for _ in $(seq "$ROUNDS"); do
	fresh ours
	measure "replay clickhouse" "pm-normalize | pm-store" 1 "$BYTES" "$N" \
	    "$BIN/pm-normalize <'$DATA' | $BIN/pm-store --db '$BASE/ours' >/dev/null 2>$TMP/err"
	fresh alone
	measure "replay clickhouse" "pm-store alone" 0 "$BYTES" "$N" \
	    "$BIN/pm-store --db '$BASE/alone' <'$NORM' >/dev/null 2>$TMP/err"
	if [ -n "${BENCH_BEFORE:-}" ]; then
		fresh before
		measure "replay clickhouse" "pm-store alone, before" 0 "$BYTES" \
		    "$N" "$BENCH_BEFORE/pm-store --db '$BASE/before' <'$NORM' >/dev/null 2>$TMP/err"
	fi
	fresh floor
	measure "replay clickhouse" "floor: clickhouse-client" 0 "$BYTES" "$N" \
	    "$floor_cmd"
done
"$BIN/pm-store" --db "$TMP/s.db" <"$NORM" >/dev/null 2>&1
python3 bench/ch_rows.py --every 97 "$TMP/s.db" "$CH_HTTP/?database=ours" \
    "$CH_HTTP/?database=floor"
echo "bench: ClickHouse rows equal SQLite's (bench/ch_rows.py)" >&2
