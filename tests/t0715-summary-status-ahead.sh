#!/bin/bash
# pm-summary --status: runs and failures dated after the clock (stored
# by a machine whose clock is ahead) are listed and counted, and said to
# be dated ahead of it, on SQLite, PostgreSQL and ClickHouse alike; with
# --now (a report reproduced) those after it are not yet there.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/ch.sh"
pg_start

# in N minutes from now, to the second
later() { date -u -d "+$1 min" +%Y-%m-%dT%H:%M:%SZ; }
# ahead FILE: a completed static run an hour ago, then one that failed
# started 10 minutes ahead of the clock, into FILE
ahead() {
	{ rec_run_start ok static | jq -c --arg t "$(later -60)" '.started_at = $t'
	  rec_market 1 fetched_at="$(later -60)"; } >"$1.ok" &&
	{ rec_run_start skewed static | jq -c --arg t "$(later 10)" '.started_at = $t'
	  echo "{\"kind\":\"raw\",\"source\":\"gamma\",\"payload\":{}}"; } >"$1.bad"
}
# check URL: the failed run listed, counted, failed in a row, said ahead
check() {
	run pm-summary --status --db "$1" --flow static --json &&
	jq -e ".runs.listed == 2 and .runs.failed == 1 and
		.runs.last[0].run_id == \"skewed\" and .runs.last[0].ahead_of_clock and
		(.runs.last[1].ahead_of_clock | not) and .flows[0].failed_runs == 1 and
		.flows[0].consecutive_failed_runs == 1 and .flows[0].runs_ahead_of_clock == 1 and
		.flows[0].last_run_status == \"failed\"" out >/dev/null &&
	run pm-summary --status --db "$1" --flow static &&
	test_grep "^  skewed .* failed .*(dated ahead of the clock)$" out &&
	test_grep "^  static .*; 2 runs, 1 failed, 1 failed in a row (1 dated ahead of the clock)$" out &&
	test_grep "^runs: last 2: 1 completed, 0 partial, 1 failed, 0 running" out &&
	# a report at --now is as it was then: the run is not yet there
	run pm-summary --status --db "$1" --flow static --now "$(later 0)" --json &&
	jq -e ".runs.listed == 1 and .flows[0].consecutive_failed_runs == 0 and
		.flows[0].runs_ahead_of_clock == 0" out >/dev/null
}

test_expect_success 'SQLite: a failed run dated ahead of the clock is listed and counted' '
	ahead r && pm-store --db a.db <r.ok >/dev/null 2>&1 &&
	{ pm-store --db a.db <r.bad >/dev/null 2>&1 || true; } &&
	check a.db
'

test_expect_success 'SQLite: a failure recorded ahead of the clock is listed and counted' '
	ahead r && { pm-store --db a.db <r.bad >/dev/null 2>&1 || true; } &&
	sqlite3 a.db "UPDATE processing_failures SET recorded_at = '\''$(later 10)'\''" &&
	run pm-summary --status --db a.db --json &&
	jq -e ".failures.last_day == 1 and (.failures.recent | length) == 1 and
		.failures.recent[0].ahead_of_clock" out >/dev/null &&
	run pm-summary --status --db a.db &&
	test_grep "^failures: 1 in the last day$" out &&
	test_grep "^  20[0-9T:-]*Z (dated ahead of the clock) " out
'

test_expect_success 'PostgreSQL: the same' '
	pg_ready && url=$(pg_newdb ahead) && ahead r &&
	pm-store --db "$url" <r.ok >/dev/null 2>&1 &&
	{ pm-store --db "$url" <r.bad >/dev/null 2>&1 || true; } &&
	check "$url" &&
	psql -X -q "$url" -c "UPDATE processing_failures SET recorded_at = '\''$(later 10)'\''" &&
	run pm-summary --status --db "$url" --json &&
	jq -e ".failures.last_day == 1 and .failures.recent[0].ahead_of_clock" out >/dev/null
'

if ch_start ahead; then
	test_expect_success 'ClickHouse: the same' '
		ch_query "CREATE DATABASE cahead" && url=${CH_URL%/*}/cahead && ahead r &&
		pm-store --db "$url" <r.ok >/dev/null 2>&1 &&
		{ pm-store --db "$url" <r.bad >/dev/null 2>&1 || true; } &&
		check "$url"
	'
else
	test_expect_success 'ClickHouse: a server' 'say "$CH_ERR"; false'
fi

test_done
