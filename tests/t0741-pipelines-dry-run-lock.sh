#!/bin/bash
# --dry-run writes nothing to the database (pm-pipelines(7)): not even
# through the run lock.  Before, a dry run took the lock like any run:
# once it held it, pm-summary --hold marked every run of the flow still
# running abandoned (a row written by a dry run), and on PostgreSQL it
# made the whole schema in a database that had none, for its lease row.
# A dry run now takes no lock: it neither waits for a run of its flow
# nor holds one up.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/pg.sh"

P=$TOP/pipelines.sh
fake_start pm --markets 40 --events 4
flow() { run "$P" "$@" --env-file /dev/null --no-dump; }
# running DB: a row of an events run that never ended (its driver killed)
running() {
	sqlite3 "$1" "INSERT INTO processing_runs (run_id, flow, run_date,
		started_at, status, stored_at) VALUES ('r-old', 'events',
		'2026-12-01', '2026-12-01T00:00:00Z', 'running',
		'2026-12-01T00:00:00Z')"
}

test_expect_success 'SQLite: a run left running stays so through a dry run' '
	flow events --db pm.db && expect_status 0 && running pm.db &&
	db_dump pm.db >before &&
	sqlite3 pm.db "SELECT run_id, status FROM processing_runs" >rbefore &&
	flow events --db pm.db --dry-run && expect_status 0 &&
	test_grep -v "marked abandoned" err &&
	db_dump pm.db >after && test_cmp before after &&
	sqlite3 pm.db "SELECT run_id, status FROM processing_runs" >rafter &&
	test_cmp rbefore rafter &&
	flow events --db pm.db && expect_status 0 &&
	test_grep "1 earlier events run marked abandoned" err
'
test_expect_success 'a dry run beside a run holding the lock: not held up' '
	mkfifo hold &&
	{ DATABASE_URL=pm.db PM_ENV_FILE=/dev/null "$PM_BIN/pm-summary" \
	    --hold events --run-id other <hold >held & } &&
	exec 7>hold &&
	for _ in $(seq 100); do test -s held && break; sleep 0.1; done &&
	test_grep -x locked held &&
	flow events --db pm.db && expect_status 4 &&
	flow events --db pm.db --dry-run && expect_status 0 &&
	exec 7>&- && wait
'
test_expect_success 'PostgreSQL: a dry run makes no table and marks nothing' '
	pg_start && url=$(pg_newdb dry) &&
	flow events --db "$url" --dry-run && expect_status 0 &&
	flow daily --db "$url" --dry-run && expect_status 0 &&
	flow prices --db "$url" --dry-run && expect_status 0 &&
	flow trades --db "$url" --dry-run && expect_status 0 &&
	test_eq 0 "$(psql -XAtq "$url" -c "SELECT count(*) FROM
		information_schema.tables WHERE table_schema = '\''public'\''")" &&
	flow events --db "$url" && expect_status 0 &&
	psql -XAtq "$url" -c "INSERT INTO processing_runs (run_id, flow,
		run_date, started_at, status, stored_at) VALUES ('\''r-old'\'',
		'\''events'\'', '\''2026-12-01'\'', '\''2026-12-01T00:00:00Z'\'',
		'\''running'\'', '\''2026-12-01T00:00:00Z'\'')" &&
	flow events --db "$url" --dry-run && expect_status 0 &&
	test_eq running "$(psql -XAtq "$url" -c "SELECT status FROM
		processing_runs WHERE run_id = '\''r-old'\''")"
'
test_done
