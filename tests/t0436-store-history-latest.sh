#!/bin/bash
# A price record fetched before the row it would replace (its fetched_at
# earlier than the row's) leaves the row as it is, as a market's does:
# yesterday's dump replayed after today's prices run does not put
# yesterday's value of a history point (Polymarket revises the open
# bucket; another fidelity gives other values for one ts) back over
# today's.  Stored new then old, old then new, or both in one stream,
# every engine gives the same rows (SQLite, PostgreSQL directly and
# through PgBouncer, ClickHouse read with FINAL).  A record without
# fetched_at (a dump or export of an earlier version) replaces only a
# row without one; a row stored before schema 13 has none, so a record
# with one replaces it.  pm-normalize gives each price record the
# fetched_at of its raw record.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/ch.sh"
pg_start
pgbouncer_start
ch_start hist || { say "$CH_ERR"; exit 1; }
mkdir "$TMP/tmp" && export TMPDIR=$TMP/tmp

T1=2026-12-03T10:00:00.000Z
T2=2026-12-04T10:00:00.000Z
T3=2026-12-05T10:00:00.000Z
TS=2026-12-02T00:00:00Z
# price TOKEN SIDE PRICE [FETCHED_AT]: a price record of point TS
price() { rec_price "$1" "$2" "$3" $TS "${4:-}"; }
# h1: revised today; h2: no fetch time today, one yesterday; h3:
# today's fetch, yesterday's record has none; b1: a book quote of one
# timestamp fetched twice
{
	price h1 history 0.61 $T2
	price h2 history 0.7
	price h3 history 0.3 $T1
	price b1 buy 0.52 $T2
} >"$TMP/new.ndjson"
{
	price h1 history 0.4 $T1
	price h2 history 0.8 $T1
	price h3 history 0.35
	price b1 buy 0.5 $T1
} >"$TMP/old.ndjson"
price h1 history 0.65 $T3 >"$TMP/newest.ndjson"

stored() { jq -r '"\(.token_id) \(.stored)"' out | tr '\n' ' '; }
row() { sqlite3 "$1" "SELECT price, fetched_at FROM price_history WHERE token_id = '$2'"; }

test_expect_success 'pm-normalize: a price record has its raw record'"'"'s fetched_at' '
	rec_raw clob prices-history "{\"token_id\":\"h1\",\"market_id\":\"m1\",\"outcome\":\"Yes\"}" \
	    "{\"history\":[{\"t\":1796169600,\"p\":0.61}]}" | sed "s/2026-08-22T15:21:00.123Z/$T2/" >raw.ndjson &&
	run pm-normalize -R raw.ndjson && expect_status 0 &&
	test_eq "h1 history 0.61 $TS $T2" "$(jq -r "[.token_id, .side, .price, .ts, .fetched_at] | join(\" \")" out)"
'

test_expect_success 'SQLite: yesterday after today changes nothing of today' '
	run pm-store --db a.db "$TMP/new.ndjson" &&
	run pm-store --db a.db "$TMP/old.ndjson" && expect_status 0 &&
	test_eq "h1 unchanged h2 updated h3 unchanged b1 unchanged " "$(stored)" &&
	test_eq "0.61|$T2" "$(row a.db h1)" &&
	test_eq "0.8|$T1" "$(row a.db h2)" &&
	test_eq "0.3|$T1" "$(row a.db h3)" &&
	test_eq "0.52|$T2" "$(row a.db b1)" &&
	run pm-store --db a.db "$TMP/newest.ndjson" &&
	test_eq "h1 updated " "$(stored)" && test_eq "0.65|$T3" "$(row a.db h1)"
'

test_expect_success 'SQLite: in either order, or in one stream, the same rows' '
	pm-store --db "$TMP/a1.db" "$TMP/new.ndjson" >/dev/null 2>&1 &&
	pm-store --db "$TMP/a1.db" "$TMP/old.ndjson" >/dev/null 2>&1 &&
	pm-store --db b.db "$TMP/old.ndjson" >/dev/null 2>&1 &&
	pm-store --db b.db "$TMP/new.ndjson" >/dev/null 2>&1 &&
	cat "$TMP/new.ndjson" "$TMP/old.ndjson" | pm-store --db c.db >/dev/null 2>&1 &&
	db_dump "$TMP/a1.db" >"$TMP/a1.rows" && db_dump b.db >b.rows && db_dump c.db >c.rows &&
	test_cmp "$TMP/a1.rows" b.rows && test_cmp "$TMP/a1.rows" c.rows &&
	test_eq "0.61|$T2" "$(row b.db h1)" && test_eq "0.61|$T2" "$(row c.db h1)"
'

