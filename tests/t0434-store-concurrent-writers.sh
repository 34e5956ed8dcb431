#!/bin/bash
# Two writers at once (cron flows overlapping, a replay by hand while a
# flow stores): every pm-store started at the same moment on one database
# stores its records, whatever the others are doing to the schema.  A
# brand-new database, or one an older build made, is created or migrated
# by all of them at once: PostgreSQL (directly and through PgBouncer)
# takes an advisory lock for it; ClickHouse has no lock and no ADD COLUMN
# IF NOT EXISTS, so a column another pm-store added between the question
# and the ALTER is taken as added, not as a failed migration (before: all
# but one pm-store exited 3 with "column with this name already exists",
# their records stored nowhere).  And --prune-before beside a store on
# PostgreSQL: a payload the store writes a fetch of stays.  A store's
# transaction is not held open by a slow producer, and a store waits for
# another's lock no longer than PM_DB_TIMEOUT on PostgreSQL either.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/ch.sh"
pg_start
pgbouncer_start
ch_start concurrent || { say "$CH_ERR"; exit 1; }
mkdir "$TMP/tmp" && export TMPDIR=$TMP/tmp
F=$TESTS_DIR/fixtures-store

jq -c ".[]" "$FIXTURES"/gamma-markets-bobaoxu2001-1.json | pm-normalize \
    >"$TMP/in.ndjson" 2>/dev/null
N=$(wc -l <"$TMP/in.ndjson")

# at_once DB K: K pm-store of the input into DB started together; each
# must exit 0 having stored every record
at_once() {
	local i p bad=0 pids=''
	for i in $(seq "$2"); do
		pm-store --db "$1" "$TMP/in.ndjson" >"o$i" 2>"e$i" &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p" || bad=1; done
	for i in $(seq "$2"); do
		test_grep "^pm-store: $N records: .* 0 failed in" "e$i" &&
		test_line_count "o$i" -eq "$N" || bad=1
	done
	return $bad
}


test_expect_success 'ClickHouse: three pm-store on a new database at once' '
	for r in 1 2 3 4; do
		u=$(ch_newdb new$r) && at_once "$u" 3 || return 1
		test_eq 5 "$(ch_query "SELECT max(version) FROM new$r.schema_migrations")" || return 1
		test_eq 3 "$(ch_query "SELECT count() FROM new$r.markets FINAL")" || return 1
	done
'

test_expect_success 'ClickHouse: three pm-store migrating schema 1 at once' '
	for r in 1 2 3 4; do
		u=$(ch_newdb old$r) &&
		PM_SCHEMA_VERSION=1 pm-store --db "$u" </dev/null 2>/dev/null &&
		test_eq 1 "$(ch_query "SELECT max(version) FROM old$r.schema_migrations")" &&
		at_once "$u" 3 || return 1
		test_eq 5 "$(ch_query "SELECT max(version) FROM old$r.schema_migrations")" || return 1
	done
'

for via in direct pgbouncer; do
	test_expect_success "PostgreSQL ($via): three pm-store migrating an old build's database at once" '
		pgb_ready &&
		for r in 1 2; do
			pg_newdb "old_${via}_$r" >/dev/null &&
			d=$(pg_url_via "old_${via}_$r" direct) &&
			psql -X -q -v ON_ERROR_STOP=1 "$d" -f "$F/build-c51f474-pg.sql" >/dev/null &&
			at_once "$(pg_url_via "old_${via}_$r" "$via")" 3 || return 1
			test_eq "t $(schema_latest)" "$(psql -X -A -t -F" " "$d" -c \
			    "SELECT count(DISTINCT version) = count(*), max(version) FROM schema_migrations")" || return 1
		done
	'
done

# a producer that never pauses for 100 ms (pm-store's idle commit) but
# is slow, here a record every 20 ms for 5 s, as a prices flow fetching
# token after token: its batch must not keep SQLite's writer lock until
# it fills (16000 records), or a store beside it (another flow, a replay)
# waits past PM_DB_TIMEOUT and exits 3, its records stored nowhere
python3 "$TOP/bench/gen-markets.py" 125 | pm-normalize 2>/dev/null >"$TMP/slow.ndjson"
test_expect_success 'SQLite: a slow producer does not hold the writer lock for its whole batch' '
	pm-store --db s.db </dev/null 2>/dev/null &&
	{ python3 -c "
import sys, time
for l in sys.stdin:
    sys.stdout.write(l)
    sys.stdout.flush()
    time.sleep(0.02)" <"$TMP/slow.ndjson" | pm-store --db s.db >a.out 2>a.err &
	} &&
	sleep 1 &&
	PM_DB_TIMEOUT=3 run pm-store --db s.db "$TMP/in.ndjson" && expect_status 0 &&
	test_line_count out -eq "$N" &&
	wait && test_grep "^pm-store: 250 records: .* 0 failed in" a.err &&
	test_eq 128 "$(sqlite3 s.db "SELECT count(*) FROM markets")"
