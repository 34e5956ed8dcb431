#!/bin/bash
# bench/replay_sqlite.sh - the SQLite half of bench/replay.sh alone
# (make bench B=replay_sqlite), quick to run while working on the store:
# pm-normalize | pm-store against the lean and the heavy Python scripts
# and the floor (SQLite writing pm-store's rows ready-made), rounds
# alternating; and each of our two processes alone, since the slower of
# the two bounds the pipe.  BENCH_BEFORE=DIR (binaries of another build,
# main's say) runs them too, side by side.  Sizes (main files after a
# checkpoint) to $DIR/sizes-sqlite.txt.
set -eu
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pm-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
BEFORE=${BENCH_BEFORE:-}

DATA=$(markets_data "$N")
BYTES=$(wc -c <"$DATA")
TABLES="raw_payloads raw_observations raw_dicts markets contracts"
"$BIN/pm-normalize" <"$DATA" >"$TMP/norm.ndjson"
"$BIN/pm-store" --db "$TMP/prep.db" <"$TMP/norm.ndjson" >/dev/null 2>&1
sqlite3 "$TMP/prep.db" "SELECT sql || ';' FROM sqlite_master WHERE sql IS NOT NULL
    AND tbl_name IN ('${TABLES// /\', \'}') ORDER BY type DESC" >"$TMP/floor.sql"
floor_sqlite="PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
.read $TMP/floor.sql
ATTACH '$TMP/prep.db' AS src; BEGIN;"
for t in $TABLES; do floor_sqlite="$floor_sqlite INSERT INTO main.$t SELECT * FROM src.$t;"; done
floor_sqlite="$floor_sqlite COMMIT;"

W="replay sqlite"
for _ in $(seq "$ROUNDS"); do
	rm -f "$TMP"/ours.db* "$TMP"/before.db* "$TMP"/py.db* "$TMP"/lean.db* \
	    "$TMP"/floor.db* "$TMP"/alone.db*
	measure "$W" "pm-normalize | pm-store" 1 "$BYTES" "$N" \
	    "$BIN/pm-normalize <'$DATA' | $BIN/pm-store --db $TMP/ours.db >/dev/null 2>$TMP/err"
	[ -z "$BEFORE" ] || measure "$W" "before: normalize | store" 0 "$BYTES" "$N" \
	    "$BEFORE/pm-normalize <'$DATA' | $BEFORE/pm-store --db $TMP/before.db >/dev/null 2>$TMP/err"
	measure "$W" "python lean (json+sqlite3)" 0 "$BYTES" "$N" \
	    "python3 bench/replay_lean.py sqlite $TMP/lean.db <'$DATA'"
	measure "$W" "python heavy (+sha,record)" 0 "$BYTES" "$N" \
	    "python3 bench/replay_baseline.py sqlite $TMP/py.db <'$DATA'"
	measure "$W" "floor: SQLite, rows ready" 0 "$BYTES" "$N" \
	    "sqlite3 $TMP/floor.db <<'SQL' >/dev/null
$floor_sqlite
SQL"
	measure "$W" "pm-normalize alone" 0 "$BYTES" "$N" \
	    "$BIN/pm-normalize <'$DATA' >/dev/null"
	measure "$W" "pm-store alone" 0 "$BYTES" "$N" \
	    "$BIN/pm-store --db $TMP/alone.db <'$TMP/norm.ndjson' >/dev/null 2>$TMP/err"
	if [ -n "$BEFORE" ]; then
		rm -f "$TMP"/alone.db*
		measure "$W" "before: pm-store alone" 0 "$BYTES" "$N" \
		    "$BEFORE/pm-store --db $TMP/alone.db <'$TMP/norm.ndjson' >/dev/null 2>$TMP/err"
	fi
done
python3 bench/check_rows.py "$W" "$TMP/ours.db" "$TMP/py.db" "=$TMP/lean.db"
{
	for d in ours before lean py floor; do
		[ -e "$TMP/$d.db" ] || continue
		sqlite3 "$TMP/$d.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
		echo "size sqlite $d: $(wc -c <"$TMP/$d.db") bytes"
	done
} | tee "$DIR/sizes-sqlite.txt" >&2
