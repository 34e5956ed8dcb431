#!/bin/bash
# pipelines.sh trades after a run that stored only its newest pages (a
# page failed for good, or the run was killed): the next run fills the
# gap, since the watermark counts only the trades of runs that fetched
# the market whole.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/fake-polymarket.sh"

P=$TOP/pipelines.sh
# 1200 trades a market, 20 an hour: the first page of 500 reaches a day back
fake_start pm --markets 2 --only-synthetic --trades 1200 --log "$TMP/api.log"

flow() { run "$P" "$@" --env-file /dev/null; }
DB=$TMP/pm.db
q() { sqlite3 "$DB" "$1"; }
pm-fetch markets --closed any 2>/dev/null | pm-normalize | pm-store --db "$DB" 2>/dev/null >/dev/null
cp "$DB" "$TMP/fresh.db"
ONE='.market_id == "10000001"'

test_expect_success 'a second page failing for good: its run is partial' '
	fake_control "{\"trades_fail_offset\": 500}" >/dev/null &&
	flow trades --db "$DB" --no-dump --where "$ONE" && expect_status 1 &&
	test_eq partial "$(q "SELECT status FROM processing_runs WHERE flow = '\''trades'\''")" &&
	test_eq 500 "$(q "SELECT count(*) FROM trades")"
'

test_expect_success 'the next run fetches the gap below the stored page' '
	fake_control "{\"trades_fail_offset\": null}" >/dev/null &&
	flow trades --db "$DB" --no-dump --where "$ONE" && expect_status 0 &&
	test_eq 1200 "$(q "SELECT count(*) FROM trades")" &&
	test_eq 1200 "$(q "SELECT count(DISTINCT trade_key) FROM trades")"
'

# the trades the partial run stored keep its run id when a whole run
# fetches them again: the watermark is the whole run's newest new trade
# until newer trades come (a day of them asked again, none stored twice)
test_expect_success 'after them the watermark is a whole run'\''s newest trade less an hour' '
	flow trades --db "$DB" --no-dump --where "$ONE" && expect_status 0 &&
	test_eq 1200 "$(q "SELECT count(*) FROM trades")" &&
	pm-store --db "$DB" --export market --where "$ONE" >m &&
	test_eq "$(q "SELECT strftime('\''%Y-%m-%dT%H:%M:%SZ'\'', max(ts), '\''-1 hour'\'')
		FROM trades WHERE run_id IN (SELECT run_id FROM processing_runs
		WHERE status = '\''completed'\'')")" "$(jq -r .trades_since m)"
'

# killed with its pm-store, the run stays running (the next marks it abandoned)
test_expect_success 'a run killed after its first page: the next run fills the gap' '
	DB=$TMP/fresh.db &&
	{ printf "%s\n" "{\"kind\":\"run\",\"phase\":\"start\",\"run_id\":\"killed-1\",\"flow\":\"trades\",\"run_date\":\"2026-01-01\",\"started_at\":\"2026-01-01T00:00:00Z\"}" &&
	  pm-store --db "$DB" --export market --where "$ONE" |
	  pm-fetch trades --taker-only false | head -n 2; } |
	    pm-normalize | pm-store --db "$DB" >/dev/null 2>&1 &&
	test_eq 500 "$(q "SELECT count(*) FROM trades")" &&
	q "UPDATE processing_runs SET status = '\''running'\'', finished_at = NULL
		WHERE run_id = '\''killed-1'\''" &&
	flow trades --db "$DB" --no-dump --where "$ONE" && expect_status 0 &&
	test_eq 1200 "$(q "SELECT count(*) FROM trades")"
'

pg_start
test_expect_success 'PostgreSQL: the next run fills the gap too' '
	pg_ready && url=$(pg_newdb gap) &&
	pm-fetch markets --closed any 2>/dev/null | pm-normalize |
	    pm-store --db "$url" >/dev/null 2>&1 &&
	fake_control "{\"trades_fail_offset\": 500}" >/dev/null &&
	flow trades --db "$url" --no-dump --where "$ONE" && expect_status 1 &&
	fake_control "{\"trades_fail_offset\": null}" >/dev/null &&
	flow trades --db "$url" --no-dump --where "$ONE" && expect_status 0 &&
	test_eq 1200 "$(psql -X -A -t "$url" -c "SELECT count(*) FROM trades")"
'

test_done
