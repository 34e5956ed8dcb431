#!/bin/bash
# pm-store into ClickHouse when a run record's read fails: the stored
# start an end record leaving out a start member needs (run_started), or
# a start's check that its run ended (run_ended), answered with no row
# (a proxy's garbled answer) or not at all (the server lost between the
# record's check and its read; tests/ch-proxy.py DIE_ON).  The record is
# written out failed with the reason, never lost or failed without why;
# a JSON object that is no row of the query is no row either.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/ch.sh"

ch_start runreads || { say "$CH_ERR"; exit 1; }
PORT=${CH_HTTP##*:}
# an end leaving out target_date and the rest: its start's are read
end='{"kind":"run","phase":"end","run_id":"r1","flow":"static","finished_at":"2026-11-23T07:05:00Z","status":"completed","counts":{"records":1}}'
started() {
	url=$(ch_newdb "$1") &&
	{ rec_run_start r1 static; rec_market m1; } >start.ndjson &&
	pm-store --db "$url" start.ndjson >/dev/null 2>&1
}
# the run record of out failed, with a failure record saying $1
run_failed() {
	test_eq failed "$(jq -r "select(.kind == \"run\") | .stored" out)" &&
	jq -r "select(.kind == \"failure\") | .detail" out >why &&
	test_line_count why 1 && test_grep "$1" why &&
	test_grep "\.ndjson:[0-9]*: .*$1" err
}

test_expect_success 'an end record'\''s start read garbled: exit 1, the end failed and why' '
	started endread && echo "$end" >end.ndjson &&
	ch_proxy "^SELECT flow" "garbage
" endread &&
	run pm-store --db "$PROXY_URL" end.ndjson && expect_status 1 &&
	run_failed "/endread: line 1 of the answer: invalid JSON" &&
	test_eq 0 "$(ch_query "SELECT count() FROM endread.processing_runs FINAL WHERE finished_at = '\''2026-11-23T07:05:00Z'\''")"
'

test_expect_success 'the server lost at an end record'\''s start read: exit 3, the end failed' '
	started endlost && { rec_market m2; echo "$end"; } >end.ndjson &&
	DIE_ON="^SELECT flow" ch_proxy "" "" endlost &&
	PM_DB_TIMEOUT=2 run pm-store --db "$PROXY_URL" end.ndjson &&
	expect_status 3 && run_failed "within 2 s (PM_DB_TIMEOUT)" &&
	test_eq inserted "$(jq -r "select(.kind == \"market\") | .stored" out)"
'

test_expect_success 'a start'\''s check that its run ended garbled: exit 1, the start failed and why' '
	url=$(ch_newdb startread) &&
	{ rec_run_start r1 static; rec_market m1; } >start.ndjson &&
	ch_proxy "^SELECT finished_at" "garbage
" startread &&
	run pm-store --db "$PROXY_URL" start.ndjson && expect_status 1 &&
	run_failed "/startread: line 1 of the answer: invalid JSON"
'

test_expect_success 'the server lost at a start'\''s check: exit 3, the start failed' '
	url=$(ch_newdb startlost) &&
	{ rec_run_start r1 static; rec_market m1; } >start.ndjson &&
	DIE_ON="^SELECT finished_at" ch_proxy "" "" startlost &&
	PM_DB_TIMEOUT=2 run pm-store --db "$PROXY_URL" start.ndjson &&
	expect_status 3 && run_failed "within 2 s (PM_DB_TIMEOUT)"
'

# a JSON object that is no row of the query (a gateway's error in a 200)
# was taken for the run's end as stored: the start left unchanged, the
# run ended with an empty status
test_expect_success 'a start'\''s check answered with an object that is no run: failed, said why' '
	url=$(ch_newdb startobj) &&
	{ rec_run_start r1 static; rec_market m1; } >start.ndjson &&
	ch_proxy "^SELECT finished_at" "{\"error\":\"upstream timed out\"}
" startobj &&
	run pm-store --db "$PROXY_URL" start.ndjson && expect_status 1 &&
	run_failed "/startobj: line 1 of the answer: not a row of the table"
'

test_expect_success 'an end'\''s start read answered with an object that is no run: failed, said why' '
	started endobj && echo "$end" >end.ndjson &&
	ch_proxy "^SELECT flow" "{\"error\":\"upstream timed out\"}
" endobj &&
	run pm-store --db "$PROXY_URL" end.ndjson && expect_status 1 &&
	run_failed "/endobj: line 1 of the answer: not a row of the table"
'
test_done
