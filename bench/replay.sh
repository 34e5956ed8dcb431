#!/bin/bash
# bench/replay.sh - the replay workload: BENCH_N raw Gamma markets
# normalized and stored (raw payload, market and contracts rows), by
# pm-normalize | pm-store and by what a user would write instead, into
# SQLite (Python json + sqlite3 executemany; jq -> sqlite3 .import) and
# into a throwaway PostgreSQL (Python -> COPY through psql).  Rounds
# alternate the tools so machine noise hits all of them; bench/table.py
# keeps the best of each.  The databases are then compared.
set -eu
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pm-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# shellcheck source=tests/pg.sh
. tests/pg.sh
pg_start || { echo "bench: no PostgreSQL: $PG_ERR" >&2; exit 1; }

DATA=$(markets_data "$N")
BYTES=$(wc -c <"$DATA")
SCHEMA=$(python3 -c 'import sys; sys.argv=["x"]; exec(open("bench/replay_baseline.py").read().split("MCOLS =")[0]); print(SCHEMA)')

# The floor: bench/sqlite_floor.c inserting the very rows pm-store
# writes (raw payloads, markets, contracts; same schema, indexes and
# pragmas), already split, through one prepared INSERT per table in one
# transaction.  No JSON, no checks, no hashing: what SQLite alone needs
# to write this data here, below which no SQLite-based tool can go.
cc -O2 -o "$DIR/sqlite_floor" bench/sqlite_floor.c -lsqlite3
"$BIN/pm-normalize" <"$DATA" | "$BIN/pm-store" --db "$TMP/prep.db" >/dev/null 2>&1
sqlite3 "$TMP/prep.db" "SELECT sql || ';' FROM sqlite_master WHERE sql IS NOT NULL
    AND tbl_name IN ('raw_responses', 'markets', 'contracts') ORDER BY type DESC" >"$TMP/floor.sql"
for t in raw_responses markets contracts; do
	sqlite3 -ascii "$TMP/prep.db" "SELECT * FROM $t" >"$TMP/$t.a"
done
rm -f "$TMP"/prep.db*

for _ in $(seq "$ROUNDS"); do
	rm -f "$TMP"/*.db*
	measure "replay sqlite" "pm-normalize | pm-store" 1 "$BYTES" "$N" \
	    "$BIN/pm-normalize <'$DATA' | $BIN/pm-store --db $TMP/ours.db >/dev/null 2>$TMP/err"
	measure "replay sqlite" "python json+sqlite3" 0 "$BYTES" "$N" \
	    "python3 bench/replay_baseline.py sqlite $TMP/py.db <'$DATA'"
	measure "replay sqlite" "jq | sqlite3 .import" 0 "$BYTES" "$N" \
	    "jq -j -f bench/replay.jq <'$DATA' | sqlite3 $TMP/jq.db 'PRAGMA journal_mode=WAL' 'PRAGMA synchronous=NORMAL' \"\$(cat <<'SQL'
$SCHEMA
CREATE TABLE stage (t, b, c, d, e, f, g, h, i, j, k, l);
SQL
)\" '.mode ascii' '.import /dev/stdin stage' '.read bench/replay_jq.sql' >/dev/null"
	measure "replay sqlite" "floor: SQLite, rows ready" 0 "$BYTES" "$N" \
	    "$DIR/sqlite_floor $TMP/floor.db $TMP/floor.sql raw_responses $TMP/raw_responses.a markets $TMP/markets.a contracts $TMP/contracts.a"
	ours_pg=$(pg_newdb ours) py_pg=$(pg_newdb py)
	measure "replay postgresql" "pm-normalize | pm-store" 1 "$BYTES" "$N" \
	    "$BIN/pm-normalize <'$DATA' | $BIN/pm-store --db '$ours_pg' >/dev/null 2>$TMP/err"
	measure "replay postgresql" "python | psql COPY" 0 "$BYTES" "$N" \
	    "python3 bench/replay_baseline.py pg <'$DATA' | psql -q -X '$py_pg' >/dev/null"
done
python3 bench/check_rows.py "replay sqlite" "$TMP/ours.db" "$TMP/py.db" "~$TMP/jq.db"
python3 bench/check_rows.py "replay postgresql" "$ours_pg" "$py_pg" "$TMP/ours.db"
