#!/bin/bash
# The driver as make install puts it: $PREFIX/bin/pm-pipelines, the
# programs beside it.  Run by its absolute path from cron (PATH
# /usr/bin:/bin, no PM_BIN), it looked for them in $PREFIX/bin/bin and
# then on PATH, and every flow exited 3 "pm-summary: not found", where
# the Makefile says it runs the programs beside it.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

fake_start pm --markets 50 --events 2
# an install tree: the driver and the programs in one directory
mkdir -p "$TMP/inst/bin" &&
cp "$TOP/pipelines.sh" "$TMP/inst/bin/pm-pipelines" &&
for p in "$PM_BIN"/pm-*; do ln -s "$p" "$TMP/inst/bin/"; done
# cron's environment: no PM_BIN, the system's PATH only
cron() {
	run env -i PATH=/usr/bin:/bin PM_GAMMA_URL="$PM_GAMMA_URL" \
	    PM_CLOB_URL="$PM_CLOB_URL" PM_DATA_URL="$PM_DATA_URL" \
	    ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" \
	    "$TMP/inst/bin/pm-pipelines" "$@" --env-file /dev/null
}

test_expect_success 'installed, from cron: static runs the programs beside it' '
	cron static --db i.db && expect_status 0 &&
	test_eq completed "$(sqlite3 i.db "SELECT status FROM processing_runs")"
'

test_expect_success 'installed, from cron: status and --version find them too' '
	cron status --db "$TMP/case1/i.db" && expect_status 0 &&
	run env -i PATH=/usr/bin:/bin "$TMP/inst/bin/pm-pipelines" --version &&
	expect_status 0 && test_grep "^pm-summary" out
'

test_expect_success 'a program missing from there is named, exit 3' '
	mkdir -p part && cp "$TOP/pipelines.sh" part/pm-pipelines &&
	run env -i PATH=/usr/bin:/bin part/pm-pipelines static --db p.db \
	    --env-file /dev/null &&
	expect_status 3 && test_grep "pm-summary: not found" err &&
	test ! -e p.db
'

test_done
