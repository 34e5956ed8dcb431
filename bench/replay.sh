#!/bin/bash
# bench/replay.sh - the replay workload: BENCH_N raw Gamma markets
# normalized and stored (raw payload, market and contracts rows), by
# pm-normalize | pm-store and by what a user would write instead: the lean
# Python script of the bronze -> silver design (bench/replay_lean.py:
# json + sqlite3 executemany, raw line + 12 columns + contracts; or COPY
# through psql), the heavier Python that mirrors pm-store's own work
# (bench/replay_baseline.py), jq -> sqlite3 .import; into SQLite and a
# throwaway PostgreSQL, directly and through PgBouncer (transaction mode).
# Floors: SQLite and psql COPY writing the very rows pm-store wrote, in
# its order (SQLite: ORDER BY rowid, for a plain INSERT ... SELECT * into
# a like table copies the B-trees whole, in key order, SQLite's transfer
# optimization: 0.5 s of CPU for 100k markets where inserting the rows
# takes 1.5 s, no floor for a store that inserts them); and SQLite
# writing the lean script's own rows, the part of its time that no tool
# storing the same information through SQLite could save.  A bound beside
# them: the pipe into a database without the indexes on random keys
# (token ids, observation keys), the most a schema without them could
# give.
# Rounds alternate the tools so machine noise hits all of them;
# bench/table.py keeps the best of each.  REPLAY_DB=postgresql (or sqlite)
# runs one part only; BENCH_BEFORE=DIR adds DIR's pm-normalize | pm-store
# (an older build) beside ours, to compare two versions.  Into SQLite,
# each process of the pipe also runs alone (the slower bounds the pipe).
# The databases are then compared, their sizes and the payloads'
# compression written to $DIR/sizes.txt.
set -eu
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pm-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# shellcheck source=tests/pg.sh
. tests/pg.sh
pg_start || { echo "bench: no PostgreSQL: $PG_ERR" >&2; exit 1; }
trap 'pgbouncer_stop; pg_stop; rm -rf "$TMP"' EXIT
pgbouncer_start || { echo "bench: no PgBouncer: $PG_ERR" >&2; exit 1; }

DATA=$(markets_data "$N")
BYTES=$(wc -c <"$DATA")
SCHEMA=$(python3 -c 'import sys; sys.argv=["x"]; exec(open("bench/replay_baseline.py").read().split("MCOLS =")[0]); print(SCHEMA)')
TABLES="raw_payloads raw_observations raw_dicts markets contracts"
PARTS=${REPLAY_DB:-sqlite postgresql}
BEFORE=${BENCH_BEFORE:-}
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }

# The floors: SQLite alone (INSERT ... SELECT from a copy, same schema,
# indexes and pragmas) and psql COPY writing the rows pm-store writes,
# already made: no JSON, no checks, no hashing, no compression.
"$BIN/pm-normalize" <"$DATA" >"$TMP/norm.ndjson"
"$BIN/pm-store" --db "$TMP/prep.db" <"$TMP/norm.ndjson" >/dev/null 2>&1
sqlite3 "$TMP/prep.db" "SELECT sql || ';' FROM sqlite_master WHERE sql IS NOT NULL
    AND tbl_name IN ('${TABLES// /\', \'}') ORDER BY type DESC" >"$TMP/floor.sql"
# pm-store's pragmas (lib/db_sqlite.c): with SQLite's default 2 MB cache
# the floor took 2.9-4.5 s against 1.9-2.1 s, spilling the random-key
# index pages it touches
floor_sqlite="PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
PRAGMA cache_size=-131072; PRAGMA wal_autocheckpoint=16384;
.read $TMP/floor.sql
ATTACH '$TMP/prep.db' AS src; BEGIN;"
for t in $TABLES; do floor_sqlite="$floor_sqlite INSERT INTO main.$t SELECT * FROM src.$t ORDER BY rowid;"; done
floor_sqlite="$floor_sqlite COMMIT;"
# and the lean script's rows (bench/replay_lean.py), from a database it
# wrote, into its own schema
part sqlite && python3 bench/replay_lean.py sqlite "$TMP/lean-prep.db" <"$DATA"
floor_lean="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-131072;
$(python3 -c 'import sys; sys.path.insert(0, "bench"); import replay_lean; print(replay_lean.SCHEMA)')
ATTACH '$TMP/lean-prep.db' AS src; BEGIN;
INSERT INTO main.markets SELECT * FROM src.markets ORDER BY rowid;
INSERT INTO main.contracts SELECT * FROM src.contracts ORDER BY rowid;
COMMIT;"
prep_pg=$(pg_newdb prep)
"$BIN/pm-normalize" <"$DATA" | "$BIN/pm-store" --db "$prep_pg" >/dev/null 2>&1
floor_pg="BEGIN;"
for t in $TABLES; do
	psql -X -q "$prep_pg" -c "\\copy $t TO '$TMP/$t.copy'"
	floor_pg="$floor_pg
