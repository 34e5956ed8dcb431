#!/bin/bash
# pm-summary --status and --score on PostgreSQL (tests/pg.sh): the same
# reports as on SQLite, from databases pm-store filled.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
pg_start
pgbouncer_start

. "$TESTS_DIR/score-data.sh"
test_expect_success 'score: the same report from PostgreSQL as from SQLite' '
	pg_ready && url=$(pg_newdb score) &&
	scored "$url" && scored d.db &&
	run pm-summary --score --db d.db --json && expect_status 0 && mv out lite &&
	run pm-summary --score --db "$url" --json && expect_status 0 &&
	test_cmp lite out &&
	jq -e "$NEAR .variants[] | select(.variant == \"llm\") | near(.brier; 0.025) and
		near(.skill; 0.8) and .pending == 2" out >/dev/null &&
	run pm-summary --score --db "$url" && expect_status 0 &&
	test_grep "^s:llm (forecast) *1 *2 *2 *0.0250 *0.1643 *0.1250 *0.4338 *0.800$" out
'

test_expect_success 'status: fresh, then stale and very stale with time' '
	pg_ready && url=$(pg_newdb status) && scored "$url" &&
	run pm-summary --status --db "$url" --flow static --json && expect_status 0 &&
	jq -e ".level == \"fresh\" and .markets == {total:4, active:1, resolved:3} and
		.runs.listed == 1 and .runs.completed == 1" out >/dev/null &&
	run pm-summary --status --db "$url" --flow static --now "$(date -u -d "+30 min" +%Y-%m-%dT%H:%M:%SZ)" &&
	expect_status 4 &&
	run pm-summary --status --db "$url" --flow daily --now "$(date -u -d "+3 days" +%Y-%m-%dT%H:%M:%SZ)" &&
	expect_status 5 && test_grep "^status: very_stale: " out
'
test_expect_success 'status: a daily run'"'"'s groups stored days after its forecasts (a replay): as old as those' '
	pg_ready && url=$(pg_newdb replayed) && scored "$url" && scored d.db &&
	run pm-summary --status --db "$url" --json && expect_status 5 &&
	jq -e ".level == \"very_stale\" and .last_update == \"2026-11-23T07:00:01Z\" and
		.last_update_from == \"processed_events\" and .runs.listed == 2" out >/dev/null &&
	jq "del(.now, .age_seconds, .flows[].age_seconds, .runs.last[].finished_at,
		.runs.last[].started_at, .flows[].last_update) | select(.flows[0].flow == \"daily\")" out >pg &&
	run pm-summary --status --db d.db --json && expect_status 5 &&
	jq "del(.now, .age_seconds, .flows[].age_seconds, .runs.last[].finished_at,
		.runs.last[].started_at, .flows[].last_update)" out >lite && test_cmp lite pg
'

# What a flow fetched, as in t0701: Gamma markets and their event, a
# Data API page of trades, at a time
T0=2026-12-04T10:00:00.000Z
T50=2026-12-04T10:50:00.000Z
N55=2026-12-04T10:55:00Z
fetches_at() {
	rec_fetched "$1" markets/keyset "$(gamma_market 1 e1 false "" 0.5 0.5)"
	rec_fetched "$1" markets/keyset "$(gamma_market 2 e1 false "" 0.25 0.75)"
	rec_fetched "$1" events/keyset '{"id":"e1","title":"E"}'
	rec_fetched "$1" trades "[]" data
}

