#!/bin/bash
# The daily target day: one UTC day, the run date + N or exactly D; the
# margin; the run's clock fixed with --now.  Checked by the exact set of
# market ids processed, on a fake server whose markets close over 10 days.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/pg.sh"

P=$TOP/pipelines.sh
NOW=2026-06-01T10:00:00Z
# 80 markets: market 10000000+i closes on day i%10 from 2026-06-01, at
# hour 5*(i/10) mod 24, minute 30; on each day events of 3, 3 and 2
# markets in that order (fake-polymarket.py --spread-days, --group-size).
fake_start spread --only-synthetic --markets 80 --spread-days 10 \
    --group-size 3 --now "$NOW"

daily() { run "$P" daily --env-file /dev/null --now "$NOW" "$@"; }
# day_ids D [SLOT...]: the markets closing on day D (0-9): all eight, or
# those of the slots given (market 10000000 + 10 * SLOT + D)
day_ids() {
	local d=$1 j
	shift
	[ $# -gt 0 ] || set -- 0 1 2 3 4 5 6 7
	for j in "$@"; do echo $((10000000 + 10 * j + d)); done
}
processed() { sqlite3 "$1" "SELECT market_id FROM processed_markets ORDER BY 1"; }
skipped() {
	jq -r "select(.kind == \"skip\" and .why == \"$2\") | .market_id // .event_key" \
	    "$1" | sort
}

test_expect_success 'default: the run date + 7 days, that day only' '
	daily --db a.db --no-dump && expect_status 0 &&
	day_ids 7 >want && processed a.db >got && test_cmp want got &&
	sqlite3 a.db "SELECT run_date, target_date, window_days FROM processing_runs" >got &&
	echo "2026-06-01|2026-06-08|7" >want && test_cmp want got
'
test_expect_success '--window-days N: the run date + N' '
	daily --db a.db --no-dump --window-days 3 && expect_status 0 &&
	day_ids 3 >want && processed a.db >got && test_cmp want got
'
test_expect_success '--window-days from the environment: PM_WINDOW_DAYS, then TARGET_CLOSE_WINDOW_DAYS' '
	TARGET_CLOSE_WINDOW_DAYS=5 daily --db a.db --no-dump && expect_status 0 &&
	day_ids 5 >want && processed a.db >got && test_cmp want got &&
	PM_WINDOW_DAYS=6 TARGET_CLOSE_WINDOW_DAYS=5 daily --db b.db --no-dump &&
	expect_status 0 && day_ids 6 >want && processed b.db >got && test_cmp want got
'
test_expect_success '--target-date D alone: exactly D, over a window in the environment' '
	PM_WINDOW_DAYS=2 TARGET_CLOSE_WINDOW_DAYS=9 \
	    daily --db a.db --no-dump --target-date 2026-06-05 && expect_status 0 &&
	day_ids 4 >want && processed a.db >got && test_cmp want got &&
	sqlite3 a.db "SELECT target_date, window_days FROM processing_runs" >got &&
	echo "2026-06-05|4" >want && test_cmp want got
'
test_expect_success '--target-date with --window-days: exit 2, no run, no database' '
	fake_reset &&
	daily --db a.db --target-date 2026-06-05 --window-days 4 &&
	expect_status 2 && grep -q "exclude each other" err && test ! -e a.db &&
	test "$(fake_stats .requests)" -eq 0
'
test_expect_success 'a past target date is refused before the run' '
	daily --db a.db --target-date 2026-05-31 && expect_status 2 &&
	grep -q "2026-05-31 is in the past" err && test ! -e a.db &&
	daily --db a.db --target-date 2026-06-01 --no-dump && expect_status 0 &&
	test -e a.db
'
test_expect_success 'bad run options: exit 2 before the run, nothing created' '
	for args in "--window-days 367" "--window-days -1" "--window-days x" \
	    "--target-date 2026-02-30" "--target-date tomorrow" "--now yesterday" \
	    "--margin 5x" "--margin -1h" "--margin 367d" "--limit 0" \
	    "--event-batch-size 0" \
	    "stray"; do
		# shellcheck disable=SC2086
		daily --db a.db --dump-dir d $args && expect_status 2 &&
		test ! -e a.db && test ! -e d && test ! -s out ||
		{ echo "args: $args"; return 1; }
	done
'
test_expect_success 'day 0 and the margin: a market closing within an hour of the start is skipped, its group goes on' '
	daily --db a.db --dump-dir d --window-days 0 && expect_status 0 &&
	day_ids 0 3 4 7 >want && processed a.db >got && test_cmp want got &&
	day_ids 0 0 1 2 5 6 | sort >want && skipped d/*.ndjson closes_within_margin >got &&
	test_cmp want got
'
test_expect_success '--margin and PM_MARGIN set the margin' '
	daily --db a.db --no-dump --window-days 0 --margin 2h && expect_status 0 &&
	day_ids 0 3 4 >want && processed a.db >got && test_cmp want got &&
	PM_MARGIN=0 daily --db b.db --no-dump --window-days 0 && expect_status 0 &&
	day_ids 0 2 3 4 7 >want && processed b.db >got && test_cmp want got
'
test_expect_success '--now and PM_NOW set the run clock' '
	PM_NOW=2026-06-03T23:00:00Z run "$P" daily --env-file /dev/null \
	    --db a.db --no-dump --window-days 1 && expect_status 0 &&
	day_ids 3 >want && processed a.db >got && test_cmp want got &&
	sqlite3 a.db "SELECT run_date, started_at FROM processing_runs" >got &&
	echo "2026-06-03|2026-06-03T23:00:00.000Z" >want && test_cmp want got
'
test_expect_success '--limit N counts markets and keeps whole groups' '
	daily --db a.db --dump-dir d --limit 4 && expect_status 0 &&
	day_ids 7 0 1 2 3 4 5 >want && processed a.db >got && test_cmp want got &&
	test "$(skipped d/*.ndjson limit)" = 30000702 &&
	daily --db b.db --no-dump --limit 3 && expect_status 0 &&
	day_ids 7 0 1 2 >want && processed b.db >got && test_cmp want got &&
	daily --db c.db --no-dump --limit 8 && expect_status 0 &&
	day_ids 7 >want && processed c.db >got && test_cmp want got
'
# here, not in a case: its exit trap would fire when the case ends; and
# it replaces fake-polymarket.sh's, so both are set again
pg_start
trap 'fake_stop_all; pg_stop; rm -rf "$TMP"' EXIT
test_expect_success 'PostgreSQL: the same day, the same margin' '
	pg_ready && url=$(pg_newdb target) &&
	daily --db "$url" --no-dump --window-days 0 && expect_status 0 &&
	day_ids 0 3 4 7 >want &&
	psql -XAtq "$url" -c "SELECT market_id FROM processed_markets ORDER BY 1" >got &&
	test_cmp want got
'
test_done
