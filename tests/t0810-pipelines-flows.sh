#!/bin/bash
# pipelines.sh static, delta, events, prices, status and score flows.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/pg.sh"

P=$TOP/pipelines.sh
fake_start pm --markets 300 --events 4

flow() { run "$P" "$@" --env-file /dev/null; }
DB=$TMP/pm.db
q() { sqlite3 "$DB" "$1"; }

test_expect_success 'static: markets, events and prices into bronze and silver' '
	flow static --db "$DB" --summary-path s.json && expect_status 0 &&
	test_num "$(q "SELECT count(*) FROM markets")" -ge 300 &&
	test_num "$(q "SELECT count(*) FROM events")" -ge 4 &&
	test_num "$(q "SELECT count(*) FROM price_history")" -gt 300 &&
	test_num "$(q "SELECT count(*) FROM raw_responses WHERE endpoint LIKE '\''markets%'\''")" -ge 300 &&
	test_num "$(q "SELECT count(*) FROM raw_responses WHERE endpoint = '\''prices'\''")" -gt 0 &&
	test_eq completed "$(q "SELECT status FROM processing_runs WHERE flow = '\''static'\''")" &&
	test_num "$(jq .totals.failed s.json)" -eq 0
'
test_expect_success 'static again: nothing new, nothing duplicated' '
	q "SELECT count(*) FROM markets; SELECT count(*) FROM contracts" >before &&
	flow static --db "$DB" --summary-path s2.json && expect_status 0 &&
	q "SELECT count(*) FROM markets; SELECT count(*) FROM contracts" >after &&
	test_cmp before after && test_num "$(jq .totals.failed s2.json)" -eq 0 &&
	test_num "$(q "SELECT count(*) FROM raw_payloads")" -eq "$(q "SELECT count(DISTINCT sha256) FROM raw_observations")"
'
test_expect_success 'delta: only the markets changed since the last run are fetched' '
	fake_touch 25 | sort >touched && test_line_count touched -ge 10 &&
	fake_reset &&
	flow delta --db "$DB" --overlap 1 --summary-path d.json && expect_status 0 &&
	fetched=$(jq .totals.fetched d.json) &&
	test_num "$fetched" -ge "$(wc -l <touched)" && test_num "$fetched" -lt 40 &&
	q "SELECT DISTINCT market_id FROM markets WHERE run_id = (SELECT run_id FROM processing_runs WHERE flow = '\''delta'\'')" | sort >got &&
	comm -23 touched got >missing && test ! -s missing &&
	test_num "$(q "SELECT count(*) FROM processing_runs WHERE flow = '\''delta'\'' AND status = '\''completed'\''")" -eq 1
'
test_expect_success 'delta before any static run says what to do' '
	flow delta --db empty.db && expect_status 3 &&
	test_grep "no completed static or delta run yet: run the static flow first" err
'
test_expect_success 'events: events with their tags' '
	flow events --db ev.db && expect_status 0 &&
	test_num "$(sqlite3 ev.db "SELECT count(*) FROM events")" -ge 4 &&
	test_num "$(sqlite3 ev.db "SELECT count(*) FROM tags")" -gt 0
'
test_expect_success 'prices: quotes and history for the active tokens in the database' '
	q "SELECT count(*) FROM price_history" >before &&
	flow prices --db "$DB" --summary-path p.json && expect_status 0 &&
	test_num "$(q "SELECT count(*) FROM price_history WHERE side = '\''history'\''")" -gt 0 &&
	test_num "$(q "SELECT count(*) FROM price_history")" -gt "$(cat before)"
'
test_expect_success 'a fault mid-run: the failing pages are recorded, the rest stored' '
	fake_control "{\"every_5xx\":1}" &&
	flow events --db fault.db --summary-path f.json; fake_control "{\"every_5xx\":0}" &&
	expect_status 1 &&
	test_num "$(sqlite3 fault.db "SELECT count(*) FROM processing_failures WHERE reason = '\''fetch_failed'\''")" -gt 0 &&
	test_eq partial "$(sqlite3 fault.db "SELECT status FROM processing_runs")" &&
	test_num "$(jq .totals.failed f.json)" -gt 0
'
test_expect_success 'status and score over the database' '
	flow status --db "$DB" && expect_status 0 && test_grep "^status: fresh" out &&
	flow score --db "$DB" && expect_status 0
'
test_expect_success 'PostgreSQL: static then delta; delta fetches only what changed' '
	pg_start && url=$(pg_newdb flows) &&
	flow static --db "$url" && expect_status 0 &&
	n=$(psql -XAtq "$url" -c "SELECT count(*) FROM markets") && test_num "$n" -ge 300 &&
	fake_touch 30 | sort >touched &&
	flow delta --db "$url" --overlap 1 --summary-path d.json && expect_status 0 &&
	fetched=$(jq .totals.fetched d.json) &&
	test_num "$fetched" -ge "$(wc -l <touched)" && test_num "$fetched" -lt 40 &&
	test_num "$(psql -XAtq "$url" -c "SELECT count(*) FROM markets")" -eq "$n" &&
	test_num "$(psql -XAtq "$url" -c "SELECT count(*) FROM processing_runs WHERE status = '\''completed'\''")" -eq 2
'
test_done
