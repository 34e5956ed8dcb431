#!/bin/bash
# pm-normalize on broken input: a clear error for each, nothing good lost.
. "$(dirname "$0")/lib.sh"

good() { jq -c ".[$1]" "$FIXTURES"/gamma-markets-bobaoxu2001-1.json; }

# bad_between LINE: a good market, LINE, a good market; expects both good
# ones out, one failure at line 2, exit 1.
bad_between() {
	{ good 0; printf '%s\n' "$1"; good 1; } >in.ndjson &&
	run pm-normalize -R -e markets in.ndjson &&
	expect_status 1 &&
	test_count market out 2 &&
	test_count failure out 1 &&
	test_grep "\"input\":\"in.ndjson:2\"" out &&
	test_grep "^pm-normalize: in.ndjson:2: $2" err
}

test_expect_success 'invalid JSON' '
	bad_between "{\"id\": \"1\", \"question\": " "invalid JSON"
'
test_expect_success 'not an object' '
	bad_between "[1,2,3]" "not a JSON object"
'
test_expect_success 'market id missing' '
	bad_between "{\"question\":\"who?\"}" "market_id missing" &&
	test_grep "\"reason\":\"normalization_failed\",\"retriable\":true" out
'
test_expect_success 'wrong types: id an object, active a word, endDate not a date' '
	bad_between "{\"id\":{\"x\":1}}" "market_id is not a string or integer id" &&
	bad_between "{\"id\":\"7\",\"active\":\"maybe\"}" "market 7: active is not a boolean" &&
	bad_between "{\"id\":\"8\",\"endDate\":\"2024-13-01\"}" "market 8: endDate is not a timestamp" &&
	bad_between "{\"id\":\"9\",\"volume\":\"abc\"}" "market 9: volume is not a number"
'
test_expect_success 'a time before 1970 (Go zero time 0001-01-01) is a time, not broken input' '
	{ good 0 | jq -c ".startDate = \"0001-01-01T00:00:00Z\" | .closedTime = \"1969-12-31 23:59:59.5+00\""
	  good 1 | jq -c ".endDate = \"0000-12-31T23:30:00-01:00\" | del(.endDateIso)"; } >in.ndjson &&
	run pm-normalize -R -e markets in.ndjson && expect_status 0 &&
	jq -r "[.start_time, .closed_time, .close_time] | @tsv" out | head -2 >got &&
	printf "%s\t%s\t%s\n" 0001-01-01T00:00:00Z 1969-12-31T23:59:59.5Z 2026-06-01T00:00:00Z \
	    2026-03-20T00:12:44.271047Z "" 0001-01-01T00:30:00Z >want &&
	test_cmp want got &&
	run pm-store --db sqlite:t.db out && expect_status 0
'
test_expect_success 'outcome arrays that disagree or do not parse' '
	bad_between "{\"id\":\"5\",\"outcomes\":\"[\\\"a\\\"]\",\"clobTokenIds\":\"[\\\"1\\\",\\\"2\\\"]\"}" \
		"market 5: outcomes has 1 entries, clobTokenIds 2" &&
	bad_between "{\"id\":\"6\",\"outcomes\":\"[\\\"a\\\", \\\"b\\\"]\",\"outcomePrices\":\"[0.5,\"}" \
		"market 6: outcomePrices is not a JSON array" &&
	bad_between "{\"id\":\"x\",\"outcomes\":\"[]\",\"clobTokenIds\":\"[\\\"1\\\",\\\"2\\\"]\"}" \
		"market x: outcomes has 0 entries, clobTokenIds 2"
