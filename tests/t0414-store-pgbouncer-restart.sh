#!/bin/bash
# pm-store through PgBouncer (transaction mode) when the pooler itself,
# not the server behind it, is killed in the middle of a run (t0440 does
# the server): restarted, between batches or inside one, pm-store
# connects again and completes with nothing lost and nothing stored
# twice; gone for good, it stops with exit status 3 within PM_DB_TIMEOUT,
# the database holding exactly what it said it stored.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/db-faults.sh"
pg_start
pgbouncer_start

pgb_kill() {
	kill -9 "$(cat "$PGB_DIR/pgbouncer.pid")" &&
	    wait_for eval '! kill -0 "$(cat "$PGB_DIR/pgbouncer.pid")" 2>/dev/null'
}

# its pidfile outlives kill -9, and a PgBouncer that finds it does not
# start: as a service manager would, it goes first
pgb_restart() {
	rm -f "$PGB_DIR/pgbouncer.pid" &&
	pg_as "$(command -v pgbouncer || echo /usr/sbin/pgbouncer)" -d \
	    "$PGB_DIR/pgbouncer.ini" >"$PGB_DIR/start.log" 2>&1 3>&- &&
	    wait_for psql -X -A -t -q "$PGB_URL" -c "select 1" >/dev/null 2>&1
}

test_expect_success 'PgBouncer killed and restarted between batches: pm-store completes' '
	pg_ready && pgb_ready && pg_newdb kb >/dev/null && url=$(pgb_url kb) &&
	store_fifo "$url" &&
	feed 1 15 && wait_for has_rows "$url" raw_responses 7 &&
	wait_for pg_settled kb && pgb_kill && sleep 0.5 && pgb_restart &&
	t0=$(now_ms) && kill -0 "$store_pid" && feed 16 && store_wait &&
	cat err && expect_status 0 && test_grep " 0 failed in postgresql:" err &&
	test_count failure out 0 && db_dump "$url" >d && test_cmp "$CLEAN" d
'

test_expect_success 'PgBouncer killed inside a batch and restarted: nothing lost, nothing twice' '
	pg_ready && pgb_ready && pg_newdb ki >/dev/null && url=$(pgb_url ki) &&
	direct=$(pg_url_via ki direct) && store_fifo "$url" &&
	feed 1 15 && wait_for has_rows "$direct" raw_responses 7 &&
	wait_for pg_settled ki && { feed 16 & } && feed_pid=$! &&
	wait_for eval "test \"\$(rows \"$direct\" raw_responses)\" -gt 7" &&
	pgb_kill && sleep 0.5 && pgb_restart && t0=$(now_ms) && wait "$feed_pid" &&
	store_wait && cat err && { expect_status 0 || expect_status 1; } &&
	stored_as_said "$direct" out &&
	run pm-store --db "$url" "$STREAM" && expect_status 0 &&
	db_dump "$url" >d && test_cmp "$CLEAN" d
'

test_expect_success 'PgBouncer killed for good: exit 3 within PM_DB_TIMEOUT, only what it said stored' '
	pg_ready && pgb_ready && pg_newdb kg >/dev/null && url=$(pgb_url kg) &&
	direct=$(pg_url_via kg direct) &&
	export PM_DB_TIMEOUT=2 && store_fifo "$url" &&
	feed 1 15 && wait_for has_rows "$direct" raw_responses 7 &&
	wait_for pg_settled kg && pgb_kill && t0=$(now_ms) &&
	feed 16 && store_wait && unset PM_DB_TIMEOUT && cat err &&
	expect_status 3 && test_num "$elapsed_ms" -lt 30000 &&
	test_grep "connection lost" err &&
	stored_as_said "$direct" out && pgb_restart &&
	run pm-store --db "$url" "$STREAM" && expect_status 0 &&
	db_dump "$url" >d && test_cmp "$CLEAN" d
'

test_done
