#!/bin/bash
# Keys order as bytes on PostgreSQL whatever the database's locale
# (COLLATE "C", migration 10): in a database whose locale orders text as
# a dictionary would (ICU "en": a1 A2 B1 b2), markets are exported in
# SQLite's order (A2 B1 a1 b2), so are results (by experiment), and a
# batch of keys differing only in case is stored with each record's exact
# status, directly and through PgBouncer (issue 18).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
pg_start
pgbouncer_start

# icudb NAME: a database whose default collation is ICU's "en"
icudb() {
	PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 "$PG_URL" \
	    -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1 TEMPLATE
	    template0 LOCALE_PROVIDER icu ICU_LOCALE 'en'" >/dev/null &&
	echo "postgresql://postgres@/$1?host=$PG_DIR"
}

for id in a1 B1 b2 A2; do
	rec_market "$id" active:=true closed:=false
done >"$TMP/in.ndjson"
# a1 again, changed; A1 new; B1 again, the same
{ rec_market a1 active:=true closed:=false question=edited
  rec_market A1 active:=true closed:=false
  rec_market B1 active:=true closed:=false; } >"$TMP/again.ndjson"

test_expect_success 'the locale orders a1 before A2 (what the cases rely on)' '
	pg_ready && url=$(icudb icu) &&
	test "$(psql -X -A -t -q "$url" -c "SELECT string_agg(x, chr(32) ORDER BY x)
	    FROM (VALUES (chr(97) || 1), (chr(65) || 2)) v(x)")" = "a1 A2"
'

test_expect_success 'markets exported in the order SQLite exports them' '
	pg_ready && url=$(icudb icu) &&
	pm-store --db "$TMP/a.db" "$TMP/in.ndjson" >/dev/null 2>&1 &&
	pm-store --db "$url" "$TMP/in.ndjson" >/dev/null 2>&1 &&
	pm-store --db "$TMP/a.db" --export market | jq -r .market_id >sq &&
	pm-store --db "$url" --export market | jq -r .market_id >pg &&
	printf "%s\n" A2 B1 a1 b2 >want && test_cmp want sq && test_cmp sq pg
'

test_expect_success 'results exported in the order SQLite exports them' '
	pg_ready && url=$(icudb icures) &&
	{ rec_run_start r1 daily &&
	  jq -cn --argjson m "$(rec_market a1 active:=true closed:=false)" \
	    --argjson a "$(rec_result b2 "{\"a1\":{\"Yes\":0.5}}")" \
	    --argjson b "$(rec_result B1 "{\"a1\":{\"Yes\":0.5}}")" \
	    --argjson c "$(rec_result a1 "{\"a1\":{\"Yes\":0.5}}")" \
	    "{kind:\"group\", event_key:\"e1\", event:null, markets:[\$m],
	    results:[\$a, \$b, \$c]}"; } >res.ndjson &&
	pm-store --db "$TMP/r.db" res.ndjson >/dev/null 2>&1 &&
	pm-store --db "$url" res.ndjson >/dev/null 2>&1 &&
	pm-store --db "$TMP/r.db" --export result --format csv >sq &&
	pm-store --db "$url" --export result --format csv >pg &&
	cut -d, -f5 sq >got && printf "%s\n" variant B1 a1 b2 >want &&
	test_cmp want got && test_cmp sq pg
'

test_expect_success 'keys apart by case: each record its status, direct and pooled' '
	pg_ready && pgb_ready && pm-store --db "$TMP/a.db" "$TMP/again.ndjson" >sq.out 2>/dev/null &&
	printf "%s\n" updated inserted unchanged >want &&
	jq -r .stored sq.out >sq && test_cmp want sq &&
	icudb icu2 >/dev/null &&
	for url in "$(icudb icu)" "$(pgb_url icu2)"; do
		pm-store --db "$url" "$TMP/in.ndjson" >/dev/null 2>&1 &&
		run pm-store --db "$url" "$TMP/again.ndjson" && expect_status 0 &&
		test_cmp sq.out out || exit 1
	done &&
	pm-store --db "$(pgb_url icu2)" --export market | jq -r .market_id >pg &&
	printf "%s\n" A1 A2 B1 a1 b2 >want && test_cmp want pg
'

test_done
