#!/bin/bash
# A market or event record older than the row stored (its fetched_at
# before the row's) leaves the row as it is: yesterday's dump replayed
# after today's run, or two flows writing one market at once, do not put
# a closed market back to active, its volume, contracts and tags back to
# yesterday's.  So the rows do not depend on the order the records come
# in: stored new then old, old then new, or both in one stream, every
# engine gives the same rows (SQLite, PostgreSQL directly and through
# PgBouncer, ClickHouse read with FINAL).  A record without fetched_at
# replaces only a row without one.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/ch.sh"
pg_start
pgbouncer_start
ch_start older || { say "$CH_ERR"; exit 1; }
mkdir "$TMP/tmp" && export TMPDIR=$TMP/tmp

T1=2026-12-03T10:00:00.000Z
T2=2026-12-04T10:00:00.000Z
T3=2026-12-05T10:00:00.000Z
# m1: closed today, yesterday active; m2: no fetch time today, one
# yesterday; m3: today's fetch, yesterday's record has none
{
	rec_market m1 fetched_at=$T2 closed:=true active:=false volume:=500 \
	    "contracts:=$(rec_yes_no 11 1 12 0)" \
	    'tags:=[{"id":"7","slug":"s","label":"New"}]'
	rec_market m2 volume:=7
	rec_market m3 fetched_at=$T1 volume:=3
	echo '{"kind":"event","source":"polymarket","event_id":"e1","title":"New","fetched_at":"'$T2'"}'
} >"$TMP/new.ndjson"
{
	rec_market m1 fetched_at=$T1 closed:=false active:=true volume:=100 \
	    "contracts:=$(rec_yes_no 11 0.4 12 0.6)" \
	    'tags:=[{"id":"7","slug":"s","label":"Old"}]'
	rec_market m2 fetched_at=$T1 volume:=8
	rec_market m3 volume:=4
	echo '{"kind":"event","source":"polymarket","event_id":"e1","title":"Old","fetched_at":"'$T1'"}'
} >"$TMP/old.ndjson"
rec_market m1 fetched_at=$T3 closed:=true active:=false volume:=600 \
    "contracts:=$(rec_yes_no 11 1 12 0)" >"$TMP/newest.ndjson"

stored() { jq -r '"\(.market_id // .event_id) \(.stored)"' out | tr '\n' ' '; }

test_expect_success 'SQLite: yesterday after today changes nothing of today' '
	run pm-store --db a.db "$TMP/new.ndjson" &&
	run pm-store --db a.db "$TMP/old.ndjson" &&
	test_eq "m1 unchanged m2 updated m3 unchanged e1 unchanged " "$(stored)" &&
	test_grep "1 updated, 3 unchanged" err &&
	test_eq "1|0|500.0|$T2" "$(sqlite3 a.db "SELECT closed, active, volume, fetched_at FROM markets WHERE market_id = '\''m1'\''")" &&
	test_eq "1.0 0.0" "$(sqlite3 a.db "SELECT group_concat(price, '\'' '\'') FROM (SELECT price FROM contracts WHERE market_id = '\''m1'\'' ORDER BY outcome_index)")" &&
	test_eq New "$(sqlite3 a.db "SELECT label FROM tags")" &&
	test_eq New "$(sqlite3 a.db "SELECT title FROM events")" &&
	test_eq "8.0|$T1" "$(sqlite3 a.db "SELECT volume, fetched_at FROM markets WHERE market_id = '\''m2'\''")" &&
	test_eq "3.0|$T1" "$(sqlite3 a.db "SELECT volume, fetched_at FROM markets WHERE market_id = '\''m3'\''")" &&
	run pm-store --db a.db "$TMP/newest.ndjson" &&
	test_eq "m1 updated " "$(stored)" &&
	test_eq "600.0|$T3" "$(sqlite3 a.db "SELECT volume, fetched_at FROM markets WHERE market_id = '\''m1'\''")"
'

