#!/bin/bash
# PgBouncer in session mode (not the transaction mode of t0470) and at
# its max_client_conn: in session mode pm-store stores what a direct run
# stores and every reader works; a pooler that takes no more clients ("no
# more connections allowed") stops pm-store and pm-summary --status at
# once with exit 3 and PgBouncer's reason, nothing half stored, and the
# same input run again once there is room stores every record.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
RUN=$TESTS_DIR/fixtures-store/run.ndjson
pg_start
PGB_OPTS="max_client_conn = 2
pool_mode = session" pgbouncer_start

test_expect_success 'session mode: stored as directly, read back' '
	pgb_ready && grep -qx "pool_mode = session" "$PGB_DIR/pgbouncer.ini" &&
	pg_newdb s >/dev/null && u=$(pgb_url s) && direct=$(pg_newdb d) &&
	run pm-store --db "$u" "$RUN" && expect_status 0 &&
	test_grep " 0 failed in " err &&
	pm-store --db "$direct" "$RUN" >/dev/null 2>&1 &&
	db_dump "$direct" >one && db_dump "$u" >two && test_cmp one two &&
	run pm-store --db "$u" -e market && expect_status 0 &&
	test_count market out 2 &&
	run pm-store --db "$u" --new-only "$RUN" && expect_status 0 &&
	test_line_count out 8 &&
	run pm-summary --status --db "$u" && expect_status 0 &&
	test_grep "^status: fresh" out
'

test_expect_success 'max_client_conn reached: exit 3 at once, named; then all stored' '
	pgb_ready && pg_newdb crowd >/dev/null && u=$(pgb_url crowd) || return 1
	psql -X -q "$u" -c "select pg_sleep(60)" >/dev/null 2>&1 &
	p1=$!
	psql -X -q "$u" -c "select pg_sleep(60)" >/dev/null 2>&1 &
	p2=$!
	test_when_finished "kill $p1 $p2 2>/dev/null; :" &&
	i=0 && until test "$(psql -X -A -t "$PG_URL" -c "select count(*) from pg_stat_activity where query like '"'"'select pg_sleep(60)%'"'"'")" = 2; do
		i=$((i + 1)) && test $i -lt 100 && sleep 0.1 || return 1
	done &&
	SECONDS=0 && run pm-store --db "$u" "$RUN" && expect_status 3 &&
	test_num $SECONDS -lt 5 && test ! -s out &&
	test_grep "^pm-store: postgresql://postgres@/crowd?.*: .*no more connections allowed (max_client_conn)$" err &&
	run pm-summary --status --db "$u" && expect_status 3 &&
	test_grep "^pm-summary: postgresql://postgres@/crowd?.*no more connections allowed (max_client_conn)$" err &&
	{ kill $p1 $p2; wait $p1 $p2; sleep 0.5; } &&
	run pm-store --db "$u" "$RUN" && expect_status 0 &&
	test_grep " 7 inserted, .* 0 failed in " err
'
test_done