test_expect_success 'SQLite: without fetched_at on both sides, the last stored' '
	price n1 history 0.1 | pm-store --db n.db >/dev/null 2>&1 &&
	price n1 history 0.2 | pm-store --db n.db >/dev/null 2>&1 &&
	test_eq "0.2|" "$(row n.db n1)"
'

for via in direct pgbouncer; do
	test_expect_success "PostgreSQL ($via): the rows and the statuses of SQLite" '
		pg_newdb hist_'$via'_a >/dev/null && pg_newdb hist_'$via'_b >/dev/null &&
		pg_newdb hist_'$via'_c >/dev/null &&
		a=$(pg_url_via hist_'$via'_a '$via') &&
		b=$(pg_url_via hist_'$via'_b '$via') &&
		c=$(pg_url_via hist_'$via'_c '$via') &&
		run pm-store --db "$a" "$TMP/new.ndjson" && run pm-store --db "$a" "$TMP/old.ndjson" &&
		test_eq "h1 unchanged h2 updated h3 unchanged b1 unchanged " "$(stored)" &&
		pm-store --db "$b" "$TMP/old.ndjson" >/dev/null 2>&1 &&
		pm-store --db "$b" "$TMP/new.ndjson" >/dev/null 2>&1 &&
		cat "$TMP/new.ndjson" "$TMP/old.ndjson" | pm-store --db "$c" >/dev/null 2>&1 &&
		db_dump "$a" >pa.rows && db_dump "$b" >pb.rows && db_dump "$c" >pc.rows &&
		test_cmp "$TMP/a1.rows" pa.rows && test_cmp "$TMP/a1.rows" pb.rows &&
		test_cmp "$TMP/a1.rows" pc.rows &&
		test_eq "0.61|$T2" "$(psql -X -A -t "$a" -c "SELECT price, fetched_at FROM price_history WHERE token_id = '\''h1'\''")" &&
		test_eq "0.61|$T2" "$(psql -X -A -t "$b" -c "SELECT price, fetched_at FROM price_history WHERE token_id = '\''h1'\''")" &&
		run pm-store --db "$a" "$TMP/newest.ndjson" && test_eq "h1 updated " "$(stored)"
	'
done

test_expect_success 'ClickHouse: in either order, the rows of SQLite (FINAL)' '
	ch_query "CREATE DATABASE hist_a" && ch_query "CREATE DATABASE hist_b" &&
	ch_query "CREATE DATABASE hist_c" &&
	u=clickhouse://127.0.0.1:${CH_HTTP##*:} &&
	pm-store --db "$u/hist_a" "$TMP/new.ndjson" >/dev/null 2>&1 &&
	pm-store --db "$u/hist_a" "$TMP/old.ndjson" >/dev/null 2>&1 &&
	pm-store --db "$u/hist_b" "$TMP/old.ndjson" >/dev/null 2>&1 &&
	pm-store --db "$u/hist_b" "$TMP/new.ndjson" >/dev/null 2>&1 &&
	cat "$TMP/new.ndjson" "$TMP/old.ndjson" | pm-store --db "$u/hist_c" >/dev/null 2>&1 &&
	python3 "$TOP/bench/ch_rows.py" "$TMP/a1.db" "$(ch_dburl hist_a)" "$(ch_dburl hist_b)" "$(ch_dburl hist_c)" &&
	for d in hist_a hist_b hist_c; do
		test_eq "0.61	$T2" "$(ch_dbq $d "SELECT price, fetched_at FROM price_history FINAL WHERE token_id = '\''h1'\''")" || return 1
	done
'

# Rows stored before schema 13 have no fetched_at: a record with one
# replaces them, one without too (as before); every row kept.
OLDROW="('o1', 'history', '$TS', 0.9), ('o2', 'history', '$TS', 0.9)"
{ price o1 history 0.1 $T1; price o2 history 0.2; } >"$TMP/after.ndjson"
# a database made by this pm-store stopped at schema 12 (it cannot store
# prices there: its statements name fetched_at)
at12() { PM_SCHEMA_VERSION=12 pm-store --db "$1" </dev/null >/dev/null 2>&1 || :; }
upgraded() {
	test_eq "0.1|$T1" "$2" && test_eq "0.2|" "$3"
}
test_expect_success 'SQLite: a schema 12 database upgraded in place; its rows replaced by any record' '
	at12 u.db && test_eq 12 "$(sqlite3 u.db "SELECT max(version) FROM schema_migrations")" &&
	sqlite3 u.db "INSERT INTO price_history (token_id, side, ts, price) VALUES $OLDROW" &&
	run pm-store --db u.db </dev/null && expect_status 0 &&
	test_eq "$(schema_latest)" "$(sqlite3 u.db "SELECT max(version) FROM schema_migrations")" &&
	test_eq "0.9|" "$(row u.db o1)" &&
	run pm-store --db u.db "$TMP/after.ndjson" && expect_status 0 &&
	test_eq "o1 updated o2 updated " "$(stored)" &&
	upgraded u.db "$(row u.db o1)" "$(row u.db o2)" &&
	at12 u12.db &&
	pm-store --db u12.db </dev/null >/dev/null 2>&1 &&
	pm-store --db f.db </dev/null >/dev/null 2>&1 &&
	test_cmp <(sqlite3 f.db .schema) <(sqlite3 u12.db .schema)
