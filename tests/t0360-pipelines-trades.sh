#!/bin/bash
# pipelines.sh trades: the active markets' new trades, from the watermark
# each market record carries; a run again adds nothing; --where picks
# among them.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

P=$TOP/pipelines.sh
fake_start pm --markets 8 --only-synthetic --closed-every 4 --trades 40 --log "$TMP/api.log"

flow() { run "$P" "$@" --env-file /dev/null; }
DB=$TMP/pm.db
q() { sqlite3 "$DB" "$1"; }
pm-fetch markets --closed any 2>/dev/null | pm-normalize | pm-store --db "$DB" 2>/dev/null >/dev/null
cp "$DB" "$TMP/fresh.db"
cp "$DB" "$TMP/limit.db"

test_expect_success 'trades: the active markets'\'' fills, every one with its market' '
	flow trades --db "$DB" --no-dump && expect_status 0 &&
	test_eq 240 "$(q "SELECT count(*) FROM trades")" &&
	test_eq 6 "$(q "SELECT count(DISTINCT condition_id) FROM trades")" &&
	test_eq 0 "$(q "SELECT count(*) FROM trades t WHERE NOT EXISTS (SELECT 1 FROM markets m WHERE m.condition_id = t.condition_id)")" &&
	test_eq completed "$(q "SELECT status FROM processing_runs WHERE flow = '\''trades'\''")"
'

test_expect_success 'trades again: only since the watermarks, nothing added' '
	: >"$TMP/api.log" &&
	flow trades --db "$DB" --no-dump && expect_status 0 &&
	test_eq 240 "$(q "SELECT count(*) FROM trades")" &&
	grep "^GET /trades" "$TMP/api.log" >asked && test_line_count asked -ge 1 &&
	test_grep "start=" asked &&
	q "SELECT count(*) FROM markets WHERE run_id IN (SELECT run_id FROM
		processing_runs WHERE flow = '\''trades'\'')" >n &&
	test_eq 0 "$(cat n)" "markets rewritten by a trades run" &&
	test_eq 0 "$(q "SELECT count(*) FROM markets WHERE record LIKE '\''%trades_since%'\''")"
'

test_expect_success 'trades --where: only the markets it selects' '
	DB=$TMP/fresh.db &&
	flow trades --db "$DB" --no-dump --where ".market_id == \"10000001\"" &&
	expect_status 0 &&
	test_eq 40 "$(q "SELECT count(*) FROM trades")" &&
	test_eq 1 "$(q "SELECT count(DISTINCT condition_id) FROM trades")"
'

test_expect_success 'trades --limit N: the trades of the first N markets only' '
	DB=$TMP/limit.db &&
	flow trades --db "$DB" --no-dump --limit 2 && expect_status 0 &&
	test_eq 80 "$(q "SELECT count(*) FROM trades")" &&
	test_eq 2 "$(q "SELECT count(DISTINCT condition_id) FROM trades")" &&
	flow trades --db "$DB" --no-dump --limit 1 \
	    --where ".market_id == \"10000005\"" && expect_status 0 &&
	test_eq 120 "$(q "SELECT count(*) FROM trades")" &&
	flow trades --db "$DB" --no-dump && expect_status 0 &&
	test_eq 240 "$(q "SELECT count(*) FROM trades")"
'

test_expect_success 'a summary that cannot be written: exit 3, pm-summary named' '
	flow trades --db "$TMP/limit.db" --no-dump --summary-path /dev/full &&
	expect_status 3 &&
	test_grep -x "pipelines.sh: trades: pm-summary failed (status 3)" err
'

# markets stored as columns are rebuilt row by row: the watermark must be
# the market's own, not that of the row after it
test_expect_success 'every exported market carries its own watermark' '
	DB=$TMP/fresh.db &&
	pm-store --db "$DB" --export market --where ".active and (.closed | not)" >m &&
	test_line_count m 6 &&
	test_eq 10000001 "$(jq -r "select(.trades_since != null) | .market_id" m)" &&
	test_eq "$(q "SELECT strftime('\''%Y-%m-%dT%H:%M:%SZ'\'', max(ts), '\''-1 hour'\'') FROM trades")" \
	    "$(jq -r "select(.market_id == \"10000001\") | .trades_since" m)"
'

test_done
