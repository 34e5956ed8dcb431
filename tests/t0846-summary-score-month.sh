#!/bin/bash
# pm-summary --score after the things a month of the daily protocol does
# to the forecasters' results: a forecast that failed and was retried
# days later (retry-failures) is scored at the lead time of the retry
# that made it, not of the attempt that failed; a store moved to another
# engine (pm-store(1), Moving a store) scores as the old one did, with
# the results retried, the forecaster added and the market joined after
# an event's first run; retry-failures run after a market closed does not
# forecast it then, and runs only the forecasters that failed.  SQLite and
# PostgreSQL.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"

# mk FETCHED CLOSED PYES PNO: m1 of event e1, closing 2026-12-01T00:30Z
mk() {
	local at=$1
	shift
	rec_market m1 event_id=e1 close_time=2026-12-01T00:30:00Z fetched_at="$at" \
		active:="$([ "$1" = true ] && echo false || echo true)" closed:="$1" \
		resolution_status:=null tags:='[]' contracts:="$(rec_yes_no t1 "$2" t2 "$3")"
}
# start RUN_ID FLOW STARTED: a run's start record
start() {
	rec_run_start "$1" "$2" | jq -c --arg s "$3" '.started_at = $s | .run_date = $s[0:10]'
}
# group STATUS STARTED LEAD_H: e1 as first processed (0.5/0.5), variant
# v's result of that status, started then, its lead_h stored with it
group() {
	rec_group e1 null "$(mk 2026-11-24T06:59:00Z false 0.5 0.5)" |
	jq -c --argjson r "$(rec_result v null)" --arg st "$1" --arg s "$2" \
	    --argjson l "$3" '.results = [$r + {type: "command", status: $st,
		probabilities: (if $st == "ok" then {m1: {Yes: 0.9, No: 0.1}}
		    else null end),
		error: (if $st == "ok" then null else "exit 3" end),
		started_at: $s, finished_at: $s, fingerprint: "f1",
		market_ids: ["m1"],
		lead: {m1: {close_time: "2026-12-01T00:30:00Z", lead_h: $l}}}]'
}

# The daily run of 11-24 07:00 (target day 12-01): v's provider fails,
# 161.5 h before the close, [6, 8).  retry-failures two days later, at
# 11-26 07:00, makes the forecast: 113.5 h before the close, [3, 6).  m1
# then resolves Yes: Brier ((0.9-1)^2 + 0.1^2)/2 = 0.01, in [3, 6) only.
{
	start r1 daily 2026-11-24T07:00:00Z
	group failed 2026-11-24T07:00:00Z 161.5
	start r2 retry-failures 2026-11-26T07:00:00Z
	group ok 2026-11-26T07:00:00Z 113.5
	start r3 static 2026-12-02T07:00:00Z
	mk 2026-12-02T07:00:00Z true 1 0
} >"$TMP/retried.ndjson"
NEAR='def near(a; b): ((a - b) | if . < 0 then -. else . end) < 1e-9;'
RETRIED="$NEAR"' .variants | length == 1 and (.[0] | .forecasts == 1 and
	.markets == 1 and near(.brier; 0.01) and .lead_unknown == 0 and
	(.lead_days | map(.markets) == [0,0,1,0,0]) and
	near(.lead_days[2].brier; 0.01))'

# retried DB: the stream stored, the retry's market row and score
retried() {
	pm-store --db "$1" <"$TMP/retried.ndjson" >/dev/null 2>&1 &&
	test_eq "r2 113.5" "$(lead_row "$1")" "the retried forecast's market row" &&
	run pm-summary --score --db "$1" --json && expect_status 0 &&
	jq -e "$RETRIED" out >/dev/null
}
lead_row() {
	case $1 in
	postgresql:*) psql -qAtX -F ' ' "$1" -c "SELECT run_id, lead_h FROM experiment_markets" ;;
	*) sqlite3 -separator ' ' "$1" "SELECT run_id, lead_h FROM experiment_markets" ;;
	esac
}

test_expect_success 'a retried forecast: the lead time of the retry that made it' '
	retried d.db
'

test_expect_success 'its market row as a build before this one left it: the same score' '
	pm-store --db old.db <"$TMP/retried.ndjson" >/dev/null 2>&1 &&
	sqlite3 old.db "UPDATE experiment_markets SET run_id = '\''r1'\'', lead_h = 161.5" &&
	run pm-summary --score --db old.db --json && expect_status 0 &&
	jq -e "$RETRIED" out >/dev/null
'

