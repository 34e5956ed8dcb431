#!/bin/bash
# pipelines.sh status (pm-summary --status) with --fresh or --stale
# alone: the age given applies to every flow, the other is each flow's
# own default (a daily flow is fresh for a day), not the 20m of none.
. "$(dirname "$0")/lib.sh"

mk() {
	rec_market "$1" event_id=e1 close_time=2026-11-24T00:00:00Z active:=true closed:=false \
		contracts:="$(rec_yes_no "${1}1" 0.5 "${1}2" 0.5)" tags:='[]'
}

# daily_group KEY FINISHED: a group of one market forecast by the market
daily_group() {
	jq -cn --arg k "$1" --arg at "$2" --argjson m "$(mk "m$1")" \
	    --argjson r "$(rec_result market "{\"m$1\":{\"Yes\":0.5,\"No\":0.5}}")" \
	    '{kind:"group", event_key:$k, event:null, markets:[$m],
	      results:[$r | .finished_at = $at]}'
}

later() { date -u -d "+$1 min" +%Y-%m-%dT%H:%M:%SZ; }

# jq -e on the level and thresholds of one flow in out
flow_is() {
	jq -e --arg f "$1" --arg l "$2" --argjson fr "$3" --argjson st "$4" \
	    '.flows[] | select(.flow == $f) | .level == $l and
	     .fresh_seconds == $fr and .stale_seconds == $st' out >/dev/null
}

# d.db: a daily run and a static run, both stored now; now: ten hours on
filled() {
	{ rec_run_start r1 daily; daily_group e1 "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	  rec_run_start r2 static; mk 9; } | pm-store --db d.db >/dev/null 2>&1 &&
	now=$(later 600)
}

test_expect_success 'without --fresh and --stale: each flow its own' '
	filled &&
	run pm-summary --status --db d.db --now "$now" --json && expect_status 5 &&
	flow_is daily fresh 86400 172800 && flow_is static very_stale 1200 3600
'

test_expect_success '--stale alone: the daily flow keeps its fresh day' '
	filled &&
	run pm-summary --status --db d.db --now "$now" --stale 3d --json &&
	expect_status 4 &&
	flow_is daily fresh 86400 259200 && flow_is static stale 1200 259200 &&
	run "$TOP/pipelines.sh" status --db d.db --env-file /dev/null --now "$now" \
	    --stale 3d --json && expect_status 5 &&
	flow_is daily fresh 86400 259200
'

test_expect_success '--stale alone below a flow'"'"'s fresh default: fresh half of it' '
	filled &&
	run pm-summary --status --db d.db --now "$now" --stale 12h --json &&
	expect_status 4 &&
	flow_is daily stale 21600 43200 &&
	flow_is static stale 1200 43200 &&
	run pm-summary --status --db d.db --now "$now" --flow daily --stale 12h &&
	expect_status 4 &&
	test_grep "fresh under 6h 0m, stale under 12h 0m" out &&
	run pm-summary --status --db d.db --now "$now" --flow static --stale 10m --json &&
	expect_status 5 &&
	jq -e ".fresh_seconds == 300 and .stale_seconds == 600" out >/dev/null
'

test_expect_success '--fresh alone: each flow its own stale age, twice it when above' '
	filled &&
	run pm-summary --status --db d.db --now "$now" --fresh 30m --json &&
	expect_status 5 &&
	flow_is daily stale 1800 172800 && flow_is static very_stale 1800 3600 &&
	run pm-summary --status --db d.db --now "$now" --fresh 3h --json &&
	expect_status 5 &&
	flow_is daily stale 10800 172800 && flow_is static very_stale 10800 21600
'

test_expect_success 'both given: every flow by them; --stale below --fresh is a usage error' '
	filled &&
	run pm-summary --status --db d.db --now "$now" --fresh 1h --stale 2h --json &&
	expect_status 5 &&
	flow_is daily very_stale 3600 7200 && flow_is static very_stale 3600 7200 &&
	run "$TOP/pipelines.sh" status --db d.db --env-file /dev/null --fresh 2h --stale 1h &&
	expect_status 2 &&
	test_grep "stale must not be below --fresh" err
'

test_expect_success 'the status flow'"'"'s options: another flow refuses them, runs nothing' '
	for a in "--status-path s.json" "--fresh 1h" "--stale 1h" "--flow daily"; do
		for f in static delta daily; do
			run "$TOP/pipelines.sh" $f $a --db x.db --env-file /dev/null \
			    --gamma-url http://127.0.0.1:9/ &&
			expect_status 2 &&
			test_grep "^pipelines.sh: $f: ${a%% *} is an option of the status flow" err ||
			return 1
		done
	done &&
	! test -e x.db && ! test -e s.json && ! test -e dumps
'

test_expect_success '--dry-run: status and score make no run, refuse it, write nothing' '
	filled &&
	for f in status score; do
		run "$TOP/pipelines.sh" $f --dry-run --db d.db --env-file /dev/null \
		    --notify http://127.0.0.1:9/hook &&
		expect_status 2 &&
		test_grep "^pipelines.sh: $f: --dry-run is an option of the flows that make a run and of prune" err ||
		return 1
	done &&
	test "$(sqlite3 d.db "SELECT count(*) FROM status_alerts")" = 0
'

test_expect_success 'score has no clock: --now is refused, exit 2; PM_NOW is not' '
	filled &&
	run "$TOP/pipelines.sh" score --now "$now" --db d.db --env-file /dev/null &&
	expect_status 2 && test ! -s out &&
	test_grep "^pipelines.sh: score: --now is an option of the flows that make a run, of status and of prune$" err &&
	PM_NOW=$now run "$TOP/pipelines.sh" score --db d.db --env-file /dev/null &&
	expect_status 0 &&
	run "$TOP/pipelines.sh" status --now "$now" --db d.db --env-file /dev/null &&
	expect_status 6
'

test_expect_success '--json elsewhere: refused as status'"'"'s and score'"'"'s option' '
	for f in static delta daily; do
		run "$TOP/pipelines.sh" $f --json --db x.db --env-file /dev/null \
		    --gamma-url http://127.0.0.1:9/ &&
		expect_status 2 &&
		test_grep "^pipelines.sh: $f: --json is an option of the status and score flows$" err ||
		return 1
	done &&
	run "$TOP/pipelines.sh" static --buckets 4 --json --db x.db \
	    --env-file /dev/null && expect_status 2 &&
	test_grep "^pipelines.sh: static: --buckets is an option of the score flow$" err &&
	! test -e x.db && ! test -e dumps
'

test_done
