#!/bin/bash
# pm-summary --status --json: the report's fresh_seconds and
# stale_seconds are the thresholds its level was judged by (those of the
# flow whose last_update it gives), as the text's "fresh under ..., stale
# under ..." says, not the 20 minutes and an hour of no flow when each
# flow had its own.
. "$(dirname "$0")/lib.sh"

# A daily run whose one forecast finished at 2026-11-23T07:00:01Z, and
# nothing else: the daily flow, fresh under a day, stale under two.
{
	rec_run_start r1 daily
	rec_group event:e1 null "$(rec_market m1 event_id=e1 close_time=2026-11-30T12:00:00Z \
		active:=true closed:=false tags:='[]' contracts:="$(rec_yes_no t1 0.5 t2 0.5)")" |
		jq -c --argjson r "$(rec_result v '{"m1":{"Yes":0.5,"No":0.5}}')" '.results = [$r]'
} >"$TMP/daily.ndjson"
AT=2026-11-24T19:00:01Z	# 36 hours after: stale

test_expect_success 'every flow its own thresholds: the level'"'"'s in JSON, as in the text' '
	pm-store --db d.db <"$TMP/daily.ndjson" >/dev/null 2>&1 &&
	run pm-summary --status --db d.db --now "$AT" && expect_status 4 &&
	test_grep "^status: stale: .* 1d 12h ago; fresh under 1d 0h, stale under 2d 0h$" out &&
	run pm-summary --status --db d.db --now "$AT" --json && expect_status 4 &&
	jq -e ".level == \"stale\" and .age_seconds == 129600 and
		.fresh_seconds == 86400 and .stale_seconds == 172800 and
		(.flows[0] | .flow == \"daily\" and .fresh_seconds == 86400)" out >/dev/null
'

test_expect_success 'thresholds given, or no data: those asked for' '
	pm-store --db d.db <"$TMP/daily.ndjson" >/dev/null 2>&1 &&
	run pm-summary --status --db d.db --now "$AT" --fresh 10m --json && expect_status 4 &&
	jq -e ".level == \"stale\" and .fresh_seconds == 600 and
		.stale_seconds == 172800" out >/dev/null &&
	run pm-summary --status --db d.db --now "$AT" --stale 30h --json && expect_status 5 &&
	jq -e ".level == \"very_stale\" and .fresh_seconds == 86400 and
		.stale_seconds == 108000" out >/dev/null &&
	pm-store --db empty.db </dev/null >/dev/null 2>&1 &&
	run pm-summary --status --db empty.db --json && expect_status 5 &&
	jq -e ".level == \"no_data\" and .fresh_seconds == 1200 and
		.stale_seconds == 3600 and (keys_unsorted | .[:5]) ==
		[\"now\", \"flow\", \"fresh_seconds\", \"stale_seconds\", \"level\"]" out >/dev/null
'

test_expect_success 'thresholds up to 100 years; one over it is said to be too long' '
	pm-store --db d.db <"$TMP/daily.ndjson" >/dev/null 2>&1 &&
	run pm-summary --status --db d.db --now "$AT" --fresh 36500d --json &&
	expect_status 0 && jq -e ".fresh_seconds == 3153600000" out >/dev/null &&
	for d in 36501d 3153600001 876001h 99999999999999999999; do
		run pm-summary --status --db d.db --stale "$d" && expect_status 2 &&
		test_grep -x "pm-summary: --stale: \"$d\" is not a duration of at most 100 years (36500d)" err ||
		return 1
	done
'

test_done