test_expect_success 'status: fetched again, unchanged: fresh from the fetch, not the row' '
	pg_ready && url=$(pg_newdb quiet) &&
	{ rec_run_start r1 static; fetches_at $T0
	  echo "{\"kind\":\"trade\",\"trade_key\":\"$(printf k1 | sha256sum | cut -d" " -f1)\",\"condition_id\":\"0xc1\",\"side\":\"BUY\",\"size\":1,\"price\":0.5,\"ts\":\"2026-12-04T10:00:00Z\"}"
	} | pm-normalize | pm-store --db "$url" >/dev/null 2>&1 &&
	{ rec_run_start r2 static; fetches_at $T50; fetches_at 2026-12-04T12:00:00.000Z; } |
		pm-normalize | pm-store --db "$url" >/dev/null 2>err &&
	test_grep " 0 updated, 6 unchanged" err &&
	for flow in static delta events trades; do
		run pm-summary --status --db "$url" --flow $flow --now $N55 --json &&
		expect_status 0 &&
		jq -e ".level == \"fresh\" and .last_update == \"$T50\" and .age_seconds == 300 and
			.flows[0].data_from == \"raw_observations\"" out >/dev/null || return 1
	done &&
	run pm-summary --status --db "$url" --flow prices --now $N55 && expect_status 5
'

# lock_table URL TABLE: another session (pmlock) holds TABLE locked, as
# an ALTER TABLE or a VACUUM FULL does, for 30 s or until unlock_table
lock_table() {
	PGAPPNAME=pmlock psql -X -q "$1" -c "BEGIN" \
		-c "LOCK TABLE $2 IN ACCESS EXCLUSIVE MODE" \
		-c "SELECT pg_sleep(30)" >/dev/null 2>&1 &
	local i=0
	until [ "$(psql -X -A -t -q "$1" -c "SELECT count(*) FROM pg_locks l
		JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'pmlock'
		AND l.mode = 'AccessExclusiveLock' AND l.granted")" -ge 1 ]; do
		i=$((i + 1)) && [ $i -lt 100 ] || return 1
		sleep 0.1
	done
}

unlock_table() {
	psql -X -q "$1" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = 'pmlock'" >/dev/null
}

test_expect_success 'a table locked past PM_DB_TIMEOUT: the readers give up and say so, exit 3' '
	pg_ready && url=$(pg_newdb locked) && scored "$url" &&
	lock_table "$url" markets && test_when_finished unlock_table "$url" &&
	PM_DB_TIMEOUT=0.5 run timeout 60 pm-summary --status --db "$url" --json &&
	expect_status 3 && test_grep "lock timeout" err &&
	PM_DB_TIMEOUT=0.5 run timeout 60 pm-summary --score --db "$url" --json &&
	expect_status 3 && test_grep "lock timeout" err &&
	PM_DB_TIMEOUT=0.5 run timeout 60 pm-store --db "$url" -e markets &&
	expect_status 3 && test_grep "lock timeout" err
'

# Through the pooler each reader's transaction sets its own lock_timeout:
# before, only a direct connection had one, and these waited for the lock
# to go (30 s here, for ever for a session left idle in its transaction).
test_expect_success 'through PgBouncer: the readers give up on the locked table the same way' '
	pg_ready && pgb_ready && url=$(pg_newdb pooledlock) && scored "$url" &&
	lock_table "$url" markets && test_when_finished unlock_table "$url" &&
	u=$(pgb_url pooledlock) &&
	PM_DB_TIMEOUT=0.5 run timeout 20 pm-summary --status --db "$u" --json &&
	expect_status 3 && test_grep "lock timeout" err &&
	PM_DB_TIMEOUT=0.5 run timeout 20 pm-summary --score --db "$u" --json &&
	expect_status 3 && test_grep "lock timeout" err &&
	PM_DB_TIMEOUT=0.5 run timeout 20 pm-store --db "$u" -e markets &&
	expect_status 3 && test_grep "lock timeout" err &&
	PM_DB_TIMEOUT=0.5 run timeout 20 pm-store --db "$u" -e market --format csv &&
	expect_status 3 && test_grep "lock timeout" err &&
	unlock_table "$url" &&
	run pm-summary --score --db "$u" --json && expect_status 0 &&
	run pm-store --db "$u" -e markets && expect_status 0 &&
	test "$(psql -X -A -t "$u" -c "SHOW lock_timeout")" = 0
'