'
test_expect_success 'an outcome price outside [0, 1] fails its market, winner or not' '
	bad_between "{\"id\":\"y\",\"outcomes\":\"[\\\"Yes\\\",\\\"No\\\"]\",\"outcomePrices\":\"[1.5,0]\",\"closed\":true}" \
		"market y: outcomePrices\\[0\\]: price 1.5 is outside \\[0, 1\\]" &&
	bad_between "{\"id\":\"z\",\"outcomes\":\"[\\\"Yes\\\",\\\"No\\\"]\",\"outcomePrices\":\"[\\\"0.5\\\",\\\"-0.5\\\"]\"}" \
		"market z: outcomePrices\\[1\\]: price -0.5 is outside \\[0, 1\\]" &&
	echo "{\"id\":\"w\",\"outcomes\":\"[\\\"Yes\\\",\\\"No\\\"]\",\"outcomePrices\":\"[\\\"1\\\",\\\"0\\\"]\",\"closed\":true}" >in.ndjson &&
	run pm-normalize -R -e markets in.ndjson && expect_status 0 &&
	test "$(jq -r .resolved_outcome out)" = Yes
'
test_expect_success 'an event field it cannot read fails the event alone: its markets go on' '
	jq -c ".[0] | .endDate = \"soon\"" "$FIXTURES"/gamma-events-bobaoxu2001-1.json >in.ndjson &&
	n=$(jq -c ".markets | length" in.ndjson) && test_num "$n" -gt 1 &&
	id=$(jq -r .id in.ndjson) &&
	run pm-normalize -R -e events in.ndjson && expect_status 1 &&
	test_count event out 0 && test_count market out "$n" && test_count failure out 1 &&
	jq -se "map(select(.kind == \"failure\"))[0] | .event_key == \"$id\" and
	    .reason == \"normalization_failed\" and .input == \"in.ndjson:1\"" out >/dev/null &&
	jq -se "map(select(.kind == \"market\") | .event_id == \"$id\") | all" out >/dev/null &&
	test_grep "^pm-normalize: in.ndjson:1: event $id: endDate is not a timestamp: \"soon\"" err
'
test_expect_success 'an event without an id (null, none or unreadable) fails once: its markets, with their ids, go on' '
	for del in "del(.id)" ".id = null" ".id = {\"a\":1}" ".id = [1]" \
	    ".id = true" ".id = 1.5" ".id = \"\""; do
		case $del in *null*|del*) why="event_id missing" ;;
		*) why="event_id is not a string or integer id" ;; esac
		jq -c ".[0] | $del" "$FIXTURES"/gamma-events-bobaoxu2001-1.json >in.ndjson &&
		n=$(jq -c ".markets | length" in.ndjson) && test_num "$n" -gt 1 &&
		run pm-normalize -R -e events in.ndjson && expect_status 1 &&
		test_count event out 0 && test_count market out "$n" &&
		test_count failure out 1 &&
		jq -se "map(select(.kind == \"failure\"))[0] | .event_key == null and
		    .market_id == null and .reason == \"normalization_failed\"" out >/dev/null &&
		jq -se "map(select(.kind == \"market\") | .event_id == null and
		    .market_id != null) | all" out >/dev/null &&
		test "$(grep -c "^pm-normalize: in.ndjson:1: $why\$" err)" = 1 ||
		{ say "$del"; return 1; }
	done
'
test_expect_success 'a detail cut inside a character: still UTF-8, the failure stored' '
	# "is not a number" quotes 32 bytes: the cut falls in the 16th é
	bad_between "{\"id\":\"9\",\"volume\":\"a$(printf "%020d" 0 | sed "s/0/é/g")\"}" \
		"market 9: volume is not a number: \"aé*?\"\$" &&
	python3 -c "import sys; open(sys.argv[1], \"rb\").read().decode()" out &&
	jq -r "select(.kind==\"failure\") | .detail" out >got &&
	printf "volume is not a number: \"a%s?\"\n" "$(printf "%015d" 0 | sed "s/0/é/g")" >want &&
	test_cmp want got &&
	cp out normalized.ndjson &&
	run pm-store --db ../cut.db normalized.ndjson && expect_status 0 &&
	test "$(sqlite3 ../cut.db "SELECT market_id, reason FROM processing_failures")" = "9|normalization_failed"
