#!/bin/bash
# When pm-store itself is the stage that fails (the database gone), the
# run cannot record its end: it stays "running", pipelines.sh says so,
# and the next run of the flow marks it "abandoned" -- never while its
# holder lives (issue 16).  Before: such a run stayed "running" for ever,
# or said "completed" when the end record still got through.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

P=$TOP/pipelines.sh
NOW=$(date -u +%Y-%m-%dT%H:00:00Z)
# The markets close tomorrow, at hours 0 to 23: the target day
# (--window-days 1) holds them all whatever the hour of the run, and
# --margin 0 leaves none out.  Today's would hold none after 23:30 UTC.
DAY1=$(date -u -d "$NOW + 1 day" +%Y-%m-%dT%H:%M:%SZ)
fake_start pm --markets 30 --spread-days 1 --now "$DAY1"
DB=$TMP/pm.db
q() { sqlite3 "$DB" "$1"; }
daily() { run "$P" daily --env-file /dev/null --db "$DB" --window-days 1 --margin 0 --no-dump "$@"; }

# pm-store that, while $TMP/down exists, stores the run's start record,
# then dies as a lost database would: the row is left running.
FB=$TMP/fakebin
mkdir "$FB" && for p in "$PM_BIN"/pm-*; do ln -s "$p" "$FB"/; done &&
rm "$FB"/pm-store
cat >"$FB"/pm-store <<EOS
#!/bin/bash
real=$PM_BIN/pm-store
if [ \$# -eq 0 ] && [ -e "$TMP/down" ]; then
	head -n 1 | "\$real" >/dev/null 2>&1
	sqlite3 "$DB" "UPDATE processing_runs SET status = NULL, finished_at = NULL" 2>/dev/null
	cat >/dev/null
	echo "pm-store: $DB: disk I/O error" >&2
	exit 3
fi
# while $TMP/slow exists: the start record stored at once, the rest late
if [ \$# -eq 0 ] && [ -e "$TMP/slow" ]; then
	{ IFS= read -r line; printf '%s\n' "\$line"; sleep 4; cat; } | "\$real"
	exit
fi
exec "\$real" "\$@"
EOS
chmod +x "$FB"/pm-store

test_expect_success 'pm-store fails: exit 3, the run left running, said so' '
	touch "$TMP/down" &&
	PM_BIN=$FB daily --summary-path s1.json && expect_status 3 &&
	test_grep "pm-store failed (status 3)" err &&
	test_grep "cannot record how run .* ended (failed); the next daily run marks it abandoned" err &&
	jq -e ".run_status == \"failed\" and .failed_stage == \"pm-store\" and
		(.error | test(\"disk I/O error\"))" s1.json >/dev/null &&
	test_eq 1 "$(q "SELECT count(*) FROM processing_runs WHERE status IS NULL")"
'
test_expect_success 'not marked abandoned while its holder lives' '
	rm -f "$TMP/down" && touch "$TMP/slow" &&
	(PM_BIN=$FB "$P" daily --env-file /dev/null --db "$DB" --window-days 1 --margin 0 --no-dump \
	    >/dev/null 2>&1 & echo $! >pid) &&
	for _ in $(seq 100); do
		test "$(q "SELECT count(*) FROM processing_runs" 2>/dev/null)" = 2 &&
		break; sleep 0.1
	done &&
	daily && expect_status 4 && test_grep "another daily run" err &&
	test_eq "" "$(q "SELECT status FROM processing_runs ORDER BY started_at DESC LIMIT 1")" &&
	test_eq abandoned "$(q "SELECT status FROM processing_runs ORDER BY started_at LIMIT 1")" &&
	wait_pid=$(cat pid) && while kill -0 "$wait_pid" 2>/dev/null; do sleep 0.2; done &&
	rm -f "$TMP/slow" &&
	test_eq abandoned "$(q "SELECT status FROM processing_runs ORDER BY started_at LIMIT 1")" &&
	test_eq completed "$(q "SELECT status FROM processing_runs ORDER BY started_at DESC LIMIT 1")"
'
test_expect_success 'status counts abandoned runs as failed ones' '
	run pm-summary --status --db "$DB" --flow daily --json &&
	jq -e ".flows[0].failed_runs == 1 and .flows[0].consecutive_failed_runs == 0 and
		.runs.failed == 1" out >/dev/null
'
test_expect_success 'a run record of another flow is left alone' '
	printf "%s\n" "{\"kind\":\"run\",\"phase\":\"start\",\"run_id\":\"s1\",\"flow\":\"static\"}" |
	    "$PM_BIN"/pm-store --db "$DB" >/dev/null 2>&1 &&
	q "UPDATE processing_runs SET status = NULL WHERE run_id = '\''s1'\''" &&
	daily && expect_status 0 &&
	test_eq "" "$(q "SELECT status FROM processing_runs WHERE run_id = '\''s1'\''")"
'
test_done
