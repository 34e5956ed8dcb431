#!/bin/bash
# pm-group: event keys, order, event joins, --where, --limit, pass-through.
. "$(dirname "$0")/lib.sh"

# mk ID EVENT_ID EVENT_SLUG [EMBEDDED_TITLE]: one market record; an empty
# id or slug is null, and the embedded event is there with a title only
mk() {
	local e=null s=null ev=null
	[ -z "$2" ] || e="\"$2\""
	[ -z "$3" ] || s="\"$3\""
	[ -z "${4:-}" ] || ev="{\"event_id\":\"$2\",\"slug\":\"$3\",\"title\":\"$4\",\"tags\":[]}"
	rec_market "$1" event_id:="$e" event_slug:="$s" event:="$ev" \
		contracts:="$(rec_yes_no 1 0.25 2 0.75)"
}

real_input() {
	for f in "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json "$FIXTURES"/gamma-events-bobaoxu2001-1.json; do
		jq -c ".[]" "$f"
	done | pm-normalize -R
}

test_expect_success 'real markets: one group per event id, every market once, sorted' '
	real_input >in.ndjson &&
	run pm-group in.ndjson && expect_status 0 &&
	jq -r "select(.kind==\"market\") | .event_id" in.ndjson | sort -u >want &&
	jq -r .event_key out >got && test_cmp want got &&
	jq -r "select(.kind==\"market\") | .market_id" in.ndjson | sort >want &&
	jq -r ".markets[].market_id" out | sort >got && test_cmp want got &&
	jq -se "all(.[]; .kind == \"group\" and ([.markets[].market_id] | . == sort)
		and (.event_key as \$k | all(.markets[]; .event_id == \$k)))" out >/dev/null
'

test_expect_success 'same output whatever the input order, byte for byte' '
	real_input >in.ndjson &&
	run pm-group in.ndjson && cp out first &&
	tac in.ndjson >rev.ndjson &&
	run pm-group rev.ndjson && expect_status 0 && test_cmp first out
'

test_expect_success 'markets are copied byte for byte into their group' '
	real_input >in.ndjson &&
	run pm-group in.ndjson &&
	grep "\"kind\":\"market\"" in.ndjson >want &&
	test_count market in.ndjson "$(jq -s "map(.markets | length) | add" out)" &&
	while read -r line; do test_grep -F -e "$line" out || return 1; done <want
'

test_expect_success 'joined event records carry their tags; others keep the embedded event' '
	real_input >in.ndjson &&
	run pm-group in.ndjson &&
	jq -se "map(select(.event_key == \"16183\"))[0].event | .kind == \"event\" and (.tags | length > 0)" out >/dev/null &&
	jq -se "map(select(.event_key == \"12585\"))[0].event | .title == \"Champions League Winner\" and has(\"kind\") == false" out >/dev/null
'

test_expect_success 'markets without an event: market:<sorted ids>, grouped on slug' '
	{ mk 30 "" ""; mk 200 "" s1; mk 1000 "" s1; mk 7 "" ""; } >in.ndjson &&
	run pm-group in.ndjson && expect_status 0 &&
	jq -r ".event_key + \" \" + ([.markets[].market_id] | join(\" \")) + \" \" + (.event | tostring)" out >got &&
	printf "%s\n" "market:1000,200 1000 200 null" "market:30 30 null" "market:7 7 null" >want &&
	test_cmp want got
'

test_expect_success 'event records join on id, and on slug when the markets have no id' '
	{ mk 1 e1 ""; mk 2 "" slug2; mk 3 e3 "" Embedded;
	  echo "{\"kind\":\"event\",\"event_id\":\"e1\",\"slug\":\"one\",\"title\":\"By id\",\"tags\":[{\"id\":\"5\",\"slug\":\"t\",\"label\":\"T\"}]}";
	  echo "{\"kind\":\"event\",\"event_id\":\"e2\",\"slug\":\"slug2\",\"title\":\"By slug\",\"tags\":[]}"; } >in.ndjson &&
	run pm-group --stats in.ndjson && expect_status 0 &&
	jq -r "[.event_key, .event.title] | join(\" \")" out >got &&
	printf "%s\n" "e1 By id" "e3 Embedded" "market:2 By slug" >want && test_cmp want got &&
	test_grep "2 joined to an event record" err
'