\\copy $t FROM '$TMP/$t.copy'"
done
floor_pg="$floor_pg
COMMIT;"
printf '%s\n' "$floor_pg" >"$TMP/floor-pg.sql"

part sqlite || "$BIN/pm-normalize" <"$DATA" | "$BIN/pm-store" --db "$TMP/ours.db" >/dev/null 2>&1
# pipe LABEL OURS BIN DB: BIN's pm-normalize | pm-store into $TMP/DB;
# alone LABEL BIN DB: BIN's pm-store alone on the normalized records
pipe() {
	measure "replay sqlite" "$1" "$2" "$BYTES" "$N" \
	    "$3/pm-normalize <'$DATA' | $3/pm-store --db $TMP/$4 >/dev/null 2>$TMP/err"
}
alone() {
	measure "replay sqlite" "$1" 0 "$BYTES" "$N" \
	    "$2/pm-store --db $TMP/$3 <'$TMP/norm.ndjson' >/dev/null 2>$TMP/err"
}
# in_turn R OURS BEFORE: ours and BENCH_BEFORE's run of one command (the
# functions OURS and BEFORE), in turn first and second: whichever runs
# first in a round runs on a machine still settling from the round
# before (the same pm-store, first, took 1 s more in 3 rounds of 3)
in_turn() {
	if [ -z "$BEFORE" ]; then "$2"
	elif [ $(($1 % 2)) = 1 ]; then "$2"; "$3"
	else "$3"; "$2"; fi
}
pipe_ours() { pipe "pm-normalize | pm-store" 1 "$BIN" ours.db; }
pipe_before() { pipe "before: normalize | store" 0 "$BEFORE" before.db; }
alone_ours() { alone "pm-store alone" "$BIN" alone.db; }
alone_before() { alone "before: pm-store alone" "$BEFORE" alone-before.db; }
for r in $(seq "$ROUNDS"); do
	part sqlite || break
	rm -f "$TMP"/ours.db* "$TMP"/py.db* "$TMP"/lean.db* "$TMP"/jq.db* "$TMP"/floor.db* "$TMP"/leanfloor.db* \
	    "$TMP"/before.db* "$TMP"/alone*.db* "$TMP"/noidx.db*
	in_turn "$r" pipe_ours pipe_before
	measure "replay sqlite" "python lean (json+sqlite3)" 0 "$BYTES" "$N" \
	    "python3 bench/replay_lean.py sqlite $TMP/lean.db <'$DATA'"
	# the lean script's own rows, written by SQLite alone: what of its
	# time no tool storing that information through SQLite could save
	measure "replay sqlite" "floor: lean's rows ready" 0 "$BYTES" "$N" \
	    "sqlite3 $TMP/leanfloor.db <<'SQL' >/dev/null
$floor_lean
SQL"
	measure "replay sqlite" "python heavy (+sha,record)" 0 "$BYTES" "$N" \
	    "python3 bench/replay_baseline.py sqlite $TMP/py.db <'$DATA'"
	measure "replay sqlite" "jq | sqlite3 .import" 0 "$BYTES" "$N" \
	    "jq -j -f bench/replay.jq <'$DATA' | sqlite3 $TMP/jq.db 'PRAGMA journal_mode=WAL' 'PRAGMA synchronous=NORMAL' \"\$(cat <<'SQL'
$SCHEMA
CREATE TABLE stage (t, b, c, d, e, f, g, h, i, j, k, l);
SQL
)\" '.mode ascii' '.import /dev/stdin stage' '.read bench/replay_jq.sql' >/dev/null"
	# what a schema without indexes on random keys could give at best:
	# the pipe into a database whose token and observation-key indexes
	# are dropped beforehand (queries by token and observations kept
	# once lose their index: a bound, not a choice)
	"$BIN/pm-store" --db "$TMP/noidx.db" </dev/null >/dev/null 2>&1
	sqlite3 "$TMP/noidx.db" "DROP INDEX contracts_token; DROP INDEX raw_observations_key"
	pipe "bound: no random-key indexes" 0 "$BIN" noidx.db
	measure "replay sqlite" "floor: SQLite, rows ready" 0 "$BYTES" "$N" \
	    "sqlite3 $TMP/floor.db <<'SQL' >/dev/null
$floor_sqlite
SQL"
	# each process of the pipe alone: the slower bounds the pipe
	measure "replay sqlite" "pm-normalize alone" 0 "$BYTES" "$N" \
	    "$BIN/pm-normalize <'$DATA' >/dev/null"
	in_turn "$r" alone_ours alone_before
