#!/bin/bash
# pm-store into PostgreSQL: a real server (tests/pg.sh), the same rows as
# SQLite, idempotence, bad records, libpq's environment.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
RUN=$TESTS_DIR/fixtures-store/run.ndjson
pg_start
# t0471 runs these cases again, every database URL through PgBouncer
[ -n "${PM_PG_POOLED:-}" ] && pgbouncer_start

stream() {
	jq -c ".[]" "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json | pm-normalize
	jq -c ".[]" "$FIXTURES"/gamma-events-bobaoxu2001-1.json | pm-normalize
	cat "$RUN"
}

test_expect_success 'a throwaway PostgreSQL server runs' '
	pg_ready && psql -X -A -t "$PG_URL" -c "select 1" | test_grep -x 1
'

test_expect_success 'SQLite and PostgreSQL store the same rows, annotate the same' '
	pg_ready && url=$(pg_newdb same) && stream >in.ndjson &&
	run pm-store --db "$url" in.ndjson && expect_status 0 && mv out pg.out &&
	run pm-store --db a.db in.ndjson && expect_status 0 &&
	grep -v "\"phase\":\"end\"" out >lite && grep -v "\"phase\":\"end\"" pg.out >pg &&
	test_cmp lite pg &&
	db_dump a.db >one && db_dump "$url" >two && test_cmp one two &&
	test_num "$(grep -c "^\[\"markets\"" two)" -eq 109
'

test_expect_success 'twice into PostgreSQL: identical tables, nothing inserted' '
	pg_ready && url=$(pg_newdb twice) && stream >in.ndjson &&
	pm-store --db "$url" in.ndjson >/dev/null 2>&1 && db_dump "$url" >one &&
	run pm-store --db "$url" in.ndjson && expect_status 0 &&
	test_grep " 0 inserted, 0 updated, " err &&
	db_dump "$url" >two && test_cmp one two
'

test_expect_success 'a changed market is updated through the bulk path' '
	pg_ready && url=$(pg_newdb upd) &&
	stream | grep "^{\"kind\":\"market" | head -3 >in.ndjson &&
	pm-store --db "$url" in.ndjson >/dev/null 2>&1 &&
	sed "2s/\"question\":\"[^\"]*\"/\"question\":\"changed\"/" in.ndjson >in2 &&
	run pm-store --db "$url" in2 && expect_status 0 &&
	jq -r .stored out | tr "\n" " " >got && echo "unchanged updated unchanged " >want &&
	echo >>got && test_cmp want got
'

test_expect_success 'bad records on PostgreSQL: failed, reported, neighbours stored' '
	pg_ready && url=$(pg_newdb bad) &&
	{ head -1 "$RUN"; stream | grep "^{\"kind\":\"market" | head -2;
	  echo "{\"kind\":\"market\",\"source\":\"polymarket\"}";
	  echo "{\"kind\":\"price\",\"token_id\":\"1\",\"side\":\"buy\",\"ts\":\"2026-11-23T07:00:00Z\",\"price\":\"1\"}"; } >bad.ndjson &&
	run pm-store --db "$url" bad.ndjson && expect_status 1 &&
	test_grep "bad.ndjson:4: market_id missing" err &&
	test_grep "bad.ndjson:5: price is not a number" err &&
	test_num "$(psql -X -A -t "$url" -c "select count(*) from markets")" -eq 2 &&
	test_num "$(psql -X -A -t "$url" -c "select count(*) from processing_failures")" -eq 2
'

test_expect_success 'replay into a fresh PostgreSQL database equals the original' '
	pg_ready && a=$(pg_newdb orig) && b=$(pg_newdb replay) && stream >dump.ndjson &&
	pm-store --db "$a" dump.ndjson >/dev/null 2>&1 &&
	pm-store --db "$b" <dump.ndjson >/dev/null 2>&1 &&
	db_dump "$a" >one && db_dump "$b" >two && test_cmp one two
'

test_expect_success 'libpq environment: PGHOST and PGUSER fill in the URL' '
	pg_ready && pg_newdb envdb >/dev/null &&
	PGHOST=$PG_DIR PGUSER=postgres run pm-store --db postgresql:///envdb "$RUN" &&
	expect_status 0 &&
	PGHOST=$PG_DIR PGUSER=postgres DATABASE_URL=postgres:///envdb \
	    run pm-store --new-only "$RUN" &&
	expect_status 0 && test_count group out 3 && test_grep stored_results out
'

test_expect_success '--export from PostgreSQL' '
	pg_ready && url=$(pg_newdb exp) && stream >in.ndjson &&
	pm-store --db "$url" in.ndjson >/dev/null 2>&1 &&
	pm-store --db "$url" --export raw >raw.ndjson &&
	test_line_count raw.ndjson 102 &&
	pm-store --db "$url" --export group --run 20261123T070000Z-daily-t001 >g &&
	test_line_count g 3
'

test_expect_success '-e group: results without market_ids keep their markets, as on SQLite' '
	pg_ready && rec_old_results >old.ndjson &&
	url=$(pg_newdb oldm) && url2=$(pg_newdb oldm2) &&
	pm-store --db "$url" old.ndjson >/dev/null 2>&1 &&
	pm-store --db om.db old.ndjson >/dev/null 2>&1 &&
	run pm-store --db "$url" --export group && expect_status 0 &&
	pm-store --db om.db --export group >want && test_cmp want out &&
	pm-store --db "$url2" out >/dev/null 2>&1 &&
	q="select experiment_id, market_id from experiment_markets order by 1, 2" &&
	sqlite3 om.db "$q" | tr "|" " " >want &&
	psql -X -A -t -F " " "$url2" -c "$q" >got &&
	test_cmp want got && test_line_count got -eq 3
'

test_done
