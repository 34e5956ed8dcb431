#!/bin/bash
# A failed run's error (the stage_failed failure's detail, the summary's
# error, the driver's "failed stage:" line) is the failed stage's own last
# message, not the last line of a later stage of the same program: the
# trades flow's pm-store --export failing on a damaged market record
# (exit 3) was stored as "exit 3: 1 records: 1 inserted, ...", the
# stream pm-store's counts.
. "$(dirname "$0")/lib.sh"
P=$TOP/pipelines.sh
# nothing listens there: no trade is fetched
export PM_GAMMA_URL=http://127.0.0.1:9 PM_CLOB_URL=http://127.0.0.1:9 \
    PM_DATA_URL=http://127.0.0.1:9
DB=$TMP/t.db
E=(--env-file /dev/null --no-progress --db "$DB" --dump-dir d)
q() { sqlite3 "$DB" "$1"; }
# the run's own temporary files, looked at after it
mkdir "$TMP/tmpdir" || exit 1

test_expect_success 'setup: one active market, its stored record damaged' '
	echo "{\"kind\":\"market\",\"source\":\"polymarket\",\"market_id\":\"40\",\"question\":\"q\",\"active\":true,\"closed\":false,\"contracts\":[],\"fetched_at\":\"2026-12-01T00:00:00.000Z\"}" |
	    pm-store --db "$DB" >/dev/null &&
	test_eq 1 "$(q "SELECT count(*) FROM markets WHERE active = 1 AND closed = 0")" &&
	q "UPDATE markets SET record = '\''garbage'\'' WHERE market_id = '\''40'\''"
'

test_expect_success 'the export fails: its own message is the run'"'"'s error' '
	TMPDIR=$TMP/tmpdir run "$P" trades "${E[@]}" --summary-path s.json &&
	expect_status 3 &&
	test_grep "^pm-store: --export market: the stored record of market polymarket/40 is not a JSON record" err &&
	want="exit 3: --export market: the stored record of market polymarket/40 is not a JSON record (invalid JSON): left out" &&
	jq -e --arg w "$want" ".run_status == \"failed\" and .failed_stage == \"pm-store\" and .error == \$w" s.json >/dev/null &&
	test_eq "$want" "$(q "SELECT detail FROM processing_failures WHERE reason = '\''stage_failed'\''")" &&
	test_grep -Fx "failed stage: pm-store: $want" err &&
	test_eq failed "$(q "SELECT status FROM processing_runs WHERE flow = '\''trades'\''")"
'

test_expect_success 'no stage output is left behind in TMPDIR' '
	test -z "$(ls -A "$TMP/tmpdir")"
'
test_done
