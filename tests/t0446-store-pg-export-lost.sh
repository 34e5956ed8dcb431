#!/bin/bash
# A reader's connection lost mid-way on PostgreSQL, directly and through
# PgBouncer: an export (pm-store -e) cannot go on where it stopped, its
# rows partly out, so it says so at once, exit 3, without waiting
# PM_DB_TIMEOUT to connect again.  Before, it connected again first
# (PM_DB_TIMEOUT with the server down) and said "connection lost (...),
# then re-established", which reads as recovered, and exited 3 anyway.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/db-faults.sh"
pg_start
pgbouncer_start

pgctl() {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
	    -t 60 "$@" >/dev/null 2>&1 3>&-
}

# lose_reader DB TABLE HOW CMD...: CMD waits on TABLE of DB, locked by
# another session; HOW: "terminate" its backend, or "stop" the server
lose_reader() {
	local db=$1 table=$2 how=$3 st
	shift 3
	PGAPPNAME=pmlock psql -X -q "$(pg_url_via "$db" direct)" -c "BEGIN" \
	    -c "LOCK TABLE $table IN ACCESS EXCLUSIVE MODE" \
	    -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
	wait_for lock_held || return 1
	PM_DB_TIMEOUT=30 timeout 60 "$@" >out 2>err &
	spid=$! && wait_for lock_waiter "$db" || return 1
	t0=$(now_ms)
	if [ "$how" = stop ]; then
		pgctl -m fast stop
	else
		psql -X -A -t -q "$PG_URL" -c "SELECT pg_terminate_backend(pid)
		    FROM pg_stat_activity WHERE datname = '$db' AND
		    wait_event_type = 'Lock'" >/dev/null &&
		psql -X -A -t -q "$PG_URL" -c "SELECT pg_terminate_backend(pid)
		    FROM pg_stat_activity WHERE application_name = 'pmlock'" >/dev/null
	fi
	status=0 && wait $spid || status=$?
	elapsed=$(($(now_ms) - t0))
	if [ "$how" = stop ]; then
		pgctl restart	# with the options pg_start gave
	fi
	return 0
}

test_expect_success 'an export through PgBouncer loses its connection: cannot resume, exit 3' '
	pg_ready && pgb_ready && pg_newdb bx >/dev/null &&
	direct=$(pg_url_via bx direct) && url=$(pgb_url bx) &&
	pm-store --db "$direct" "$STREAM" >/dev/null 2>&1 &&
	for k in raw:raw_observations group:processed_events markets:markets; do
		lose_reader bx ${k#*:} terminate pm-store --db "$url" -e ${k%:*} &&
		test_eq 3 "$status" "${k%:*}: exit status" &&
		test_line_count err 1 &&
		test_grep "^pm-store: --export ${k%:*}: connection lost (.*): an export cannot resume; run it again\$" err &&
		not test_grep "re-established" err || return 1
	done
'

for via in direct pgbouncer; do
	test_expect_success "the server stopped under an export ($via): exit 3 at once, not after PM_DB_TIMEOUT" '
		pg_ready && pgb_ready && pg_newdb sx$via >/dev/null &&
		pm-store --db "$(pg_url_via sx$via direct)" "$STREAM" >/dev/null 2>&1 &&
		lose_reader sx$via raw_observations stop pm-store \
		    --db "$(pg_url_via sx$via $via)" -e raw &&
		pg_ready && test_eq 3 "$status" "exit status" &&
		test_num "$elapsed" -lt 15000 && test_line_count err 1 &&
		test_grep "^pm-store: --export raw: connection lost (.*): an export cannot resume; run it again\$" err &&
		test ! -s out
	'
done

# pm-summary keeps its report until it is whole: read again from the start
# on the connection made again, it is the report of an uninterrupted run.
# Before, it exited 3 with "..., then re-established".
. "$TESTS_DIR/score-data.sh"
for via in direct pgbouncer; do
	test_expect_success "pm-summary --status and --score ($via): the connection lost, read again" '
		pg_ready && pgb_ready && pg_newdb su$via >/dev/null &&
		scored "$(pg_url_via su$via direct)" && u=$(pg_url_via su$via $via) &&
		run pm-summary --status --db "$u" --json && mv out st.want &&
		run pm-summary --score --db "$u" --json && expect_status 0 &&
		mv out sc.want &&
		lose_reader su$via processing_runs terminate pm-summary --status \
		    --db "$u" --json && test_eq 5 "$status" "--status: exit status" &&
		test ! -s err && jq "del(.now, .age_seconds, .flows[].age_seconds)" \
		    out >st.got && jq "del(.now, .age_seconds, .flows[].age_seconds)" \
		    st.want >st.want2 && test_cmp st.want2 st.got &&
		lose_reader su$via markets terminate pm-summary --score --db "$u" \
		    --json && test_eq 0 "$status" "--score: exit status" &&
		test ! -s err && test_cmp sc.want out
	'
done