'
test_expect_success 'invalid UTF-8' '
	bad_between "$(printf "{\"id\":\"6\",\"question\":\"\377\376\"}")" "invalid UTF-8"
'
test_expect_success 'a raw NUL byte in a line' '
	{ good 0; printf "{\"id\":\"1\",\"question\":\"a\0b\"}\n"; good 1; } >in.ndjson &&
	run pm-normalize -R -e markets in.ndjson && expect_status 1 &&
	test_count market out 2 && test_grep "in.ndjson:2: invalid JSON" err
'
test_expect_success 'deep nesting and out-of-range numbers' '
	python3 -c "print(\"{\\\"id\\\":\\\"1\\\",\\\"x\\\":\" + \"[\" * 5000 + \"]\" * 5000 + \"}\")" >deep &&
	bad_between "$(cat deep)" "JSON nested too deep" &&
	bad_between "{\"id\":\"1\",\"volume\":1e999}" "market 1: volume is not a number" &&
	bad_between "{\"id\":\"1\",\"volume\":1e}" "invalid JSON: bad or out-of-range number"
'
test_expect_success 'a line over the cap is a failure with its position' '
	{ good 0; python3 -c "print(\"{\\\"id\\\":\\\"1\\\",\\\"q\\\":\\\"\" + \"x\" * 20000 + \"\\\"}\")"; good 1; } >in.ndjson &&
	PM_MAX_LINE=10000 run pm-normalize -R in.ndjson && expect_status 1 &&
	test_count market out 2 &&
	test_grep "in.ndjson:2: line longer than 10000 bytes" err &&
	test_grep "\"reason\":\"bad_record\"" out
'
test_expect_success 'a line over the cap at the end of input, without newline' '
	{ good 0; python3 -c "import sys; sys.stdout.write(\"{\" + \"x\" * 300000)"; } >in.ndjson &&
	PM_MAX_LINE=100000 run pm-normalize -R in.ndjson && expect_status 1 &&
	test_count market out 1 && test_grep "in.ndjson:2: line longer" err
'
test_expect_success 'empty lines are warned about and skipped' '
	{ good 0; echo; echo "   "; good 1; } >in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 0 &&
	test_count market out 2 &&
	test_grep "in.ndjson:2: empty line ignored" err && test_grep "in.ndjson:3: empty line" err
'
test_expect_success 'no trailing newline: the last record still counts' '
	{ good 0; good 1 | tr -d "\n"; } >in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 0 &&
	test_count market out 2
'
test_expect_success 'counts balance on a mixed stream' '
	{ good 0; echo "{oops"; echo "{\"kind\":\"run\",\"phase\":\"start\"}"; good 1;
	  echo "{\"id\":\"1\",\"active\":3}"; good 2; } >in.ndjson &&
	run pm-normalize -e markets --stats in.ndjson && expect_status 1 &&
	test_grep "6 records in (4 raw, 1 passed through, 1 bad); 3 normalized out, 1 failed" err &&
	test_count failure out 2
'
test_expect_success 'an unreadable file: exit 3, the others still read' '
	good 0 >a.ndjson &&
	run pm-normalize -R missing.ndjson a.ndjson && expect_status 3 &&
	test_grep "^pm-normalize: missing.ndjson: No such file" err &&
	test_count market out 1
'
# A CLOB answer of null or [] (a proxy's, fetched before pm-fetch checked
# answers' shapes) is a failure and exit 1, as pm-normalize(1) says.
test_expect_success 'a CLOB payload null or []: a normalization_failed failure, exit 1' '
	for ep in prices book prices-history; do
		for pl in null "[]"; do
			rec_raw clob "$ep" "{\"token_id\":\"1\"}" "$pl" >in.ndjson &&
			run pm-normalize -R in.ndjson && expect_status 1 &&
			test_count failure out 1 &&
			test_grep "normalization_failed" out &&
			test_grep "in.ndjson:1: $ep payload is not an object" err ||
			{ say "$ep $pl"; return 1; }
		done
	done
'
test_done
