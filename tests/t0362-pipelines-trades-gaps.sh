#!/bin/bash
# pipelines.sh trades after a run that stored only its newest pages (a
# page failed for good, or the run was killed): the next run fills the
# gap, since the watermark counts only the trades of runs that fetched
# the market whole.  A market that closes between two runs (the static
# or delta flow storing it closed first): its last trades are still
# fetched, by the next run only.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/fake-polymarket.sh"

P=$TOP/pipelines.sh
# 1200 trades a market, 20 an hour: the first page of 500 reaches a day back
fake_start pm --markets 2 --only-synthetic --trades 1200 --log "$TMP/api.log"

flow() { run "$P" "$@" --env-file /dev/null; }
DB=$TMP/pm.db
q() { sqlite3 "$DB" "$1"; }
markets() { pm-fetch markets --closed any 2>/dev/null | pm-normalize | pm-store --db "$1" >/dev/null 2>&1; }
markets "$DB"
cp "$DB" "$TMP/fresh.db"
cp "$DB" "$TMP/closing.db"
cp "$DB" "$TMP/refused.db"
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

DB=$TMP/closing.db
A=$(q "SELECT condition_id FROM markets WHERE market_id = '10000001'")
B=$(q "SELECT condition_id FROM markets WHERE market_id = '10000000'")
newest=$(curl -s "$FAKE_URL/trades?market=$A&takerOnly=false&limit=1" | jq '.[0].timestamp')

test_expect_success 'closing: a run before the newest trades are made' '
	fake_control "{\"trades_until\": $((newest - 1))}" >/dev/null &&
	flow trades --db "$DB" --no-dump && expect_status 0 &&
	test_num "$(q "SELECT count(*) FROM trades WHERE condition_id = '\''$A'\''")" -lt 1200
'

test_expect_success 'the market closes, the delta flow stores it closed: the next run fetches its last trades' '
	fake_control "{\"trades_until\": null}" >/dev/null &&
	curl -sf -d "{\"id\": \"10000001\"}" "$FAKE_URL/_close" >/dev/null &&
	markets "$DB" &&
	test_eq 1 "$(q "SELECT closed FROM markets WHERE market_id = '\''10000001'\''")" &&
	flow trades --db "$DB" --no-dump && expect_status 0 &&
	test_eq 1200 "$(q "SELECT count(*) FROM trades WHERE condition_id = '\''$A'\''")" &&
	test_eq 1200 "$(q "SELECT count(*) FROM trades WHERE condition_id = '\''$B'\''")"
'

test_expect_success 'the run after: the closed market is not asked again, the open one is' '
	: >"$TMP/api.log" &&
	flow trades --db "$DB" --no-dump && expect_status 0 &&
	grep "^GET /trades" "$TMP/api.log" >asked &&
	test_grep "$B" asked && not test_grep "$A" asked &&
	test_eq 2400 "$(q "SELECT count(*) FROM trades")"
'

test_expect_success '--where picks among them: not the closed market now' '
	: >"$TMP/api.log" &&
	flow trades --db "$DB" --no-dump --where "$ONE" &&
	expect_status 0 && not grep "^GET /trades" "$TMP/api.log"
'

test_expect_success 'PostgreSQL: --export market --closed-since gives the market closed since' '
	pg_ready && url=$(pg_newdb closing) &&
	markets "$url" &&
	pm-store --db "$url" --export market --closed-since 2000-01-01 |
	    jq -r .market_id | sort >m &&
	printf "10000000\n10000001\n" >want && test_cmp want m &&
	pm-store --db "$url" --export market --closed-since 2999-01-01 >m &&
	test_eq 10000000 "$(jq -r .market_id m)" &&
	pm-store --db "$url" --export market >m &&
	test_eq 10000000 "$(jq -r .market_id m)"
'

test_expect_success '--closed-since a whole second takes a market closed and fetched within it' '
	db=cs.db && printf "%s\n" "{\"kind\":\"market\",\"source\":\"polymarket\",\"market_id\":\"77\",\"condition_id\":\"0x77\",\"active\":true,\"closed\":true,\"outcomes\":[\"Yes\",\"No\"],\"fetched_at\":\"2026-12-01T08:00:00.500Z\"}" |
	    pm-store --db "$db" >/dev/null &&
	pm-store --db "$db" --export market --closed-since 2026-12-01T08:00:00Z >m &&
	test_eq 77 "$(jq -r .market_id m)" &&
	pm-store --db "$db" --export market --closed-since 2026-12-01T10:00:00+02:00 >m &&
	test_eq 77 "$(jq -r .market_id m)" &&
	pm-store --db "$db" --export market --closed-since 2026-12-01T08:00:00.501Z >m &&
	not test -s m
'

# A page refused (403 from a proxy: not retried by pm-fetch) after the
# first: the run stored the newest trades only, as for a 500; its
# failure is retriable (fetch_failed, pm-records(5)), so the watermark
# does not move past the trades not read.
test_expect_success 'a second page refused (403): the next run fetches the gap' '
	DB=$TMP/refused.db &&
	fake_control "{\"trades_fail_offset\": 500, \"trades_fail_status\": 403}" >/dev/null &&
	flow trades --db "$DB" --no-dump --where "$ONE" && expect_status 1 &&
	test_eq 500 "$(q "SELECT count(*) FROM trades")" &&
	test_eq 1 "$(q "SELECT retriable FROM processing_failures WHERE url LIKE '\''%/trades%'\''")" &&
	fake_control "{\"trades_fail_offset\": null, \"trades_fail_status\": null}" >/dev/null &&
	flow trades --db "$DB" --no-dump --where "$ONE" && expect_status 0 &&
	test_eq 1200 "$(q "SELECT count(*) FROM trades")"
'

test_done
