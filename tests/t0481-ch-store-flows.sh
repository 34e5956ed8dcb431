#!/bin/bash
# pipelines.sh static, delta, events and prices with --db clickhouse://
# on a real ClickHouse server (tests/ch.sh) and the fake Polymarket; the
# flows that need the experiment store (daily, retry-failures) are
# refused with one message; status reads what the others stored.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/ch.sh"

ch_start flows || { say "$CH_ERR"; exit 1; }
fake_start pm --markets 300 --events 4
# both servers stop at the end (each file set its own trap)
trap 'ch_stop_all; fake_stop_all; rm -rf "$TMP"' EXIT
# the flows' temporary files go to TMPDIR: this test's, not the
# machine's /tmp
mkdir "$TMP/tmp" && export TMPDIR=$TMP/tmp

P=$TOP/pipelines.sh
flow() { run "$P" "$@" --env-file /dev/null; }
DB=$CH_URL
q() { ch_query "$1"; }

test_expect_success 'static: markets, events and prices into ClickHouse' '
	flow static --db "$DB" --summary-path s.json && expect_status 0 &&
	test_num "$(q "SELECT count() FROM markets FINAL")" -ge 300 &&
	test_num "$(q "SELECT count() FROM events FINAL")" -ge 4 &&
	test_num "$(q "SELECT count() FROM contracts FINAL")" -ge 300 &&
	test_num "$(q "SELECT count() FROM price_history FINAL")" -gt 300 &&
	test_num "$(q "SELECT count() FROM raw_responses FINAL WHERE endpoint LIKE '\''markets%'\''")" -ge 300 &&
	test_eq completed "$(q "SELECT status FROM processing_runs FINAL WHERE flow = '\''static'\''")" &&
	test_num "$(q "SELECT visitParamExtractUInt(counts, '\''inserted'\'') FROM processing_runs FINAL WHERE flow = '\''static'\''")" -ge 300 &&
	test_num "$(jq .totals.failed s.json)" -eq 0
'
test_expect_success 'static again: one row per key under FINAL' '
	{ q "SELECT count() FROM markets FINAL" && q "SELECT count() FROM contracts FINAL"; } >before &&
	# a second version of every market, whether or not the server has
	# merged them away by the time it is counted (a slow run gives it time)
	v=$(q "SELECT max(row_version) FROM markets") &&
	flow static --db "$DB" && expect_status 0 &&
	{ q "SELECT count() FROM markets FINAL" && q "SELECT count() FROM contracts FINAL"; } >after &&
	test_cmp before after &&
	test_num "$(q "SELECT min(row_version) FROM markets FINAL")" -gt "$v" &&
	test_num "$(q "SELECT count() FROM raw_responses FINAL")" -eq "$(q "SELECT uniqExact(sha256) FROM raw_responses")"
'
test_expect_success 'delta: only the markets changed since the last run' '
	fake_touch 25 | sort >touched && test_line_count touched -ge 10 &&
	fake_reset &&
	flow delta --db "$DB" --overlap 1 --summary-path d.json && expect_status 0 &&
	fetched=$(jq .totals.fetched d.json) &&
	test_num "$fetched" -ge "$(wc -l <touched)" && test_num "$fetched" -lt 40 &&
	q "SELECT DISTINCT market_id FROM markets FINAL WHERE run_id = (SELECT any(run_id) FROM processing_runs FINAL WHERE flow = '\''delta'\'')" | sort >got &&
	comm -23 touched got >missing && test ! -s missing &&
	test_num "$(q "SELECT count() FROM processing_runs FINAL WHERE flow = '\''delta'\'' AND status = '\''completed'\''")" -eq 1
'
test_expect_success 'delta on a ClickHouse database without runs says what to do' '
	q "CREATE DATABASE empty" &&
	flow delta --db "${DB%/*}/empty" && expect_status 3 &&
	test_grep "no completed static or delta run yet" err &&
	# the run lock made the schema for its lease, as on PostgreSQL:
	# nothing stored
	test_eq 5 "$(q "SELECT max(version) FROM empty.schema_migrations")" &&
	test_eq 0 "$(q "SELECT count() FROM empty.processing_runs")" &&
	test_eq 0 "$(q "SELECT count() FROM empty.markets")"
'
test_expect_success 'events: events with their tags' '
	q "CREATE DATABASE ev" &&
	flow events --db "${DB%/*}/ev" && expect_status 0 &&
	test_num "$(q "SELECT count() FROM ev.events FINAL")" -ge 4 &&
	test_num "$(q "SELECT count() FROM ev.tags FINAL")" -gt 0
'
test_expect_success 'prices: quotes and history for the active tokens stored' '
	q "SELECT count() FROM price_history FINAL" >before &&
	flow prices --db "$DB" --summary-path p.json && expect_status 0 &&
	test_num "$(q "SELECT count() FROM price_history FINAL WHERE side = '\''history'\''")" -gt 0 &&
	test_num "$(q "SELECT count() FROM price_history FINAL")" -gt "$(cat before)"
'
test_expect_success 'daily and retry-failures: refused, one message, exit 2' '
	flow daily --db "$DB" && expect_status 2 &&
	test_grep "daily: not on ClickHouse" err && test_line_count err -eq 1 &&
	flow retry-failures x --db "$DB" && expect_status 2 &&
	test_grep "retry-failures: not on ClickHouse" err &&
	run pm-store --db "$DB" --new-only </dev/null && expect_status 2 &&
	test_grep "new-only: not on ClickHouse" err && test_line_count err -eq 1
'
test_expect_success 'one run of a flow at a time: a lease in run_leases, a second run exits 4' '
	lock_hold "$DB" events &&
	test_eq 1 "$(q "SELECT count() FROM run_leases FINAL WHERE flow = '\''events'\'' AND expires_at > toInt64(now())")" &&
	flow events --db "$DB" && expect_status 4 && test_grep "another events run" err &&
	lock_release &&
	test_eq 0 "$(q "SELECT count() FROM run_leases FINAL WHERE expires_at > 0")" &&
	ls "$TMPDIR" >locks && test_grep -v "[.]lock$" locks &&
	flow events --db "$DB" && expect_status 0
'
test_expect_success 'status reads the flows'"'"' runs and data from ClickHouse; score refused, exit 2' '
	flow status --db "$DB" --json && expect_status 0 &&
	jq -e "[.flows[].flow] == [\"static\", \"delta\", \"events\", \"prices\"] and
		.level == \"fresh\" and .markets.total >= 300 and .runs.failed == 0 and
		([.flows[] | select(.flow == \"static\") | .runs] == [2])" out >/dev/null &&
	flow status --db "${DB%/*}/ev" --flow events && expect_status 0 &&
	test_grep "^  events  *fresh .* in events, .*; 1 runs, 0 failed" out &&
	DATABASE_URL=$DB run pm-summary --score && expect_status 2 &&
	test_grep "score is not available on ClickHouse" err
'
test_done
