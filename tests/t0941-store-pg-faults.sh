#!/bin/bash
# pm-store when PostgreSQL fails under it: the server restarted in the
# middle of a run (pm-store connects again and completes), stopped and not
# coming back (a clear error, exit 3, within PM_DB_TIMEOUT), an export's
# connection lost (exit 3, said), down before the start, out of disk space.  After each: the database holds exactly
# what pm-store said it stored, and the same input stored again gives the
# rows of one uninterrupted run.  (SQLite: t0940.)
#
# As root, the script runs in a mount namespace of its own, so the small
# tmpfs under the disk-full case goes away with it whatever happens.
if [ "$(id -u)" -eq 0 ] && [ -z "${PM_MOUNT_NS:-}" ] &&
    unshare -m --propagation private true 2>/dev/null; then
	PM_MOUNT_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/db-faults.sh"
pg_start
[ -n "${PM_MOUNT_NS:-}" ] &&
    trap 'umount -l "$PG_DIR/small" 2>/dev/null; pg_stop; rm -rf "$TMP"' EXIT

# pg_ctl; the server must not inherit the fifo on fd 3, or pm-store would
# never see the end of its input
pgctl() {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
	    -t 60 "$@" >/dev/null 2>&1 3>&-
}

# start it again with the options pg_start gave (kept in postmaster.opts)
pg_up() {
	pgctl restart
}

# pm-store connected, waiting for input, and holding no transaction: what
# it has read so far is committed (store_idle) and nothing is locked
idle() {
	test "$(psql -X -A -t -q "$PG_URL" -c "SELECT string_agg(state, ',')
	    FROM pg_stat_activity WHERE datname = '$1'")" = idle
}

test_expect_success 'a slow producer: pm-store waits with everything committed, no transaction open' '
	pg_ready && url=$(pg_newdb slow) && store_fifo "$url" &&
	feed 1 13 && wait_for has_rows "$url" raw_responses 6 &&
	wait_for idle slow && has_rows "$url" processed_events 1 &&
	t0=$(now_ms) && feed 14 && store_wait && expect_status 0 &&
	db_dump "$url" >d && test_cmp "$CLEAN" d
'

test_expect_success 'PostgreSQL restarted mid-run: pm-store connects again and completes' '
	pg_ready && url=$(pg_newdb restart) && store_fifo "$url" &&
	feed 1 15 && wait_for has_rows "$url" raw_responses 7 &&
	wait_for idle restart &&
	pgctl -m fast restart && t0=$(now_ms) && kill -0 "$store_pid" &&
	feed 16 && store_wait && expect_status 0 &&
	test_line_count err 1 && test_grep " 0 failed in postgresql:" err &&
	test_count failure out 0 &&
	test_grep "terminating connection due to administrator command" "$PG_DIR/server.log" &&
	db_dump "$url" >d && test_cmp "$CLEAN" d
'

test_expect_success 'PostgreSQL stopped mid-run for good: error, exit 3 within PM_DB_TIMEOUT, only what it said stored' '
	pg_ready && url=$(pg_newdb stopped) &&
	export PM_DB_TIMEOUT=2 && store_fifo "$url" &&
	feed 1 15 && wait_for has_rows "$url" raw_responses 7 &&
	wait_for idle stopped && pgctl -m fast stop && t0=$(now_ms) &&
	feed 16 && store_wait && pg_up && expect_status 3 &&
	test_num "$elapsed_ms" -ge 2000 && test_num "$elapsed_ms" -lt 12000 &&
	test_grep "^pm-store: postgresql://postgres@/stopped?host=[^ ]*: connection lost (.*) and not re-established within 2 s (PM_DB_TIMEOUT): connection to server on socket .* failed: No such file or directory\$" err &&
	test_count failure out -ge 1 &&
	test_num "$(grep -c "^pm-store: postgresql:.*not re-established" err)" -eq 1 &&
	jq -r "select(.kind == \"failure\") | .detail" out | sort -u >details &&
	test_line_count details 1 && test_grep "not re-established within 2 s" details &&
	stored_as_said "$url" out && mv out out1 && unset PM_DB_TIMEOUT &&
	run pm-store --db "$url" "$STREAM" && expect_status 0 &&
	db_dump "$url" >d && test_cmp "$CLEAN" d
'

