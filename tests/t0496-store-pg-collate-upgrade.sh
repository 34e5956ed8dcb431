#!/bin/bash
# PostgreSQL's key columns compare as bytes (COLLATE "C", migration 10):
# a database made by schema 8 is upgraded in place, keeping every row,
# export and view as it was, and its keys are then "C"; stored again,
# nothing is inserted or written twice (the conflict checks find the
# rebuilt indexes) (issue 18).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
pg_start
N=300

python3 "$TOP/bench/gen-markets.py" $N | pm-normalize >"$TMP/in.ndjson" 2>/dev/null

# keys DB: the collation of the key columns pm-store writes most
keys() {
	psql -X -A -t -q "$1" -c "SELECT table_name || '.' || column_name ||
	    ' ' || COALESCE(collation_name, '-') FROM information_schema.columns
	    WHERE table_schema = 'public' AND (table_name, column_name) IN
	    (('raw_payloads', 'sha256'), ('raw_observations', 'sha256'),
	    ('markets', 'market_id'), ('contracts', 'token_id'),
	    ('price_history', 'token_id')) ORDER BY 1"
}
# views DB: what the views the migration makes again show
views() {
	psql -X -A -t -q "$1" -c "SELECT * FROM market_outcomes
	    ORDER BY market_id" -c "SELECT sha256, endpoint, payload, encoding
	    FROM raw_responses ORDER BY sha256" -c "SELECT count(*)
	    FROM latest_prices"
}
version() {
	psql -X -A -t -q "$1" -c "SELECT max(version) FROM schema_migrations"
}

test_expect_success 'schema 8 upgraded in place: rows, exports, views kept; keys "C"' '
	pg_ready && url=$(pg_newdb old) &&
	PM_SCHEMA_VERSION=8 pm-store --db "$url" "$TMP/in.ndjson" >/dev/null 2>&1 &&
	test "$(version "$url")" -eq 8 &&
	keys "$url" >k8 && test_grep "^markets.market_id -$" k8 &&
	db_dump "$url" | grep -v "^\[\"schema_migrations\"" >before &&
	views "$url" >v.before &&
	pm-store --db "$url" --export raw >raw.before &&
	pm-store --db "$url" --export market >market.before &&
	run pm-store --db "$url" </dev/null && expect_status 0 &&
	test "$(version "$url")" = "$(schema_latest)" &&
	db_dump "$url" | grep -v "^\[\"schema_migrations\"" >after &&
	test_cmp before after && test "$(wc -l <after)" -gt $N &&
	views "$url" >v.after && test_cmp v.before v.after &&
	test "$(wc -l <v.after)" -gt $N &&
	pm-store --db "$url" --export raw >raw.after &&
	test_cmp raw.before raw.after &&
	pm-store --db "$url" --export market >market.after &&
	test_cmp market.before market.after &&
	keys "$url" >k && cat >k.want <<-\EOK &&
	contracts.token_id C
	markets.market_id C
	price_history.token_id C
	raw_observations.sha256 C
	raw_payloads.sha256 C
	EOK
	test_cmp k.want k
'

test_expect_success 'upgraded, stored again: nothing inserted, no row written twice' '
	pg_ready && url=$(pg_newdb again) &&
	PM_SCHEMA_VERSION=8 pm-store --db "$url" "$TMP/in.ndjson" >/dev/null 2>&1 &&
	pm-store --db "$url" </dev/null >/dev/null 2>&1 &&
	db_dump "$url" >before &&
	run pm-store --db "$url" "$TMP/in.ndjson" && expect_status 0 &&
	test_grep "$((2 * N)) records: 0 inserted, 0 updated, $N unchanged, $N duplicate, 0 skipped, 0 failed" err &&
	test "$(psql -X -A -t -q "$url" -c "SELECT count(*) FROM raw_observations")" -eq $N &&
	db_dump "$url" >after && test_cmp before after
'

test_expect_success 'a fresh database: keys "C" from the start, the same rows as SQLite' '
	pg_ready && url=$(pg_newdb fresh) &&
	pm-store --db "$TMP/a.db" "$TMP/in.ndjson" >sq.out 2>/dev/null &&
	run pm-store --db "$url" "$TMP/in.ndjson" && expect_status 0 &&
	test_cmp sq.out out &&
	keys "$url" >k && test "$(grep -c " C$" k)" -eq 5 &&
	db_dump "$TMP/a.db" >sq && db_dump "$url" >pg && test_cmp sq pg
'

test_done
