#!/bin/bash
# A flow whose standard error is on a full disk (2>/dev/full): the run
# summary, the flow's report, cannot be written.  pm-summary says so by
# exit 3 (pm-summary(1)), but the driver passed its standard error
# through tee, whose failure no one read: the flow exited 0, every
# stage's messages and the report lost.  pm-summary now writes its
# summary itself: the flow exits 3, the run stored as it ended.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

P=$TOP/pipelines.sh
fake_start pm --markets 30 --events 2
q() { sqlite3 "$TMP/pm.db" "$1"; }

test_expect_success 'events 2>/dev/full: exit 3, the run stored completed' '
	st=0 &&
	"$P" events --env-file /dev/null --db "$TMP/pm.db" \
	    --summary-path s.json >out 2>/dev/full || st=$? &&
	test_eq 3 "$st" &&
	test_eq completed "$(q "SELECT status FROM processing_runs")" &&
	jq -e ".run_status == \"completed\"" s.json >/dev/null
'

test_expect_success 'the same flow, standard error writable: exit 0' '
	run "$P" events --env-file /dev/null --db "$TMP/pm.db" &&
	expect_status 0 && test_grep "status completed" err
'
test_done
