#!/bin/bash
# Run records are checked at pm-store (issue 22): an empty run_id, a flow
# pipelines.sh does not have, a time that is no time, an end status that
# is none of ours, a run_date or target_date that is no day, are
# bad_record failures, nothing stored; status ignores
# times in the future.  Before: all of these were stored, and one run
# dated 2099 kept --status "fresh" for ever.
. "$(dirname "$0")/lib.sh"

DB=$TMP/v.db
q() { sqlite3 "$DB" "$1"; }
store1() { printf '%s\n' "$1" >in.ndjson && run pm-store --db "$DB" in.ndjson; }

test_expect_success 'a valid start for each flow pipelines.sh has, trades included' '
	for f in daily static delta events prices replay retry-failures trades; do
		store1 "$(rec_run_start "r-$f" "$f")" && expect_status 0 || exit 1
	done &&
	test_eq 8 "$(q "SELECT count(*) FROM processing_runs")"
'
test_expect_success 'bad run records: each a bad_record failure, nothing stored' '
	good=$(rec_run_start x daily) &&
	for bad in \
	    "$(jq -c ".run_id = \"\"" <<<"$good")" \
	    "$(jq -c "del(.run_id)" <<<"$good")" \
	    "$(jq -c ".run_id = 7" <<<"$good")" \
	    "$(jq -c ".flow = \"nightly\"" <<<"$good")" \
	    "$(jq -c "del(.flow)" <<<"$good")" \
	    "$(jq -c ".started_at = \"not a time\"" <<<"$good")" \
	    "$(jq -c ".phase = \"end\" | .status = \"completed\"" <<<"$good")" \
	    "$(jq -c ".phase = \"end\" | .finished_at = \"2026-11-23T08:00:00Z\" | .status = \"great\"" <<<"$good")" \
	    "$(jq -c ".phase = \"end\" | .finished_at = \"soon\" | .status = \"failed\"" <<<"$good")"; do
		store1 "$bad" && expect_status 1 &&
		grep "\"kind\":\"failure\"" out | jq -e ".reason == \"bad_record\"" >/dev/null || {
			echo "accepted: $bad"; exit 1; }
	done &&
	test_eq 0 "$(q "SELECT count(*) FROM processing_runs WHERE run_id = '\''x'\'' OR run_id = '\'''\''")" &&
	test_eq 5 "$(q "SELECT count(DISTINCT detail) FROM processing_failures WHERE reason = '\''bad_record'\''")"
'
test_expect_success 'run_date and target_date are real days, YYYY-MM-DD, or null' '
	good=$(rec_run_start d daily | jq -c ".run_date = \"2026-11-23\" |
	    .target_date = \"2026-11-30\" | .window_days = 7") &&
	for bad in ".run_date = \"2026-13-01\"" ".run_date = \"yesterday\"" \
	    ".run_date = \"2026-02-29\"" ".run_date = \"2026-11-23T00:00:00Z\"" \
	    ".target_date = \"2026-11-31\"" ".target_date = 20261130" \
	    ".target_date = \"2026-11-30 \"" ".target_date = \"26-11-30\""; do
		store1 "$(jq -c "$bad" <<<"$good")" && expect_status 1 &&
		test_grep "_date is not a date (YYYY-MM-DD)" out || {
			echo "accepted: $bad"; exit 1; }
	done &&
	test_eq 0 "$(q "SELECT count(*) FROM processing_runs WHERE run_id = '\''d'\''")" &&
	store1 "$good" && expect_status 0 &&
	store1 "$(jq -c ".run_id = \"d2\" | .run_date = \"2028-02-29\" |
	    .target_date = null" <<<"$good")" && expect_status 0 &&
	test_eq "2026-11-23|2026-11-30" "$(q "SELECT run_date, target_date FROM processing_runs WHERE run_id = '\''d'\''")"
'
test_expect_success 'the reasons say what is wrong' '
	store1 "$(rec_run_start x nightly)" && test_grep "flow is not one of pipelines.sh" out &&
	store1 "$(rec_run_start "" daily)" && test_grep "run_id missing or empty" out
'
test_expect_success 'an end record with every status of ours is taken, abandoned included' '
	for st in running completed partial failed abandoned; do
		store1 "$(rec_run_start "e-$st" daily | jq -c ".phase = \"end\" |
		    .finished_at = \"2026-11-23T08:00:00Z\" | .status = \"$st\"")" &&
		expect_status 0 || exit 1
	done &&
	test_eq abandoned "$(q "SELECT status FROM processing_runs WHERE run_id = '\''e-abandoned'\''")"
'
test_expect_success 'status ignores data from the future: a price dated 2099 keeps nothing fresh' '
	{ rec_run_start p1 prices
	  echo "{\"kind\":\"price\",\"token_id\":\"t1\",\"market_id\":\"m1\",\"outcome\":\"Yes\",\"side\":\"history\",\"price\":0.5,\"ts\":\"2099-01-01T00:00:00Z\"}"
	} | pm-store --db f.db >/dev/null 2>&1 &&
	run pm-summary --status --db f.db --flow prices --json && expect_status 5 &&
	jq -e ".level == \"no_data\" and .flows[0].runs == 1" out >/dev/null &&
	run pm-summary --status --db f.db --flow prices --now 2099-01-01T00:05:00Z --json &&
	expect_status 0 && jq -e ".level == \"fresh\" and .last_update_from == \"price_history\"" out >/dev/null
'
test_expect_success '--status-path writes to what the path is: a FIFO, a symlink, a file' '
	pm-store --db s.db </dev/null 2>/dev/null &&
	mkfifo fifo && { cat fifo >from_fifo & } &&
	run pm-summary --status --db s.db --status-path fifo && expect_status 5 &&
	wait && test -p fifo && jq -e ".level == \"no_data\"" from_fifo >/dev/null &&
	echo old >target.json && ln -s target.json link &&
	run pm-summary --status --db s.db --status-path link && expect_status 5 &&
	test -L link && jq -e ".level == \"no_data\"" target.json >/dev/null &&
	run pm-summary --status --db s.db --status-path dir/st.json && expect_status 5 &&
	jq -e ".flows == []" dir/st.json >/dev/null &&
	run pm-summary --status-path x.json && expect_status 2
'
test_done