'

# PM_SCHEMA_VERSION (a test setting) holds a database below 13: SQLite
# cannot prepare this build's price_history row, so a price record is
# reported (a failure record, exit 1) and its neighbours are stored
test_expect_success 'SQLite held at schema 12: a price record reported, the rest stored' '
	at12 h.db &&
	{ rec_market hm1 && price h1 history 0.61 $T2 && rec_market hm2; } >mixed.ndjson &&
	PM_SCHEMA_VERSION=12 run pm-store --db h.db mixed.ndjson && expect_status 1 &&
	test_eq "market inserted price failed failure null market inserted " \
	    "$(jq -r "\"\(.kind) \(.stored)\"" out | tr "\n" " ")" &&
	test_grep "^pm-store: mixed.ndjson:2: table price_history is older than this pm-store (PM_SCHEMA_VERSION)$" err &&
	test_eq 12 "$(sqlite3 h.db "SELECT max(version) FROM schema_migrations")" &&
	test_eq "2 0 1" "$(sqlite3 h.db "SELECT (SELECT count(*) FROM markets), (SELECT count(*) FROM price_history), (SELECT count(*) FROM processing_failures)" | tr "|" " ")"
'

test_expect_success 'PostgreSQL: a schema 12 database upgraded in place; the columns of a new one' '
	u=$(pg_newdb hist_up) && f=$(pg_newdb hist_fresh) &&
	at12 "$u" &&
	test_eq 12 "$(psql -X -A -t "$u" -c "SELECT max(version) FROM schema_migrations")" &&
	psql -X -q "$u" -c "INSERT INTO price_history (token_id, side, ts, price) VALUES $OLDROW" &&
	run pm-store --db "$u" "$TMP/after.ndjson" && expect_status 0 &&
	test_eq "o1 updated o2 updated " "$(stored)" &&
	pq() { psql -X -A -t "$u" -c "SELECT price, fetched_at FROM price_history WHERE token_id = '\''$1'\''"; } &&
	upgraded "$u" "$(pq o1)" "$(pq o2)" &&
	pm-store --db "$f" </dev/null >/dev/null 2>&1 &&
	cols="SELECT column_name, data_type, collation_name FROM information_schema.columns WHERE table_name = '\''price_history'\'' ORDER BY ordinal_position" &&
	test_cmp <(psql -X -A -t "$f" -c "$cols") <(psql -X -A -t "$u" -c "$cols")
'

test_expect_success 'ClickHouse: a schema 3 database upgraded in place; its rows replaced by any record' '
	ch_query "CREATE DATABASE hist_up" && ch_query "CREATE DATABASE hist_fresh" &&
	u=clickhouse://127.0.0.1:${CH_HTTP##*:} &&
	{ PM_SCHEMA_VERSION=3 pm-store --db "$u/hist_up" </dev/null >/dev/null 2>&1 || :; } &&
	test_eq 3 "$(ch_dbq hist_up "SELECT max(version) FROM schema_migrations")" &&
	ch_dbq hist_up "INSERT INTO price_history (token_id, side, ts, price, row_version) VALUES ('\''o1'\'', '\''history'\'', '\''$TS'\'', 0.9, 1), ('\''o2'\'', '\''history'\'', '\''$TS'\'', 0.9, 1)" &&
	run pm-store --db "$u/hist_up" "$TMP/after.ndjson" && expect_status 0 &&
	test_eq 5 "$(ch_dbq hist_up "SELECT max(version) FROM schema_migrations")" &&
	pc() { ch_dbq hist_up "SELECT price, fetched_at FROM price_history FINAL WHERE token_id = '\''$1'\''" | tr "\t" "|" | sed "s/|\\\\N$/|/"; } &&
	upgraded hist_up "$(pc o1)" "$(pc o2)" &&
	pm-store --db "$u/hist_fresh" </dev/null >/dev/null 2>&1 &&
	cols="SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = '\''price_history'\'' ORDER BY name" &&
	test_cmp <(ch_dbq hist_fresh "$cols") <(ch_dbq hist_up "$cols")
'

test_done
