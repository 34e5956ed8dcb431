#!/bin/bash
# retry-failures of a run of a flow that forecasts nothing (a static,
# events or prices run: its failures are fetches, no groups): a usage
# error, exit 2, before anything runs, as a run id the database does not
# have is; not a retry that retries nothing and says completed.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/pg.sh"

fake_start pm --markets 4
P=$TOP/pipelines.sh
DB=$TMP/a.db
runs() { sqlite3 "$DB" "SELECT count(*) FROM processing_runs"; }

test_expect_success 'a static and an events run' '
	run "$P" static --env-file /dev/null --db "$DB" --summary-path "$TMP/s.json" &&
	expect_status 0 &&
	PM_GAMMA_URL=http://127.0.0.1:9 run "$P" events --env-file /dev/null \
	    --db "$DB" --summary-path "$TMP/e.json" &&
	expect_status 3 && test "$(runs)" = 2
'

test_expect_success 'retry-failures of either: exit 2, no run, no dump' '
	for f in s e; do
		id=$(jq -r .run_id "$TMP/$f.json") &&
		run "$P" retry-failures "$id" --env-file /dev/null --db "$DB" &&
		expect_status 2 &&
		test_grep "^pm-store: $DB: --run $id: a run of the [a-z]* flow, which has no groups to retry" err &&
		test_grep "^pipelines.sh: retry-failures: no daily or retry-failures run $id in the database: nothing retried$" err &&
		test "$(runs)" = 2 && ! test -e dumps || return 1
	done
'

test_expect_success 'pm-store --export retry --run of it: exit 2' '
	id=$(jq -r .run_id "$TMP/s.json") &&
	run pm-store --db "$DB" --export retry --run "$id" && expect_status 2 &&
	test ! -s out
'

test_expect_success 'PostgreSQL: the same' '
	pg_start && url=$(pg_newdb retryother) &&
	run "$P" static --env-file /dev/null --db "$url" && expect_status 0 &&
	id=$(psql -XAtq "$url" -c "SELECT run_id FROM processing_runs WHERE flow = '\''static'\''") &&
	run "$P" retry-failures "$id" --env-file /dev/null --db "$url" &&
	expect_status 2 && test_grep "a run of the static flow, which has no groups" err &&
	test_eq 1 "$(psql -XAtq "$url" -c "SELECT count(*) FROM processing_runs")"
'

test_done