'

# a payload kept from a fetch before the cut, which no row names; a
# store writes a new fetch of it (INSERT ... ON CONFLICT DO NOTHING locks
# no row) and, a trigger holding its transaction open, has not committed
# when the prune runs: the prune must not take the payload from under it
PAYLOAD='{"history":[]}'
for t in 2026-01-01 2026-12-01; do
	rec_raw clob prices-history '{"market":"t1"}' "$PAYLOAD" |
	    sed "s/2026-08-22T15:21:00.123Z/${t}T00:00:00.000Z/" >"$TMP/raw-$t.ndjson"
done
for via in direct pgbouncer; do
	test_expect_success "PostgreSQL ($via): --prune-before beside a store of a fetch of an old payload" '
		pgb_ready && pg_newdb "prune_$via" >/dev/null &&
		d=$(pg_url_via "prune_$via" direct) && u=$(pg_url_via "prune_$via" "$via") &&
		pm-store --db "$u" "$TMP/raw-2026-01-01.ndjson" >/dev/null 2>&1 &&
		psql -X -q -v ON_ERROR_STOP=1 "$d" -c "CREATE FUNCTION slow() RETURNS
		    trigger LANGUAGE plpgsql AS \$\$ BEGIN PERFORM pg_sleep(2);
		    RETURN NULL; END \$\$" -c "CREATE TRIGGER slow AFTER INSERT ON
		    raw_observations FOR EACH ROW WHEN (NEW.fetched_at > '\''2026-06'\'')
		    EXECUTE FUNCTION slow()" &&
		{ { pm-store --db "$u" "$TMP/raw-2026-12-01.ndjson" >o1 2>e1
		    echo $? >s1; } & } &&
		n=0 &&
		for _ in $(seq 100); do
			n=$(psql -X -A -t "$PG_URL" -c "SELECT count(*) FROM pg_stat_activity
			    WHERE datname = '\''prune_$via'\'' AND wait_event = '\''PgSleep'\''") &&
			test "$n" -ge 1 && break
			sleep 0.05
		done &&
		test_num "$n" -ge 1 "stores asleep in the trigger" &&
		run pm-store --db "$u" --prune-before 2026-06-01 && expect_status 0 &&
		wait && test_eq 0 "$(cat s1)" &&
		test_grep "1 raw payload versions fetched before 2026-06-01 removed" err &&
		test_eq "1 1" "$(psql -X -A -t -F" " "$d" -c "SELECT
		    (SELECT count(*) FROM raw_observations),
		    (SELECT count(*) FROM raw_payloads)")" &&
		pm-store --db "$u" -e raw >raw && test_line_count raw -eq 1 &&
		test_eq "$PAYLOAD" "$(jq -c .payload raw)"
	'
done

# a session left idle in its transaction holding a market's row (psql
# left open, a crashed client behind a pooler): a store that writes that
# market waits PM_DB_TIMEOUT, as on SQLite, then says so and exits 3, the
# record annotated failed, instead of waiting for ever (and every later
# run of its flow refused: the flow's lock held by the one that hangs)
for via in direct pgbouncer; do
	test_expect_success "PostgreSQL ($via): a row locked by a session idle in its transaction: exit 3, not a hang" '
		pgb_ready && pg_newdb "held_$via" >/dev/null &&
		d=$(pg_url_via "held_$via" direct) && u=$(pg_url_via "held_$via" "$via") &&
		rec_market m1 fetched_at=2026-12-01T00:00:00Z >in1 &&
		rec_market m1 fetched_at=2026-12-02T00:00:00Z volume:=5 >in2 &&
		pm-store --db "$u" in1 >/dev/null 2>&1 &&
		mkfifo sql && { psql -X -q "$d" <sql >/dev/null 2>&1 & } &&
		exec 3>sql && test_when_finished "exec 3>&-" &&
		echo "BEGIN; UPDATE markets SET volume = 1 WHERE market_id = '\''m1'\'';" >&3 &&
		for _ in $(seq 100); do
			test "$(psql -X -A -t "$PG_URL" -c "SELECT count(*) FROM pg_stat_activity
			    WHERE datname = '\''held_$via'\'' AND state = '\''idle in transaction'\''")" = 1 && break
			sleep 0.05
		done &&
		PM_DB_TIMEOUT=2 run timeout 30 pm-store --db "$u" in2 && expect_status 3 &&
		test_grep "held by another session for more than 2 s (PM_DB_TIMEOUT)" err &&
		test_grep "1 records: .* 1 failed" err &&
		test_grep "\"stored\":\"failed\"}$" out &&
		test_count failure out 1
	'
done

test_done
