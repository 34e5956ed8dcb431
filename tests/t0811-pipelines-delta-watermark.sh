#!/bin/bash
# The delta flow over time, as cron runs it: after any sequence of runs the
# database holds every market the API changed as a static run now stores
# it.  A run that did not read everything it listed (a page that failed,
# --limit) does not move the watermark, and updatedAt on an API clock
# that lags ours is not taken for older than the watermark.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/pg.sh"

P=$TOP/pipelines.sh
fake_start pm --markets 300 --only-synthetic
flow() { run "$P" "$@" --env-file /dev/null --no-dump; }
DB=$TMP/pm.db

# as_static DB: its markets and contracts are those a static run stores
# now, market by market (a fresh database beside it, static.db)
as_static() {
	local cols="m.market_id, m.updated_at, m.volume, m.closed, m.active,
	    c.outcome_index, c.token_id, c.price"
	rm -f static.db &&
	"$P" static --env-file /dev/null --no-dump --db static.db >/dev/null 2>&1 &&
	sqlite3 static.db "SELECT $cols FROM markets m LEFT JOIN contracts c
	    USING (source, market_id) ORDER BY 1, 6" >want &&
	test_num "$(wc -l <want)" -ge 60 &&
	sqlite3 "$1" "ATTACH 'static.db' AS s; SELECT $cols FROM markets m
	    LEFT JOIN contracts c USING (source, market_id) WHERE m.market_id
	    IN (SELECT market_id FROM s.markets) ORDER BY 1, 6" >got &&
	test_cmp want got
}

test_expect_success 'static, then a delta: the database is as a static run leaves it' '
	flow static --db "$DB" && expect_status 0 &&
	fake_touch 10 >touched && test_line_count touched 30 &&
	sleep 1.1 &&
	flow delta --db "$DB" --overlap 0 && expect_status 0 &&
	as_static "$DB"
'

# every listing page fails: nothing fetched, the run is partial; had it
# moved the watermark, what it missed would never be read again
test_expect_success 'a delta whose pages failed: the next delta reads what it missed' '
	fake_touch 7 >touched && test_line_count touched 43 &&
	sleep 1.1 &&
	fake_control "{\"every_5xx\":1}" &&
	flow delta --db "$DB" --overlap 0; fake_control "{\"every_5xx\":0}" &&
	expect_status 1 && test_grep "fetch_failed" err &&
	test_eq partial "$(sqlite3 "$DB" "SELECT status FROM processing_runs
	    ORDER BY started_at DESC LIMIT 1")" &&
	sleep 1.1 &&
	flow delta --db "$DB" --overlap 0 && expect_status 0 &&
	as_static "$DB"
'

test_expect_success 'a delta cut short by --limit: the next delta reads the rest' '
	fake_touch 11 >touched && test_line_count touched 28 &&
	sleep 1.1 &&
	flow delta --db "$DB" --overlap 0 --limit 3 && expect_status 0 &&
	sleep 1.1 &&
	flow delta --db "$DB" --overlap 0 && expect_status 0 &&
	as_static "$DB"
'

# newest first is how a delta knows where to stop: an API that lists in
# id order all the same ended it at the first older market, the changed
# ones after it unread, and the run completed
test_expect_success 'an API that ignores order=updatedAt: the delta lists it all, nothing missed' '
	fake_touch 9 >touched && test_line_count touched 34 &&
	sleep 1.1 &&
	fake_control "{\"ignore_order\":true}" &&
	flow delta --db "$DB" --overlap 0 --summary-path d.json;
	fake_control "{\"ignore_order\":false}" && expect_status 0 &&
	test_grep "not in updatedAt order: the delta lists all of it" err &&
	test_num "$(jq .totals.fetched d.json)" -lt 40 &&
	as_static "$DB"
'

# a static run lists the open markets only: had its start been the
# watermark, a market closed after the last delta and before it would
# have stayed open in the database for good
test_expect_success 'a market closed between a delta and a static: the next delta stores it closed' '
	curl -sf -X POST --data "{\"every\":50,\"close\":true}" "$FAKE_URL/_touch" |
	    jq -r ".touched[]" >closed && test_line_count closed 6 &&
	sleep 1.1 &&
	flow static --db "$DB" && expect_status 0 &&
	sleep 1.1 &&
	flow delta --db "$DB" --overlap 0 && expect_status 0 &&
	sqlite3 "$DB" "SELECT market_id FROM markets WHERE closed = 1 ORDER BY 1" >got &&
	sort closed >want && test_cmp want got &&
	as_static "$DB"
'

# runs of each status, the newest first: only the completed one without
# a limit is a watermark
runs() {
	local id st t lim
	while read -r id st t lim; do
		jq -cn --arg id "$id" --arg st "$st" --arg t "$t" \
		    --argjson lim "$lim" '{kind:"run", phase:"start", run_id:$id,
		    flow:"delta", run_date:$t[0:10], started_at:$t,
		    options:{limit:$lim, margin:"1h"}} |
		    ., . + {phase:"end", final:true, status:$st,
		    finished_at:$t}'
	done <<-EOF
	r1 completed 2026-01-01T00:00:00.000Z null
	r2 completed 2026-01-01T01:00:00.000Z 5
	r3 partial 2026-01-01T02:00:00.000Z null
	r4 failed 2026-01-01T03:00:00.000Z null
	EOF
}
test_expect_success '--last-run: the newest completed run, not a partial one nor one cut short by --limit' '
	runs >runs.ndjson &&
	run pm-store --db w.db runs.ndjson && expect_status 0 &&
	test_eq "completed completed partial failed" "$(sqlite3 w.db \
	    "SELECT group_concat(status, '\'' '\'') FROM (SELECT status FROM
	    processing_runs ORDER BY started_at)")" &&
	run pm-store --db w.db --last-run static,delta && expect_status 0 &&
	test_eq 2026-01-01T00:00:00.000Z "$(cat out)"
