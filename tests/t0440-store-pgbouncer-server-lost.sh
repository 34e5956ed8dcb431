#!/bin/bash
# pm-store through PgBouncer (transaction mode) when the server behind the
# pooler restarts or stops in the middle of a run (t0941 does it without
# a pooler).  A pooler whose server is down still takes pm-store's
# connection at once, then fails its first statement: that is no
# connection re-established, and PM_DB_TIMEOUT counts from the first loss
# until the server answers again.  Before, pm-store reconnected to the
# pooler for ever, failing its records one by one (store_failed,
# "connection lost (...), then re-established"), never stopping with
# exit status 3 as it does directly.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/db-faults.sh"
pg_start
# the pooler tells a client waiting for a server that there is none after
# 2 s, not 120
PGB_OPTS="query_wait_timeout = 2"
pgbouncer_start

pgctl() {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
	    -t 60 "$@" >/dev/null 2>&1 3>&-
}

test_expect_success 'the server restarted behind PgBouncer mid-run: pm-store completes' '
	pg_ready && pgb_ready && pg_newdb rs >/dev/null && url=$(pgb_url rs) &&
	store_fifo "$url" &&
	feed 1 15 && wait_for has_rows "$url" raw_responses 7 &&
	wait_for pg_settled rs && pgctl -m fast restart && t0=$(now_ms) &&
	kill -0 "$store_pid" && feed 16 && store_wait && expect_status 0 &&
	test_line_count err 1 && test_grep " 0 failed in postgresql:" err &&
	test_count failure out 0 && db_dump "$url" >d && test_cmp "$CLEAN" d
'

test_expect_success 'restarted twice in one run: each loss has its own PM_DB_TIMEOUT' '
	pg_ready && url=$(pg_newdb twice) &&
	export PM_DB_TIMEOUT=3 && store_fifo "$url" &&
	feed 1 15 && wait_for has_rows "$url" raw_responses 7 &&
	wait_for pg_settled twice && pgctl -m fast restart &&
	feed 16 40 && wait_for has_rows "$url" raw_responses 18 &&
	sleep 4 && wait_for pg_settled twice && pgctl -m fast restart &&
	t0=$(now_ms) && feed 41 && store_wait && unset PM_DB_TIMEOUT &&
	expect_status 0 && test_grep " 0 failed in postgresql:" err &&
	test_count failure out 0 && db_dump "$url" >d && test_cmp "$CLEAN" d
'

test_expect_success 'the server stopped behind PgBouncer for good: exit 3, only what it said stored' '
	pg_ready && pgb_ready && pg_newdb st >/dev/null && url=$(pgb_url st) &&
	export PM_DB_TIMEOUT=2 && store_fifo "$url" &&
	feed 1 15 && wait_for has_rows "$url" raw_responses 7 &&
	wait_for pg_settled st && pgctl -m fast stop && t0=$(now_ms) &&
	feed 16 && store_wait && pgctl restart && unset PM_DB_TIMEOUT &&
	expect_status 3 && test_num "$elapsed_ms" -lt 30000 &&
	test_num "$(grep -c "^pm-store: postgresql://postgres@/st?host=[^ ]*: connection lost (.*) and not re-established within 2 s (PM_DB_TIMEOUT): " err)" -eq 1 &&
	not test_grep "then re-established" out &&
	test_count failure out -ge 1 && direct=$(pg_url_via st direct) &&
	stored_as_said "$direct" out &&
	run pm-store --db "$direct" "$STREAM" && expect_status 0 &&
	db_dump "$direct" >d && test_cmp "$CLEAN" d
'

test_done