# An export's connection lost mid-way cannot start again (its rows are
# out): exit 3, and why.  The export waits for a table another session
# holds locked, and its backend is terminated while it waits.  Before,
# -e raw exited 3 without a word: the lost connection's DB_BUSY was taken
# for "said already"; then it connected again first and said "then
# re-established", which reads as recovered (t0446: the server stopped).
test_expect_success 'the connection lost during an export: exit 3, and says so' '
	pg_ready && url=$(pg_newdb lostexp) &&
	pm-store --db "$url" "$STREAM" >/dev/null 2>&1 &&
	for k in raw:raw_observations group:processed_events markets:markets; do
		PGAPPNAME=pmlock psql -X -q "$url" -c "BEGIN" \
		    -c "LOCK TABLE ${k#*:} IN ACCESS EXCLUSIVE MODE" \
		    -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
		wait_for lock_held || return 1
		PM_DB_TIMEOUT=60 timeout 60 pm-store --db "$url" -e ${k%:*} \
		    >out 2>err &
		spid=$! && wait_for lock_waiter lostexp || return 1
		psql -X -A -t -q "$PG_URL" -c "SELECT pg_terminate_backend(pid)
		    FROM pg_stat_activity WHERE datname = '"'"'lostexp'"'"' AND
		    wait_event_type = '"'"'Lock'"'"'" >/dev/null &&
		psql -X -A -t -q "$PG_URL" -c "SELECT pg_terminate_backend(pid)
		    FROM pg_stat_activity WHERE application_name = '"'"'pmlock'"'"'" >/dev/null &&
		st=0 && wait $spid || st=$?
		test_eq 3 "$st" "${k%:*}: exit status" &&
		test_line_count err 1 &&
		test_grep "^pm-store: --export ${k%:*}: connection lost (terminating connection due to administrator command): an export cannot resume; run it again\$" err &&
		test ! -s out || return 1
	done
'

test_expect_success 'PostgreSQL down when pm-store starts: exit 3 at once, the server named' '
	pg_ready && url=$(pg_newdb down) && pgctl -m fast stop &&
	t0=$(now_ms) && PM_DB_TIMEOUT=30 run pm-store --db "$url" "$STREAM" &&
	elapsed=$(($(now_ms) - t0)) && pg_up && expect_status 3 &&
	test_num "$elapsed" -lt 5000 && test_line_count err 1 &&
	test_grep "^pm-store: postgresql://postgres@/down?host=[^ ]*: connection to server on socket .* failed: No such file or directory" err &&
	test ! -s out
'

# The database's tablespace on a 4 MiB tmpfs: the data files fill it, the
# WAL (in the data directory) does not, so the server answers 53100
# "could not extend file" and stays up.
if [ -z "${PM_MOUNT_NS:-}" ]; then
	say "skip - $script: PostgreSQL disk full: needs root and unshare -m to mount a tmpfs for a tablespace"
else
test_expect_success 'PostgreSQL out of disk space: the cause named, exit 3; rerun after freeing space = clean run' '
	pg_ready && mkdir "$PG_DIR/small" &&
	mount -t tmpfs -o size=4m,mode=0700,uid="$(id -u "$PG_USER")" tmpfs "$PG_DIR/small" &&
	psql -X -q "$PG_URL" -c "CREATE TABLESPACE small LOCATION '\''$PG_DIR/small'\''" \
	    -c "CREATE DATABASE fulldb TABLESPACE small" &&
	url="postgresql://postgres@/fulldb?host=$PG_DIR" &&
	run timeout 60 pm-store --db "$url" "$STREAM" && expect_status 3 &&
	test_grep "^pm-store: postgresql://postgres@/fulldb?host=[^ ]*: could not extend file .*: No space left on device" err &&
	test_grep "\"stored\":\"inserted\"" out && test_grep "\"stored\":\"failed\"" out &&
	stored_as_said "$url" out && mv out out1 &&
	mount -o remount,size=64m "$PG_DIR/small" &&
	run pm-store --db "$url" "$STREAM" && expect_status 0 &&
	db_dump "$url" >d && test_cmp "$CLEAN" d &&
	psql -X -q "$PG_URL" -c "DROP DATABASE fulldb" -c "DROP TABLESPACE small" &&
	umount "$PG_DIR/small"
'
fi
test_done