test_expect_success 'SQLite: in either order, or in one stream, the same rows' '
	pm-store --db "$TMP/a1.db" "$TMP/new.ndjson" >/dev/null 2>&1 &&
	pm-store --db "$TMP/a1.db" "$TMP/old.ndjson" >/dev/null 2>&1 &&
	pm-store --db b.db "$TMP/old.ndjson" >/dev/null 2>&1 &&
	pm-store --db b.db "$TMP/new.ndjson" >/dev/null 2>&1 &&
	cat "$TMP/new.ndjson" "$TMP/old.ndjson" | pm-store --db c.db >/dev/null 2>&1 &&
	db_dump "$TMP/a1.db" >"$TMP/a1.rows" && db_dump b.db >b.rows && db_dump c.db >c.rows &&
	test_cmp "$TMP/a1.rows" b.rows && test_cmp "$TMP/a1.rows" c.rows &&
	test_grep "^\[\"markets\",\"polymarket\",\"m1\",.*,\"500\"," "$TMP/a1.rows" &&
	test_grep -x "\[\"tags\",\"polymarket\",\"7\",\"s\",\"New\"\]" "$TMP/a1.rows"
'

for via in direct pgbouncer; do
	test_expect_success "PostgreSQL ($via): the rows and the statuses of SQLite" '
		pg_newdb older_'$via'_a >/dev/null && pg_newdb older_'$via'_b >/dev/null &&
		a=$(pg_url_via older_'$via'_a '$via') &&
		b=$(pg_url_via older_'$via'_b '$via') &&
		run pm-store --db "$a" "$TMP/new.ndjson" && run pm-store --db "$a" "$TMP/old.ndjson" &&
		test_eq "m1 unchanged m2 updated m3 unchanged e1 unchanged " "$(stored)" &&
		pm-store --db "$b" "$TMP/old.ndjson" >/dev/null 2>&1 &&
		pm-store --db "$b" "$TMP/new.ndjson" >/dev/null 2>&1 &&
		db_dump "$a" >pa.rows && db_dump "$b" >pb.rows &&
		test_cmp "$TMP/a1.rows" pa.rows && test_cmp "$TMP/a1.rows" pb.rows &&
		run pm-store --db "$a" "$TMP/newest.ndjson" && test_eq "m1 updated " "$(stored)"
	'
done

# 600 new markets, each with a tag of its own, in one batch: the tags'
# statements (250 rows each) look their markets up, so the markets held
# go before them
for i in $(seq 1 600); do
	printf '{"kind":"market","source":"polymarket","market_id":"t%d","fetched_at":"%s","tags":[{"id":"x%d","label":"L%d"}]}\n' \
	    "$i" $T2 "$i" "$i"
done >"$TMP/tagged.ndjson"
test_expect_success 'PostgreSQL: every tag of a batch of new markets' '
	u=$(pg_newdb older_tags) &&
	run pm-store --db "$u" "$TMP/tagged.ndjson" && expect_status 0 &&
	test_eq 600 "$(psql -X -A -t "$u" -c "SELECT count(*) FROM tags")" &&
	pm-store --db t.db "$TMP/tagged.ndjson" >/dev/null 2>&1 &&
	db_dump t.db >s.rows && db_dump "$u" >p.rows && test_cmp s.rows p.rows
'

test_expect_success 'ClickHouse: in either order, the rows of SQLite (FINAL)' '
	ch_query "CREATE DATABASE older_a" && ch_query "CREATE DATABASE older_b" &&
	ch_query "CREATE DATABASE older_c" &&
	u=clickhouse://127.0.0.1:${CH_HTTP##*:} &&
	pm-store --db "$u/older_a" "$TMP/new.ndjson" >/dev/null 2>&1 &&
	pm-store --db "$u/older_a" "$TMP/old.ndjson" >/dev/null 2>&1 &&
	pm-store --db "$u/older_b" "$TMP/old.ndjson" >/dev/null 2>&1 &&
	pm-store --db "$u/older_b" "$TMP/new.ndjson" >/dev/null 2>&1 &&
	cat "$TMP/new.ndjson" "$TMP/old.ndjson" | pm-store --db "$u/older_c" >/dev/null 2>&1 &&
	python3 "$TOP/bench/ch_rows.py" "$TMP/a1.db" "$(ch_dburl older_a)" "$(ch_dburl older_b)" "$(ch_dburl older_c)" &&
	test_eq 500 "$(curl -sf --data-binary "SELECT volume FROM markets FINAL WHERE market_id = '\''m1'\''" "$(ch_dburl older_a)")"
'

test_done
