#!/bin/bash
# pipelines.sh trades and a market that closes between two runs (the
# static or delta flow storing it closed first): its last trades are
# still fetched, by the next run only.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/fake-polymarket.sh"

P=$TOP/pipelines.sh
fake_start pm --markets 2 --only-synthetic --trades 40 --log "$TMP/api.log"

flow() { run "$P" "$@" --env-file /dev/null; }
DB=$TMP/pm.db
q() { sqlite3 "$DB" "$1"; }
markets() { pm-fetch markets --closed any 2>/dev/null | pm-normalize | pm-store --db "$1" >/dev/null 2>&1; }
markets "$DB"
A=$(q "SELECT condition_id FROM markets WHERE market_id = '10000001'")
B=$(q "SELECT condition_id FROM markets WHERE market_id = '10000000'")
newest=$(curl -s "$FAKE_URL/trades?market=$A&takerOnly=false&limit=1" | jq '.[0].timestamp')

test_expect_success 'a run before the newest trades are made' '
	fake_control "{\"trades_until\": $((newest - 1))}" >/dev/null &&
	flow trades --db "$DB" --no-dump && expect_status 0 &&
	test_num "$(q "SELECT count(*) FROM trades WHERE condition_id = '\''$A'\''")" -lt 40
'

test_expect_success 'the market closes, the delta flow stores it closed: the next run fetches its last trades' '
	fake_control "{\"trades_until\": null}" >/dev/null &&
	curl -sf -d "{\"id\": \"10000001\"}" "$FAKE_URL/_close" >/dev/null &&
	markets "$DB" &&
	test_eq 1 "$(q "SELECT closed FROM markets WHERE market_id = '\''10000001'\''")" &&
	flow trades --db "$DB" --no-dump && expect_status 0 &&
	test_eq 40 "$(q "SELECT count(*) FROM trades WHERE condition_id = '\''$A'\''")" &&
	test_eq 40 "$(q "SELECT count(*) FROM trades WHERE condition_id = '\''$B'\''")"
'

test_expect_success 'the run after: the closed market is not asked again, the open one is' '
	: >"$TMP/api.log" &&
	flow trades --db "$DB" --no-dump && expect_status 0 &&
	grep "^GET /trades" "$TMP/api.log" >asked &&
	test_grep "$B" asked && not test_grep "$A" asked &&
	test_eq 80 "$(q "SELECT count(*) FROM trades")"
'

test_expect_success '--where picks among them: not the closed market now' '
	: >"$TMP/api.log" &&
	flow trades --db "$DB" --no-dump --where ".market_id == \"10000001\"" &&
	expect_status 0 && not grep "^GET /trades" "$TMP/api.log"
'

pg_start
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

test_done