test_expect_success 'a flow whose table cannot be read is an error, not "no data"' '
	pg_ready && url=$(pg_newdb lockedprices) && scored "$url" &&
	lock_table "$url" price_history && test_when_finished unlock_table "$url" &&
	PM_DB_TIMEOUT=0.5 run timeout 60 pm-summary --status --db "$url" --flow prices --json &&
	expect_status 3 && test_line_count out 0 &&
	test_grep "pm-summary: .*: price_history: canceling statement due to lock timeout" err &&
	run pm-summary --status --db "$url" --flow trades --json && expect_status 5 &&
	jq -e ".level == \"no_data\"" out >/dev/null
'

test_expect_success 'status: empty, failed-only and never-written databases: no data' '
	pg_ready && url=$(pg_newdb empty) &&
	pm-store --db "$url" </dev/null 2>/dev/null &&
	run pm-summary --status --db "$url" && expect_status 5 &&
	test_grep "^status: no data (nothing stored)$" out &&
	url=$(pg_newdb failed) &&
	{ rec_run_start f1 static; echo "{\"kind\":\"raw\",\"source\":\"gamma\",\"payload\":{}}"; } |
		{ pm-store --db "$url" >/dev/null 2>&1 || true; } &&
	run pm-summary --status --db "$url" --json && expect_status 5 &&
	jq -e ".level == \"no_data\" and .runs.failed == 1 and .runs.success_rate == 0 and
		.failures.recent[0].reason == \"bad_record\"" out >/dev/null &&
	url=$(pg_newdb blank) &&
	run pm-summary --status --db "$url" && expect_status 5 &&
	test_grep "^status: no data (no pm-store tables)$" out &&
	run pm-summary --status --db "$url" --json && expect_status 5 &&
	jq -e ".level == \"no_data\" and .last_update == null and .flows == [] and
		.markets.total == 0 and .runs.listed == 0 and .runs.success_rate == null and
		.failures == {last_day:0, recent:[]}" out >/dev/null &&
	run pm-summary --score --db "$url" --json && expect_status 0 &&
	jq -e ".variants == []" out >/dev/null
'

# A database made with an en-US collation (ICU, as a server's default
# locale often is): runs started at the same time (one --now, runs stored
# by hand) listed by run_id in byte order, as SQLite lists them: the
# latest run ("a" after "B"), its status and the failures in a row.
test_expect_success 'status in an en-US locale: runs started at once in byte order, as on SQLite' '
	pg_ready &&
	url=$(pg_enus_db enus) &&
	for db in "$url" o.db; do
		{ rec_run_start B static;
		  rec_market 1 event_id=e1 fetched_at=2026-11-23T07:00:00Z tags:="[]" contracts:="[]"; } |
			pm-store --db "$db" >/dev/null 2>&1 || return 1
		{ rec_run_start a static; echo "{\"kind\":\"raw\",\"source\":\"gamma\",\"payload\":{}}"; } |
			pm-store --db "$db" >/dev/null 2>&1
		rec_run_start A_1 static | pm-store --db "$db" >/dev/null 2>&1 || return 1
	done &&
	mask="del(.runs.last[].finished_at)" &&
	run pm-summary --status --db "$url" --now 2026-11-23T07:10:00Z --json && expect_status 0 &&
	jq -e ".flows[0].last_run_status == \"failed\" and .flows[0].consecutive_failed_runs == 1 and
		[.runs.last[].run_id] == [\"a\", \"B\", \"A_1\"]" out >/dev/null &&
	jq "$mask" out >pg &&
	run pm-summary --status --db o.db --now 2026-11-23T07:10:00Z --json && expect_status 0 &&
	jq "$mask" out >lite && test_cmp lite pg &&
	run pm-summary --status --db "$url" --now 2026-11-23T07:10:00Z && expect_status 0 &&
	sed "s/ [.][.] .*//" out >pg &&
	run pm-summary --status --db o.db --now 2026-11-23T07:10:00Z && expect_status 0 &&
	sed "s/ [.][.] .*//" out >lite && test_cmp lite pg
'

test_done
