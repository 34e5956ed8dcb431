#!/bin/bash
# A signal to the driver mid-run (^C, a scheduler's timeout, a hangup):
# every stage ends with it, the run is recorded failed (stage
# pipelines.sh), the dump ends the same way, and the exit status is 128 +
# the signal's number.  Before, the stages went on without the driver and
# the run was recorded completed after it had exited 143.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

P=$TOP/pipelines.sh
# slow answers: the runs are still fetching when the signal comes
fake_start pm --markets 300 --events 5 --spread-days 60 --latency 3000
# the programs under this test's own path, so that pgrep finds only them
mkdir "$TMP/bin" && for p in "$PM_BIN"/pm-*; do ln -s "$p" "$TMP/bin/"; done

# stop FLOW SIG N: start FLOW on s.db, send SIG while it waits for its
# first answer, and check what is left behind
stop() {
	local flow=$1 sig=$2 n=$3 dp st=0
	# job control: a background job's SIGINT is not ignored; and
	# env --default-signal: nor is it when this test was started with
	# SIGINT ignored (run in the background by a script, as CI may be),
	# which the driver, as any program, would keep ignoring
	set -m
	PM_BIN=$TMP/bin env --default-signal=INT "$P" "$flow" \
	    --env-file /dev/null --db s.db --dump-dir d >out 2>err &
	dp=$!
	set +m
	wait_proc "$TMP/bin/pm-fetch" 200
	sleep 0.5
	kill -"$sig" "$dp"
	wait "$dp" || st=$?
	test_eq "$n" "$st" &&
	! pgrep -f "$TMP/bin/" &&
	test_eq failed "$(sqlite3 s.db "SELECT status FROM processing_runs")" &&
	test_grep "$flow: SIG$sig: run .* stopped" err &&
	! test_grep "cannot record" err
}

test_expect_success 'SIGTERM mid static run: no stage left, the run failed' '
	stop static TERM 143 &&
	test_eq "exit 143: stopped by SIGTERM" "$(sqlite3 s.db \
	    "SELECT detail FROM processing_failures WHERE stage = '"'pipelines.sh'"'")"
'

test_expect_success 'SIGINT mid daily run: the dump ends failed too' '
	stop daily INT 130 &&
	tail -n 1 d/*.ndjson | jq -e "select(.kind == \"run\" and .final
	    and .status == \"failed\" and .failed_stage == \"pipelines.sh\")"
'

test_expect_success 'SIGHUP mid events run' '
	stop events HUP 129
'

test_expect_success 'SIGTERM while waiting for the lock: its pm-summary --hold goes too' '
	PM_BIN=$TMP/bin "$P" events --env-file /dev/null --db l.db --no-dump \
	    >/dev/null 2>first.err &
	first=$!
	wait_proc "$TMP/bin/pm-fetch" 200
	PM_LOCK_WAIT=60 PM_BIN=$TMP/bin "$P" events --env-file /dev/null \
	    --db l.db --no-dump >/dev/null 2>err &
	dp=$!
	for i in $(seq 200); do
		grep -q "waiting for the events run" err && break
		sleep 0.05
	done
	st=0
	kill -TERM "$dp"
	wait "$dp" || st=$?
	test_eq 143 "$st"
	sleep 0.3
	test_eq 1 "$(pgrep -c -f "$TMP/bin/pm-summary --hold")"
	kill -TERM "$first"
	wait "$first" || :
	! pgrep -f "$TMP/bin/"
'

# (the stages are not a background process group: one would stop at its
# first line on a terminal with tostop set)
test_expect_success 'on a terminal with stty tostop the flow runs through' '
	fake_control "{\"latency_ms\": 0}" &&
	timeout 120 script -qfc "stty tostop; PM_BIN=$TMP/bin TERM=xterm \
	    $P events --env-file /dev/null --db $PWD/t.db --no-dump --progress;
	    echo RC=\$?" typescript >/dev/null </dev/null || :
	# what a hung run leaves: its shells name the database, its programs
	# are under $TMP/bin
	for p in $(pgrep -f "(--db $PWD/t.db|$TMP/bin/)"); do
		kill -TERM "$p"; kill -CONT "$p"
	done
	test_grep "RC=0" typescript
'

test_done