test_expect_success 'markets with an event id never join another event of their slug' '
	{ mk 1 e1 s1 Embedded;
	  echo "{\"kind\":\"event\",\"event_id\":\"e9\",\"slug\":\"s1\",\"title\":\"Other\",\"tags\":[]}"; } >in.ndjson &&
	run pm-group --stats in.ndjson && expect_status 0 &&
	jq -r "[.event_key, .event.event_id, .event.title] | join(\" \")" out >got &&
	echo "e1 e1 Embedded" >want && test_cmp want got &&
	test_grep "0 joined to an event record" err
'

test_expect_success 'a market seen twice counts once, the later record wins' '
	{ mk 1 e1 "" Old; mk 1 e1 "" New; } >in.ndjson &&
	run pm-group in.ndjson && expect_status 0 &&
	jq -r "[.event.title, (.markets | length)] | join(\" \")" out >got &&
	echo "New 1" >want && test_cmp want got
'

test_expect_success 'of a market or event seen twice, the one fetched last wins, in any input order' '
	old=2026-12-04T07:00:00Z new=2026-12-05T07:00:00Z &&
	ev() { echo "{\"kind\":\"event\",\"event_id\":\"e1\",\"slug\":\"$1\",\"title\":\"$2\",\"fetched_at\":\"$3\",\"tags\":[]}"; } &&
	rec_market 1 event_id=e1 question=New fetched_at=$new >new.nd &&
	rec_market 1 event_id=e1 question=Old fetched_at=$old >old.nd &&
	rec_market 1 event_id=e1 question=None >none.nd &&
	rec_market 2 event_slug=s2 question=Two >two.nd &&
	ev s2 "New event" $new >>new.nd && ev s2 "Old event" $old >>old.nd &&
	for order in "new.nd old.nd" "old.nd new.nd" "none.nd new.nd old.nd" \
	    "new.nd none.nd old.nd" "old.nd new.nd none.nd"; do
		cat $order two.nd >in.ndjson &&
		run pm-group in.ndjson && expect_status 0 &&
		jq -r "[.event.title, .markets[].question] | join(\" \")" out >got &&
		printf "%s\n" "New event New" "New event Two" >want &&
		test_cmp want got || { echo "order: $order"; exit 1; }
	done &&
	{ cat none.nd; rec_market 1 event_id=e1 question=Later; } >in.ndjson &&
	run pm-group in.ndjson && jq -r ".markets[].question" out >got &&
	echo Later >want && test_cmp want got &&
	{ cat new.nd; rec_market 1 event_id=e1 question=Same fetched_at=$new; } >in.ndjson &&
	run pm-group in.ndjson && jq -r ".markets[].question" out | head -1 >got &&
	echo Same >want && test_cmp want got
'

test_expect_success 'no event record: the event embedded in the market fetched last, in any input order' '
	emb() { echo "{\"event_id\":\"e1\",\"slug\":\"s1\",\"title\":\"$1\",\"tags\":[]}"; } &&
	rec_market 1 event_id=e1 event:="$(emb Old)" fetched_at=2026-12-04T07:00:00Z >a.nd &&
	rec_market 2 event_id=e1 event:="$(emb New)" fetched_at=2026-12-05T07:00:00Z >b.nd &&
	rec_market 3 event_id=e1 event:="$(emb None)" >c.nd &&
	for order in "a.nd b.nd c.nd" "c.nd b.nd a.nd" "b.nd a.nd c.nd"; do
		cat $order >in.ndjson &&
		run pm-group in.ndjson && expect_status 0 &&
		test_eq New "$(jq -r .event.title out)" || { say "order: $order"; return 1; }
	done &&
	rec_market 4 event_id=e1 event:="$(emb Four)" fetched_at=2026-12-05T07:00:00Z >d.nd &&
	for order in "a.nd b.nd d.nd" "d.nd b.nd a.nd"; do
		cat $order >in.ndjson &&
		run pm-group in.ndjson && expect_status 0 &&
		test_eq New "$(jq -r .event.title out)" || { say "order: $order"; return 1; }
	done
'

# The embedded event went through a parsed tree and out again: a number
# no double holds was rounded or made null, unlike the same bytes in the
# group's markets (and an event record joined, kept as it came).
test_expect_success 'the embedded event is copied byte for byte, as the markets are' '
	ev="{\"event_id\":\"e1\",\"title\":\"a\\u00e9\\/\",\"n\":123456789012345678901234567890,\"h\":1e400,\"x\":0.10}" &&
	printf "%s\n" "{\"kind\":\"market\",\"market_id\":\"1\",\"event_id\":\"e1\",\"event\" : $ev }" >in.ndjson &&
	run pm-group in.ndjson && expect_status 0 &&
	test_grep -F "\"event\":$ev,\"markets\":" out
