#!/bin/bash
# The README's first command, `tools/install-deps.sh && make demo`: the
# main job end to end, offline, on SQLite.  tools/demo.sh (what make demo
# runs once the programs are built) starts its own fake Polymarket server,
# runs the daily flow twice on the same target day (the second time with a
# variant added) and ends with the status: every run completed, each
# variant has its results, the data fresh, exit 0, nothing left running,
# and everything it writes under DEMO_DATA, not in the checkout.
. "$(dirname "$0")/lib.sh"

test_expect_success 'make demo: two daily runs completed, every variant stored, data fresh' '
	D=$TMP/demo &&
	(cd "$TOP" && DEMO_DATA=$D DEMO_MARKETS=60 DEMO_EVENTS=10 \
	    PM_STATE_DIR=$TMP/state bash tools/demo.sh) >out 2>err ||
	{ cat out err; exit 1; } &&
	for f in demo.db demo-summary.json demo-summary-2.json; do
		test -s "$D/$f" || { echo "no $f"; exit 1; }
	done &&
	test "$(ls "$D"/dumps/*.ndjson | wc -l)" -eq 2 &&
	jq -e ".run_status == \"completed\" and .totals.processed > 0" "$D/demo-summary.json" >/dev/null &&
	jq -e ".run_status == \"completed\"" "$D/demo-summary-2.json" >/dev/null &&
	sqlite3 "$D/demo.db" "SELECT status, count(*) FROM processing_runs GROUP BY 1" >got &&
	echo "completed|2" >want && test_cmp want got &&
	sqlite3 "$D/demo.db" "SELECT experiment_id FROM experiment_results WHERE status = '"'"'ok'"'"' GROUP BY 1" >got &&
	printf "%s\n" builtin:forecast:extremize builtin:forecast:market builtin:research:baseline >want &&
	test_cmp want got &&
	test_grep "^demo: exit status 0" out &&
	sqlite3 "$D/demo.db" "SELECT count(*) FROM processing_runs WHERE finished_at < started_at" >got &&
	echo 0 >want && test_cmp want got &&
	test_grep "^status: fresh" out
'
test_expect_success 'a second make demo the same day: the variants stay, nothing done twice' '
	D=$TMP/demo &&
	before=$(sqlite3 "$D/demo.db" "SELECT count(*) FROM experiment_results") &&
	# the first demo'"'"'s clock: one crossing the hour since would see
	# markets laid out from another hour
	now=$(sqlite3 "$D/demo.db" "SELECT MIN(started_at) FROM processing_runs") &&
	(cd "$TOP" && DEMO_NOW=$now DEMO_DATA=$D DEMO_MARKETS=60 DEMO_EVENTS=10 \
	    PM_STATE_DIR=$TMP/state bash tools/demo.sh) >out 2>err ||
	{ cat out err; exit 1; } &&
	test "$(sqlite3 "$D/demo.db" "SELECT count(*) FROM experiment_results")" -eq "$before" &&
	test "$(sqlite3 "$D/demo.db" "SELECT count(*) FROM processing_runs WHERE status = '"'"'completed'"'"'")" -eq 4
'
test_done
