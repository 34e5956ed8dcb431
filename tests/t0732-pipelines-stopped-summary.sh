#!/bin/bash
# A run stopped mid-fetch (SIGTERM to the driver, or ^C): the stages
# ended at once, pm-store saw its input end and wrote its end record
# (completed, the records it had were all stored), and pm-summary,
# hearing it before the stop, printed "status completed" for the run the
# driver then said was stopped and recorded failed.  pm-store's end
# record is not the run's end: the summary of a run with no final word
# says "unfinished" and counts what it saw.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

P=$TOP/pipelines.sh
fake_start pm --markets 40 --events 2

# stop SIG [-]: SIG to the driver (with -, to its group) mid-fetch
stop() {
	local sig=$1 to=${2:-} dp st=0
	fake_control "{\"latency_ms\": 2000}"
	set -m
	env --default-signal=INT "$P" events --env-file /dev/null \
	    --db "s$sig.db" >out 2>err &
	dp=$!
	set +m
	wait_proc "$PM_BIN/pm-fetch"
	sleep 0.5
	kill -"$sig" -- "$to$dp"
	wait "$dp" || st=$?
	fake_control "{\"latency_ms\": 0}" &&
	test_eq "$3" "$st" &&
	test_eq failed "$(sqlite3 "s$sig.db" "SELECT status FROM processing_runs")" &&
	test_grep "SIG$sig: run .* stopped" err &&
	! test_grep "status completed" err
}

test_expect_success 'SIGTERM mid-fetch: the summary does not say completed' '
	stop TERM "" 143
'
test_expect_success '^C (SIGINT to the group) mid-fetch: nor does it' '
	stop INT - 130
'
test_done
