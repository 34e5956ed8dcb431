#!/bin/bash
# The dump directory is the daily and retry-failures flows' (the only
# ones that keep a dump): another flow makes none, and one it cannot make
# (PM_DUMP_DIR in a settings file shared by cron's flows, on a disk not
# mounted) does not fail it.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

fake_start pm --markets 4
P=$TOP/pipelines.sh

test_expect_success 'static, events, prices, trades: no dumps directory made' '
	for f in static events prices trades; do
		run "$P" $f --env-file /dev/null --db "$TMP/a.db" && expect_status 0 &&
		! test -e dumps || return 1
	done &&
	test "$(sqlite3 "$TMP/a.db" "SELECT count(*) FROM processing_runs
		WHERE status = '\''completed'\''")" = 4
'

test_expect_success 'a dump directory that cannot be made: another flow runs all the same' '
	for f in static delta; do
		PM_DUMP_DIR=/dev/null/dumps run "$P" $f --env-file /dev/null \
		    --db "$TMP/a.db" && expect_status 0 &&
		not grep "cannot create" err || return 1
	done
'

test_expect_success 'the daily flow, which keeps a dump, still stops before its run' '
	PM_DUMP_DIR=/dev/null/dumps run "$P" daily --env-file /dev/null \
	    --db "$TMP/b.db" && expect_status 3 &&
	test_grep "^pipelines.sh: cannot create /dev/null/dumps$" err &&
	! test -e "$TMP/b.db"
'

test_done