'

test_expect_success '--where filters groups into skip records; --limit caps groups' '
	real_input >in.ndjson &&
	run pm-group --where "(.markets | length) > 3" in.ndjson && expect_status 0 &&
	jq -se "all(.[] | select(.kind == \"group\"); .markets | length > 3)" out >/dev/null &&
	test_count group out -gt 0 &&
	jq -se "map(select(.kind == \"skip\")) | length > 0 and all(.stage == \"group\" and .why == \"filtered\")" out >/dev/null &&
	run pm-group in.ndjson && all=$(count_kind group out) && test_num "$all" -gt 2 &&
	run pm-group -n 2 in.ndjson && expect_status 0 &&
	test_count group out 2 &&
	test_count skip out $((all - 2)) &&
	jq -se "map(select(.kind == \"skip\")) | all(.why == \"limit\")" out >/dev/null
'

test_expect_success 'other kinds pass through unchanged, before the groups' '
	{ echo "{\"kind\":\"run\",\"phase\":\"start\",\"run_id\":\"r1\"}"; mk 1 e1 "";
	  echo "{\"kind\":\"failure\",\"stage\":\"fetch\",  \"reason\":\"fetch_failed\"}"; } >in.ndjson &&
	run pm-group in.ndjson && expect_status 0 &&
	{ sed -n 1p in.ndjson; sed -n 3p in.ndjson; } >want &&
	head -2 out >got && test_cmp want got &&
	jq -r .kind out | tr "\n" " " >got &&
	printf "run failure group " >want && test_cmp want got
'

test_expect_success 'a market without market_id is a failure; the rest go on' '
	{ mk 1 e1 ""; echo "{\"kind\":\"market\",\"event_id\":\"e1\"}"; echo "not json"; } >in.ndjson &&
	run pm-group in.ndjson && expect_status 1 &&
	test_count group out 1 && test_count failure out 2 &&
	test_grep "in.ndjson:2: market_id missing" err
'

# In a pipe, the position names a line gone with the run: the failure of
# a market left out of its group names the market.
test_expect_success 'a market whose event_id is not a string: a failure naming the market' '
	{ mk 1 e1 ""; echo "{\"kind\":\"market\",\"market_id\":\"2\",\"event_id\":7}"; } >in.ndjson &&
	run pm-group <in.ndjson && expect_status 1 &&
	test_count group out 1 &&
	jq -r "select(.kind==\"failure\") | [.market_id, .input, .detail] | @tsv" out >got &&
	printf "2\tstdin:2\tevent_id or event_slug is not a string\n" >want &&
	test_cmp want got &&
	test_grep -x "pm-group: stdin:2: market 2: event_id or event_slug is not a string" err
'

test_expect_success 'usage errors exit 2' '
	run pm-group --limit 0 && expect_status 2 && test_grep "not a number" err &&
	run pm-group --where "(" && expect_status 2 &&
	run pm-group --bogus && expect_status 2 &&
	run pm-group --help && expect_status 0 && test_grep "^usage: pm-group" out
'
test_expect_success 'empty input: no groups, no error (qsort of nothing)' '
	: >empty &&
	run pm-group empty && expect_status 0 && test ! -s out &&
	echo "{\"kind\":\"run\",\"phase\":\"start\"}" >runonly &&
	run pm-group runonly && expect_status 0 && test_cmp runonly out
'
test_expect_success 'a group over PM_MAX_LINE is not written: no market, no group of --limit' '
	{ for i in $(seq 10 39); do mk "a$i" e1 "" || return 1; done
	  mk b1 e2 "" && mk b2 e2 "" && mk c1 e3 ""; } >in.ndjson &&
	PM_MAX_LINE=2000 run pm-group --limit-markets 3 --stats in.ndjson &&
	expect_status 1 &&
	jq -c "[.kind, .event_key, .why // .reason]" out >got &&
	printf "%s\n" "[\"failure\",\"e1\",\"bad_record\"]" \
	    "[\"group\",\"e2\",null]" "[\"group\",\"e3\",null]" >want &&
	test_cmp want got && test_grep "3 groups, 2 written" err &&
	PM_MAX_LINE=2000 run pm-group --limit 1 in.ndjson && expect_status 1 &&
	jq -c "[.kind, .event_key, .why // .reason]" out >got &&
	printf "%s\n" "[\"failure\",\"e1\",\"bad_record\"]" \
	    "[\"group\",\"e2\",null]" "[\"skip\",\"e3\",\"limit\"]" >want &&
	test_cmp want got
'
test_done