'

# a run given a clock in the future (--now, PM_NOW) is no watermark for
# the runs before that time: they would list nothing until then
test_expect_success '--last-run --now T: only the runs started before T' '
	jq -cn "{kind:\"run\", phase:\"start\", run_id:\"r9\", flow:\"delta\",
	    run_date:\"2999-01-01\", started_at:\"2999-01-01T00:00:00.000Z\",
	    options:{limit:null}} | ., . + {phase:\"end\", final:true,
	    status:\"completed\", finished_at:.started_at}" >future.ndjson &&
	runs >runs.ndjson &&
	run pm-store --db w.db runs.ndjson future.ndjson && expect_status 0 &&
	run pm-store --db w.db --last-run delta && expect_status 0 &&
	test_eq 2026-01-01T00:00:00.000Z "$(cat out)" &&
	run pm-store --db w.db --last-run delta --now 2999-01-01T00:00:00.001Z &&
	expect_status 0 && test_eq 2999-01-01T00:00:00.000Z "$(cat out)" &&
	for t in 2026-01-01T00:00:00Z 2026-01-01T01:00:00+01:00 2025-12-31; do
		run pm-store --db w.db --last-run delta --now $t && expect_status 0 &&
		test_line_count out 0 || return 1
	done &&
	run pm-store --db w.db --last-run delta --now 2026-01-01T00:00:00.001Z &&
	expect_status 0 && test_eq 2026-01-01T00:00:00.000Z "$(cat out)" &&
	PM_NOW=2026-01-01T00:30:00Z run pm-store --db w.db --last-run delta &&
	expect_status 0 && test_eq 2026-01-01T00:00:00.000Z "$(cat out)" &&
	run pm-store --db w.db --last-run delta --now yesterday && expect_status 2 &&
	test_grep "now: not an RFC 3339 time: yesterday" err &&
	run pm-store --db w.db --export market --now 2026-01-01T00:00:00Z &&
	expect_status 2
'

test_expect_success 'a delta run with a clock a day ahead: the next delta on time lists what changed since the static run' '
	flow static --db fut.db && expect_status 0 &&
	flow delta --db fut.db --overlap 0 --now "$(date -u -d "+1 day" +%Y-%m-%dT%H:%M:%SZ)" &&
	expect_status 0 &&
	fake_touch 9 >touched && test_line_count touched -ge 30 &&
	sleep 1.1 &&
	flow delta --db fut.db --overlap 0 --summary-path f.json && expect_status 0 &&
	test_num "$(jq .totals.fetched f.json)" -ge "$(wc -l <touched)" &&
	as_static fut.db
'

pg_start
test_expect_success 'PostgreSQL: the same watermark' '
	pg_ready && url=$(pg_newdb watermark) && runs >runs.ndjson &&
	run pm-store --db "$url" runs.ndjson && expect_status 0 &&
	run pm-store --db "$url" --last-run delta && expect_status 0 &&
	test_eq 2026-01-01T00:00:00.000Z "$(cat out)" &&
	run pm-store --db "$url" --last-run delta --now 2026-01-01T00:00:00Z &&
	expect_status 0 && test_line_count out 0
'

# updatedAt is stamped on the API's clock; the watermark is a time on
# ours: 30 minutes behind, more than the overlap, every change since the
# last run looked older than the watermark
test_expect_success 'the API'\''s clock behind ours by more than the overlap: nothing missed' '
	fake_start skew --markets 300 --only-synthetic --clock-skew -1800 &&
	flow static --db skew.db && expect_status 0 &&
	fake_touch 10 >touched && test_line_count touched 30 &&
	sleep 1.1 &&
	flow delta --db skew.db --overlap 10 --summary-path d.json &&
	expect_status 0 && test_num "$(jq .totals.fetched d.json)" -ge 30 &&
	as_static skew.db
'

# a market listed after the last run is a change like any other: the
# delta stores it with its event, the prices flow then quotes its tokens
test_expect_success 'a market that joins an event: the delta stores it, the prices flow quotes it' '
	fake_start join --markets 60 --only-synthetic --spread-days 5 --group-size 3 &&
	flow static --db join.db && expect_status 0 &&
	id=$(curl -sf -X POST --data "{\"event_id\":\"30000000\"}" \
	    "$FAKE_URL/_add_market" | jq -r .added) && test -n "$id" &&
	sleep 1.1 &&
	flow delta --db join.db --overlap 0 && expect_status 0 &&
	test_eq 30000000 "$(sqlite3 join.db "SELECT event_id FROM markets WHERE market_id = '\''$id'\''")" &&
	flow prices --db join.db && expect_status 0 &&
	test_eq 2 "$(sqlite3 join.db "SELECT count(*) FROM contracts WHERE market_id = '\''$id'\''
	    AND best_bid IS NOT NULL AND quoted_at IS NOT NULL")" &&
	as_static join.db
'

test_done