test_expect_success 'replaying the failed run after the resolution changes nothing' '
	pm-store --db d.db <"$TMP/retried.ndjson" >/dev/null 2>&1 &&
	db_dump d.db | grep -v "^\[\"processing_runs\"" >before &&
	sed -n 1,2p "$TMP/retried.ndjson" | pm-store --db d.db >/dev/null 2>&1 &&
	db_dump d.db | grep -v "^\[\"processing_runs\"" >after &&
	test_cmp before after
'

pg_start
test_expect_success 'PostgreSQL: a retried forecast, the same' '
	pg_ready && retried "$(pg_newdb retried)"
'

# A month of e1: the daily run of 11-24 (target 12-01) has m1; w
# forecasts it, v fails.  retry-failures of 11-26 makes v's.  The daily
# run of 11-28 (target 12-05) finds m2 joined to e1: v and w forecast m2
# only, and x, the forecaster added that week, both.  m1 resolves Yes, m2
# No.
# mkt ID CLOSE FETCHED CLOSED PYES PNO
mkt() {
	rec_market "$1" event_id=e1 close_time="$2" fetched_at="$3" \
		active:="$([ "$4" = true ] && echo false || echo true)" closed:="$4" \
		resolution_status:=null tags:='[]' contracts:="$(rec_yes_no "$1y" "$5" "$1n" "$6")"
}
# res VARIANT FINGERPRINT STATUS STARTED PROBABILITIES MARKET...
res() {
	local v=$1 f=$2 st=$3 at=$4 p=$5
	shift 5
	rec_result "$v" "$p" | jq -c --arg f "$f" --arg st "$st" --arg s "$at" \
	    --argjson ids "$(printf '%s\n' "$@" | jq -R . | jq -cs .)" '. + {status: $st,
		type: "command", started_at: $s, finished_at: $s, fingerprint: $f,
		market_ids: $ids, error: (if $st == "ok" then null else "exit 3" end)}'
}
# grp MARKETS RESULT...: a group of e1
grp() {
	local ms=$1
	shift
	jq -cn --argjson m "$ms" '{kind: "group", event_key: "e1", event: null,
		markets: $m}' | jq -c --slurpfile r <(printf '%s\n' "$@") '.results = $r'
}
M1=$(mkt m1 2026-12-01T12:00:00Z 2026-11-24T06:59:00Z false 0.5 0.5)
M2=$(mkt m2 2026-12-05T12:00:00Z 2026-11-28T06:59:00Z false 0.4 0.6)
{
	start r1 daily 2026-11-24T07:00:00Z
	grp "[$M1]" "$(res v fv failed 2026-11-24T07:00:00Z null m1)" \
	    "$(res w fw ok 2026-11-24T07:00:00Z '{"m1":{"Yes":0.7,"No":0.3}}' m1)"
	start r2 retry-failures 2026-11-26T07:00:00Z
	grp "[$M1]" "$(res v fv ok 2026-11-26T07:00:00Z '{"m1":{"Yes":0.9,"No":0.1}}' m1)"
	start r3 daily 2026-11-28T07:00:00Z
	grp "[$M1,$M2]" "$(res v fv ok 2026-11-28T07:00:00Z '{"m2":{"Yes":0.2,"No":0.8}}' m2)" \
	    "$(res w fw ok 2026-11-28T07:00:00Z '{"m2":{"Yes":0.4,"No":0.6}}' m2)" \
	    "$(res x fx ok 2026-11-28T07:00:00Z '{"m1":{"Yes":0.6,"No":0.4},"m2":{"Yes":0.3,"No":0.7}}' m1 m2)"
} >"$TMP/month.ndjson"
{
	start r4 static 2026-12-06T07:00:00Z
	mkt m1 2026-12-01T12:00:00Z 2026-12-06T07:00:00Z true 1 0
	mkt m2 2026-12-05T12:00:00Z 2026-12-06T07:00:00Z true 0 1
} >"$TMP/resolved.ndjson"
# each forecaster on both markets, once each: v, w and x
MONTH='.variants | map([.variant, .forecasts, .markets, .pending]) ==
	[["v",2,2,0],["w",2,2,0],["x",1,2,0]]'

