#!/bin/bash
# retry-failures repairs a forecast skipped because its research failed:
# the retried group's rows that failed, or were skipped for a failure,
# become ok; an ok row is never replaced.
. "$(dirname "$0")/lib.sh"

# group G with results: research status $1, forecast status $2 (error $3)
group() {
	jq -c --arg r "$1" --arg f "$2" --arg e "$3" '
	    select(.event_key == "16183") |
	    .results = [
	      {experiment_id: "s:research:r", suite: "s", stage: "research",
	       variant: "r", type: "jq", status: $r, fingerprint: "aaaa",
	       market_ids: [.markets[].market_id],
	       output: (if $r == "ok" then {note: 1} else null end),
	       error: (if $r == "ok" then null else "boom" end)},
	      {experiment_id: "s:forecast:f", suite: "s", stage: "forecast",
	       variant: "f", type: "jq", status: $f, fingerprint: "bbbb",
	       market_ids: [.markets[].market_id],
	       error: (if $e == "" then null else $e end)}]' \
	    "$TESTS_DIR/fixtures-store/run.ndjson"
}
status() {
	sqlite3 a.db "SELECT experiment_id, status FROM experiment_results
	    ORDER BY experiment_id" | tr '\n' ' '
}

test_expect_success 'a dependent forecast skipped for a failure becomes ok' '
	group failed skipped "research s:research:r failed" >one &&
	run pm-store --db a.db one && expect_status 0 &&
	test "$(status)" = "s:forecast:f|skipped s:research:r|failed " &&
	group ok ok "" >two &&
	run pm-store --db a.db two && expect_status 0 &&
	grep -q "\"stored\":\"updated\"" out &&
	test "$(status)" = "s:forecast:f|ok s:research:r|ok " &&
	test "$(sqlite3 a.db "SELECT count(*) FROM research_artifacts")" -eq 1 &&
	group failed skipped "research s:research:r failed" >three &&
	run pm-store --db a.db three && expect_status 0 &&
	test "$(status)" = "s:forecast:f|ok s:research:r|ok "
'

test_done
