#!/bin/bash
# pm-group --margin (no forecast after the fact) and --limit-markets.
. "$(dirname "$0")/lib.sh"

# mk ID EVENT_ID CLOSE: one market record ("" CLOSE: null)
mk() {
	jq -cn --arg id "$1" --arg e "$2" --arg c "$3" '{kind:"market",
		source:"polymarket", market_id:$id, question:("Q" + $id),
		event_id:$e, event_slug:null, event:null,
		close_time:(if $c == "" then null else $c end),
		contracts:[{outcome:"Yes",token_id:"1",price:0.25},{outcome:"No",token_id:"2",price:0.75}]}'
}
# e1: a closed already, b within the hour, c in two hours; e2: d in an
# hour exactly, f without a close time; e3: g within the hour, alone
{
	mk a e1 2026-06-01T09:00:00Z
	mk b e1 2026-06-01T10:59:59.999Z
	mk c e1 2026-06-01T12:00:00Z
	mk d e2 2026-06-01T11:00:00Z
	mk f e2 ""
	mk g e3 2026-06-01T10:30:00Z
} >"$TMP/in.ndjson"
NOW=2026-06-01T10:00:00Z

test_expect_success '--margin: a market closing too soon is one skip record, the rest of its group goes on' '
	run pm-group --margin 1h --now "$NOW" "$TMP/in.ndjson" && expect_status 0 &&
	jq -c "select(.kind == \"skip\")" out >got &&
	for m in a b g; do
		echo "{\"kind\":\"skip\",\"stage\":\"group\",\"market_id\":\"$m\",\"why\":\"closes_within_margin\"}"
	done >want && test_cmp want got &&
	jq -c "select(.kind == \"group\") | [.event_key, [.markets[].market_id]]" out >got &&
	printf "%s\n" "[\"e1\",[\"c\"]]" "[\"e2\",[\"d\",\"f\"]]" >want && test_cmp want got
'
test_expect_success '--margin units, and PM_NOW as the start' '
	run pm-group --margin 0 --now "$NOW" "$TMP/in.ndjson" && expect_status 0 &&
	test "$(jq -r "select(.kind == \"skip\") | .market_id" out)" = a &&
	PM_NOW=$NOW run pm-group --margin 90m "$TMP/in.ndjson" && expect_status 0 &&
	jq -r "select(.kind == \"skip\") | .market_id" out | tr -d "\n" >got &&
	test "$(cat got)" = abdg &&
	run pm-group --margin 1d --now 2026-05-31T11:00:00Z "$TMP/in.ndjson" &&
	test "$(jq -r "select(.kind == \"skip\") | .market_id" out | tr -d "\n")" = abg
'
# mkf ID CLOSE FETCHED: a market of e4 fetched at FETCHED
mkf() {
	mk "$1" e4 "$2" | jq -c --arg f "$3" '.fetched_at = $f'
}
test_expect_success '--margin: the record fetched last says whether a market is late' '
	# h: its close moved earlier, within the margin (the old record
	# first, then after it); i: moved later, out of it; j: late twice
	{
		mkf h 2026-06-20T00:00:00Z 2026-05-01T00:00:00.000Z
		mkf h 2026-06-01T10:10:00Z 2026-05-30T00:00:00.000Z
		mkf i 2026-06-01T10:10:00Z 2026-05-01T00:00:00.000Z
		mkf i 2026-06-20T00:00:00Z 2026-05-30T00:00:00.000Z
		mkf j 2026-06-01T10:20:00Z 2026-05-01T00:00:00.000Z
		mkf j 2026-06-01T10:20:00Z 2026-05-30T00:00:00.000Z
		mkf k 2026-06-20T00:00:00Z 2026-05-30T00:00:00.000Z
	} >dup.ndjson &&
	for order in cat tac; do
		$order dup.ndjson >in2.ndjson &&
		run pm-group --margin 1h --now "$NOW" in2.ndjson &&
		expect_status 0 &&
		jq -r "select(.kind == \"skip\") | .market_id" out | tr -d "\n" >got &&
		test_eq hj "$(cat got)" "skipped ($order)" &&
		jq -c "select(.kind == \"group\") | [.event_key,
		    [.markets[] | [.market_id, .close_time]]]" out >got &&
		echo "[\"e4\",[[\"i\",\"2026-06-20T00:00:00Z\"],[\"k\",\"2026-06-20T00:00:00Z\"]]]" >want &&
		test_cmp want got || return 1
	done
'
test_expect_success 'without --margin every market is grouped' '
	run pm-group "$TMP/in.ndjson" && expect_status 0 &&
	test "$(count_kind skip out)" -eq 0 &&
	test "$(jq -r ".markets[].market_id" out | tr -d "\n")" = abcdfg
'
test_expect_success '--limit-markets: whole groups until N markets' '
	run pm-group --limit-markets 4 "$TMP/in.ndjson" && expect_status 0 &&
	jq -r "select(.kind == \"group\") | .event_key" out | tr -d "\n" >got &&
	test "$(cat got)" = e1e2 &&
	jq -c "select(.kind == \"skip\") | [.event_key, .why]" out >got &&
	echo "[\"e3\",\"limit\"]" >want && test_cmp want got &&
	run pm-group --limit-markets 3 "$TMP/in.ndjson" &&
	test "$(jq -r "select(.kind == \"group\") | .event_key" out)" = e1 &&
	run pm-group --limit-markets 6 "$TMP/in.ndjson" &&
	test "$(count_kind group out)" -eq 3
'
test_expect_success 'bad --margin, --now, --limit-markets: usage errors' '
	for args in "--margin 5x" "--margin -1" "--margin 1h5" "--margin 367d" \
	    "--margin 1h --now yesterday" "--now $NOW" "--limit-markets 0"; do
		# shellcheck disable=SC2086
		run pm-group $args "$TMP/in.ndjson" && expect_status 2 &&
		test ! -s out && grep -q "^pm-group: " err ||
		{ echo "args: $args"; return 1; }
	done
'
test_expect_success '--now a date alone or epoch seconds, --margin over 365 days: usage errors, as the pages say' '
	for now in 2026-06-01 1780308000 "2026-06-01 10:00:00Z" 2026-06-01T10:00:00+0200; do
		run pm-group --margin 1h --now "$now" "$TMP/in.ndjson" &&
		expect_status 2 && test ! -s out &&
		test_grep -F "pm-group: --now: \"$now\" is not a time (RFC 3339" err &&
		PM_NOW=$now run pm-group --margin 1h "$TMP/in.ndjson" &&
		expect_status 2 && test_grep -F "pm-group: PM_NOW: \"$now\"" err &&
		run pm-experiment --margin 1h --now "$now" && expect_status 2 &&
		test_grep -F "pm-experiment: --now: \"$now\" is not a time" err &&
		run pm-summary --status --now "$now" && expect_status 2 &&
		test_grep -F "pm-summary: --now: \"$now\" is not a time" err ||
		{ echo "now: $now"; return 1; }
	done &&
	run pm-group --margin 366d "$TMP/in.ndjson" && expect_status 2 &&
	test ! -s out &&
	test_grep -F "pm-group: --margin: not a duration of at most 365 days" err &&
	run pm-experiment --margin 366d && expect_status 2 &&
	test_grep -F "pm-experiment: --margin: not a duration of at most 365 days" err &&
	run pm-group --margin 365d --now 2026-06-01T12:00+02:00 "$TMP/in.ndjson" &&
	expect_status 0 &&
	test "$(jq -r "select(.kind == \"skip\") | .market_id" out | tr -d "\n")" = abcdg
'
test_done