done
# databases named by round and way in: PgBouncer keeps its server
# connections to the last round's, which could then not be dropped
for r in $(seq "$ROUNDS"); do
	part postgresql || break
	for via in direct pgbouncer; do
		x=_${via}_$r
		ours_pg=$(pg_newdb "ours$x") lean_pg=$(pg_newdb "lean$x") py_pg=$(pg_newdb "py$x") fl_pg=$(pg_newdb "floor$x")
		"$BIN/pm-store" --db "$fl_pg" </dev/null >/dev/null 2>&1
		[ -z "$BEFORE" ] || { old_pg=$(pg_newdb "before$x") && "$BEFORE/pm-store" --db "$old_pg" </dev/null >/dev/null 2>&1; }
		if [ $via = pgbouncer ]; then
			ours_pg=$(pgb_url "ours$x") lean_pg=$(pgb_url "lean$x") py_pg=$(pgb_url "py$x") fl_pg=$(pgb_url "floor$x")
			[ -z "$BEFORE" ] || old_pg=$(pgb_url "before$x")
		fi
		measure "replay postgresql $via" "pm-normalize | pm-store" 1 "$BYTES" "$N" \
		    "$BIN/pm-normalize <'$DATA' | $BIN/pm-store --db '$ours_pg' >/dev/null 2>$TMP/err"
		[ -z "$BEFORE" ] || measure "replay postgresql $via" "pm-store before (BENCH_BEFORE)" 0 "$BYTES" "$N" \
		    "$BEFORE/pm-normalize <'$DATA' | $BEFORE/pm-store --db '$old_pg' >/dev/null 2>$TMP/err"
		measure "replay postgresql $via" "python lean | psql COPY" 0 "$BYTES" "$N" \
		    "python3 bench/replay_lean.py pg <'$DATA' | psql -q -X '$lean_pg' >/dev/null"
		measure "replay postgresql $via" "python heavy | psql COPY" 0 "$BYTES" "$N" \
		    "python3 bench/replay_baseline.py pg <'$DATA' | psql -q -X '$py_pg' >/dev/null"
		measure "replay postgresql $via" "floor: psql COPY, rows ready" 0 "$BYTES" "$N" \
		    "psql -q -X -v ON_ERROR_STOP=1 '$fl_pg' -f $TMP/floor-pg.sql >/dev/null"
	done
done
part sqlite && python3 bench/check_rows.py "replay sqlite" "$TMP/ours.db" "$TMP/py.db" "~$TMP/jq.db" "=$TMP/lean.db"
part postgresql && python3 bench/check_rows.py "replay postgresql" "$ours_pg" "$py_pg" "$TMP/ours.db" "=$lean_pg"
part sqlite || exit 0

# ratio DB LABEL: the payloads' bytes against what keeps them (packed
# payloads and dictionaries)
ratio() {
	"$BIN/pm-store" --db "$1" --export raw | python3 -c '
import sys
seen, plain = set(), 0
for line in sys.stdin:
    sha = line.split("\"sha256\":\"", 1)[1][:64]
    if sha not in seen:
        seen.add(sha)
        plain += len(line.split("\"payload\":", 1)[1].rstrip("\n")) - 1
print(len(seen), plain)' | {
		read -r n plain
		stored=$(sqlite3 "$1" "SELECT (SELECT sum(length(payload)) FROM raw_payloads) +
		    (SELECT COALESCE(sum(length(dict)), 0) FROM raw_dicts)")
		echo "payloads, $2: $n, $plain bytes kept in $stored ($(python3 -c "print('%.2fx' % ($plain / $stored))"))"
	}
}

# Sizes: SQLite's main files once the WAL is checkpointed; PostgreSQL's
# databases; what the payloads take against their bytes.
{
	part sqlite && for d in ours lean py jq floor; do
		sqlite3 "$TMP/$d.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
		echo "size sqlite $d: $(wc -c <"$TMP/$d.db") bytes"
	done
	part postgresql && for d in ours lean py floor; do
		echo "size postgresql $d: $(psql -X -A -t "$PG_URL" -c "SELECT pg_database_size('${d}_pgbouncer_$ROUNDS')") bytes"
	done
	ratio "$TMP/ours.db" "the bench's cloned markets ($N)"
	jq -c '.[]' tests/fixtures/gamma-markets-*.json tests/fixtures/gamma-events-*.json |
	    "$BIN/pm-normalize" 2>/dev/null | "$BIN/pm-store" --db "$TMP/fx.db" >/dev/null 2>&1 || true
	ratio "$TMP/fx.db" "tests/fixtures real answers"
} | tee "$DIR/sizes.txt" >&2
