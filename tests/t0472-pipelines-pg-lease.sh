#!/bin/bash
# One run of a flow at a time across machines (issue 16): on PostgreSQL the
# run lock is a lease row (run_locks, migration 7) with an expiry from the
# server's clock, taken by single statements, so it works through a
# transaction pooler.  Two working directories stand for two machines.
# Before: the lock was a file in the local /tmp, so two machines (or two
# directories with other TMPDIRs) ran the same flow at once.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/pg.sh"
pg_start
pgbouncer_start

P=$TOP/pipelines.sh
NOW=$(date -u +%Y-%m-%dT%H:00:00Z)
# The markets close tomorrow, at hours 0 to 23: the target day
# (--window-days 1) holds them all whatever the hour of the run, and
# --margin 0 leaves none out.  Today's would hold none after 23:30 UTC.
DAY1=$(date -u -d "$NOW + 1 day" +%Y-%m-%dT%H:%M:%SZ)
fake_start pm --markets 20 --spread-days 1 --now "$DAY1"
daily() { run "$P" daily --env-file /dev/null --window-days 1 --margin 0 --no-dump "$@"; }
pq() { psql -X -A -t -q "$URL" -c "$1"; }

test_expect_success 'two machines, one PostgreSQL: the second exits 4 while the first runs' '
	pg_ready && URL=$(pg_newdb lease) && mkdir m1 m2 &&
	fake_control "{\"latency_ms\":2500}" &&
	(cd m1 && TMPDIR=$PWD "$P" daily --env-file /dev/null --window-days 1 --margin 0 --no-dump \
	    --db "$URL" >out 2>err & echo $! >pid) &&
	for _ in $(seq 100); do
		test "$(pq "SELECT count(*) FROM run_locks" 2>/dev/null)" = 1 && break; sleep 0.1
	done &&
	pq "SELECT holder FROM run_locks WHERE lock_key = '\''daily'\''" >holder &&
	test_grep "daily-.*@.*:[0-9]" holder &&
	(cd m2 && TMPDIR=$PWD daily --db "$URL" && expect_status 4 &&
	    test_grep "another daily run on this database holds its lease" err) &&
	wait_pid=$(cat pid) && while kill -0 "$wait_pid" 2>/dev/null; do sleep 0.2; done &&
	fake_control "{\"latency_ms\":0}" &&
	test_eq completed "$(pq "SELECT status FROM processing_runs")" &&
	test_eq 0 "$(pq "SELECT count(*) FROM run_locks")" &&
	test_eq 0 "$(pq "SELECT count(*) FROM processing_runs WHERE status = '\''abandoned'\''")" &&
	(cd m2 && daily --db "$URL" && expect_status 0)
'
test_expect_success 'through the transaction pooler: the same exclusion' '
	pgb_ready && pg_newdb pooled >/dev/null && PURL=$(pgb_url pooled) && URL=$PURL &&
	# the holder keeps the lease until its input ends: when the sleep
	# writing into the fifo is killed, not after a fixed time
	mkfifo hold &&
	( pm-summary --hold daily --db "$PURL" --run-id m1 <hold >held 2>hold.err & ) &&
	( sleep 600 >hold & echo $! >spid ) &&
	test_when_finished "kill \$(cat spid) 2>/dev/null || :" &&
	for _ in $(seq 200); do grep -q locked held && break; sleep 0.05; done &&
	grep -q locked held &&
	daily --db "$PURL" && expect_status 4 &&
	( ( PM_LOCK_WAIT=60 "$P" daily --env-file /dev/null --window-days 1 --margin 0 \
	    --no-dump --db "$PURL" >out2 2>err2; echo $? >st2 ) & ) &&
	for _ in $(seq 600); do grep -q "waiting for" err2 2>/dev/null && break; sleep 0.05; done &&
	test_grep "waiting for the daily run that holds the lease" err2 &&
	kill "$(cat spid)" &&
	for _ in $(seq 600); do test -s st2 && break; sleep 0.1; done &&
	test_eq 0 "$(cat st2)"
'
test_expect_success 'a holder killed outright: its lease expires, the next run marks its run abandoned' '
	pg_ready && URL=$(pg_newdb expiry) &&
	(sleep 10 | pm-summary --hold daily --db "$URL" --ttl 3 >held2 2>&1 & echo $! >hpid) &&
	for _ in $(seq 100); do grep -q locked held2 && break; sleep 0.05; done &&
	printf "%s\n" "{\"kind\":\"run\",\"phase\":\"start\",\"run_id\":\"dead\",\"flow\":\"daily\"}" |
	    pm-store --db "$URL" >/dev/null 2>&1 &&
	pq "UPDATE processing_runs SET status = NULL, finished_at = NULL" &&
	kill -9 "$(cat hpid)" &&
	daily --db "$URL" && expect_status 4 &&
	test_eq "" "$(pq "SELECT status FROM processing_runs WHERE run_id = '\''dead'\''")" &&
	# expiry is in whole seconds of the server clock, strictly after
	# expires_at: up to a second past the 3 s after the last renewal
	sleep 4.5 &&
	daily --db "$URL" && expect_status 0 &&
	test_grep "1 earlier daily run marked abandoned" err &&
	test_eq abandoned "$(pq "SELECT status FROM processing_runs WHERE run_id = '\''dead'\''")"
'
# the holder is the run id, the host and a pid: a run id cut there made
# two runs of 700-letter ids one holder, and the second took the lease
test_expect_success 'a run id is 1 to 256 characters: the longest hold apart, longer are refused' '
	pg_ready && URL=$(pg_newdb ids) &&
	for id in "" "$(printf "x%0256d" 1)" "$(printf "a\tb")"; do
		run pm-summary --hold daily --db "$URL" --run-id "$id" </dev/null &&
		expect_status 2 && test_grep "run-id: 1 to 256 characters" err || return 1
	done &&
	(sleep 10 | pm-summary --hold daily --db "$URL" --run-id "$(printf "x%0255d" 1)" \
	    >held3 2>&1 & echo $! >hpid3) &&
	test_when_finished "kill \$(cat hpid3) 2>/dev/null || :" &&
	for _ in $(seq 100); do grep -q locked held3 && break; sleep 0.05; done &&
	grep -q locked held3 &&
	run pm-summary --hold daily --db "$URL" --run-id "$(printf "x%0255d" 2)" </dev/null &&
	expect_status 4
'
test_expect_success 'migration 7 is the lease table on both engines' '
	URL=$(pg_newdb mig) && pm-store --db "$URL" </dev/null 2>/dev/null &&
	pm-store --schema postgresql | grep -q "CREATE TABLE run_locks" &&
	pm-store --schema sqlite | grep -q "CREATE TABLE run_locks" &&
	test_eq 1 "$(pq "SELECT count(*) FROM schema_migrations WHERE version = 7")" &&
	test_eq "$(schema_latest)" "$(pq "SELECT max(version) FROM schema_migrations")"
'
test_done