# moved FROM TO: the groups moved as pm-store(1) says, the resolved
# markets stored there too (the raw export would bring them)
moved() {
	pm-store -d "$1" -e group | pm-store -d "$2" >/dev/null &&
	pm-store -d "$2" <"$TMP/resolved.ndjson" >/dev/null 2>&1
}
test_expect_success 'a store moved scores as it did: retried, added, joined' '
	pg_ready && url=$(pg_newdb moved) &&
	cat "$TMP/month.ndjson" "$TMP/resolved.ndjson" | pm-store -d src.db >/dev/null 2>&1 &&
	pm-summary --score --db src.db --json >want &&
	jq -e "$MONTH" want >/dev/null &&
	moved src.db "$url" && pm-summary --score --db "$url" --json >got &&
	test_cmp want got &&
	pm-store -d src.db -e group >want.g && pm-store -d "$url" -e group >got.g &&
	test_cmp want.g got.g &&
	moved "$url" again.db && pm-summary --score --db again.db --json >got &&
	test_cmp want got &&
	moved src.db "$url" && pm-summary --score --db "$url" --json >got &&
	test_cmp want got
'

# retry-failures after the close: the provider was down for the daily run
# of 11-24 (m1 closes 12-01 00:30); the retry of 12-01 00:00 is within
# the margin (1h) of the close, and a forecast then is none the daily
# protocol would make: not made (a skip, closes_within_margin), the
# failure stays.  The retry of 11-26 makes it.
cat >"$TMP/flaky.json" <<EOC
{"suites":[{"id":"s","forecast":[{"variant":"v","type":"command","argv":["sh","-c",
  "g=\$(cat); [ -e $TMP/down ] && exit 3; printf %s \"\$g\" | jq -c '{probabilities: ((.forecast_markets // (.markets | map(.market_id))) | map({key: ., value: 0.9}) | from_entries)}'"]}]}]}
EOC
# failed_daily DB: the daily run r1 of 11-24 into DB, v's provider down
failed_daily() {
	touch "$TMP/down" &&
	{ start r1 daily 2026-11-24T07:00:00Z
	  rec_group e1 null "$(mk 2026-11-24T06:59:00Z false 0.5 0.5)" |
		pm-experiment --config "$TMP/flaky.json" 2>/dev/null; } |
	pm-store -d "$1" >/dev/null 2>&1 && rm "$TMP/down"
}
# retry DB CONFIG NOW: retry-failures of r1 at NOW
retry() {
	run "$TOP/pipelines.sh" retry-failures r1 --db "$1" --env-file /dev/null \
	    --no-dump --config "$TMP/$2" --now "$3" --summary-path retry.json
}
status_of_v() { sqlite3 late.db "SELECT status FROM experiment_results"; }
test_expect_success 'retry-failures after the close: no forecast made then' '
	failed_daily late.db &&
	test_eq failed "$(status_of_v)" "the daily run" &&
	retry late.db flaky.json 2026-12-01T00:00:00Z && expect_status 0 &&
	test_eq failed "$(status_of_v)" "after the close" &&
	test_eq 1 "$(jq .totals.skipped retry.json)" skipped &&
	retry late.db flaky.json 2026-11-26T07:00:00Z && expect_status 0 &&
	test_eq ok "$(status_of_v)" "before the close"
'

# The forecaster w, added after the daily run whose v failed: the retry
# of that run forecasts with v again, not with w (it did not fail there;
# its market set is the days since it was added).
jq '.suites[0].forecast += [{"variant": "w", "type": "jq",
	"program": "{probabilities: {m1: 0.3}}"}]' "$TMP/flaky.json" >"$TMP/more.json"
test_expect_success 'retry-failures runs the forecasters that failed, not one added since' '
	failed_daily added.db &&
	retry added.db more.json 2026-11-26T07:00:00Z && expect_status 0 &&
	sqlite3 added.db "SELECT experiment_id, status FROM experiment_results" >got &&
	echo "s:forecast:v|ok" >want && test_cmp want got
'

test_expect_success 'pm-experiment --margin: the markets that close within it, none' '
	rec_group e1 null "$(mk 2026-11-24T06:59:00Z false 0.5 0.5)" >g.ndjson &&
	run pm-experiment --config "$TMP/flaky.json" --margin 1h \
	    --now 2026-12-01T00:00:00Z g.ndjson && expect_status 0 &&
	jq -e "select(.kind == \"skip\") | .why == \"closes_within_margin\"" out >/dev/null &&
	run pm-experiment --config "$TMP/flaky.json" --margin 1h \
	    --now 2026-11-30T23:00:00Z g.ndjson && expect_status 0 &&
	jq -e "select(.kind == \"group\") | .results[0].status == \"ok\"" out >/dev/null &&
	run pm-experiment --config "$TMP/flaky.json" --now 2026-11-30T23:00:00Z g.ndjson &&
	expect_status 2 && test_grep "now applies to --margin only" err
'
test_done
