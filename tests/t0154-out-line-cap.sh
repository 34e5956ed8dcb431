#!/bin/bash
# No producer writes a line longer than PM_MAX_LINE, which no reader would
# take: the record is refused with a failure record in its place (reason
# bad_record, exit 1), the other records go through, and the next tool
# reads every line.  pm-fetch, pm-normalize, pm-group, pm-experiment and
# pm-store --export.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

fake_start syn --markets 5 --only-synthetic --event-size 2

# $1 the cap, $2 the stage, $3 how many (1): out has no line over the cap,
# that many refusals of that stage, and the next tool reads every line
refused() {
	expect_status 1 &&
	test "$(wc -L <out)" -le "$1" &&
	jq -se "map(select(.kind == \"failure\")) | length == ${3:-1} and
	    all(.[]; .stage == \"$2\" and .reason == \"bad_record\" and
	    .retriable == false and (.detail | test(\"^record of [0-9]+ bytes not written: longer than the line cap PM_MAX_LINE \\\\($1\\\\)$\")))" out >/dev/null &&
	test_count failure out "${3:-1}" &&
	test_grep "record of [0-9]* bytes not written" err &&
	PM_MAX_LINE=$1 pm-group out >/dev/null 2>err2 && not grep -q longer err2
}

# a market of 200 outcomes: its record is twice its payload
wide() {
	jq -nc --arg id "$1" '[range(200)] as $r | {id: $id, question: "q",
	    conditionId: "c", slug: "s", endDate: "2026-12-31T00:00:00Z",
	    outcomes: ($r | map("o\(.)") | tojson),
	    outcomePrices: ($r | map("0.5") | tojson),
	    clobTokenIds: ($r | map("\(.)") | tojson)}'
}
m() { rec_market "$1" event_id="$2" contracts:="$(rec_yes_no "a$1" 0.5 "b$1" 0.5)"; }

test_expect_success 'pm-fetch: a raw record over the cap is refused, the others written' '
	run pm-fetch markets --limit 5 && expect_status 0 &&
	cap=$(($(wc -L <out) - 1)) && n=$(awk -v c="$cap" "length > c" out | wc -l) &&
	test_num "$n" -lt 5 &&
	PM_MAX_LINE=$cap run pm-fetch markets --limit 5 &&
	refused "$cap" fetch "$n" && test_count raw out $((5 - n))
'

test_expect_success 'pm-fetch: the failure of a raw record over the cap names its market or event and request' '
	pm-fetch markets --limit 5 --partitions 1 >all.ndjson &&
	cap=$(($(wc -L <all.ndjson) - 1)) &&
	jq -r "select(.kind==\"raw\" and (tojson|length) > $cap) |
	    \"\(.payload.id) \(.url)\"" all.ndjson | sort >want &&
	test_line_count want -ge 1 &&
	PM_MAX_LINE=$cap run pm-fetch markets --limit 5 --partitions 1 &&
	refused "$cap" fetch "$(wc -l <want)" &&
	jq -r "select(.kind==\"failure\") | \"\(.market_id) \(.url)\"" out |
	    sort >got && test_cmp want got &&
	id=$(head -1 want | cut -d" " -f1) &&
	test_grep "^pm-fetch: $FAKE_URL/markets/keyset: market $id: record of" err &&
	pm-fetch events --limit 2 --partitions 1 >ev.ndjson &&
	cap=$(($(wc -L <ev.ndjson) - 1)) && n=$(awk -v c="$cap" "length > c" ev.ndjson | wc -l) &&
	PM_MAX_LINE=$cap run pm-fetch events --limit 2 --partitions 1 &&
	refused "$cap" fetch "$n" &&
	jq_all "select(.kind==\"failure\") | (.event_key|test(\"^[0-9]+\$\")) and
	    (has(\"market_id\")|not) and (.url|startswith(\"$FAKE_URL/events/keyset?\"))" out
'

test_expect_success 'pm-fetch prices: the record of a token over the cap names its market and request' '
	echo "{\"kind\":\"market\",\"market_id\":\"7\",\"contracts\":[{\"outcome\":\"Yes\",\"token_id\":\"9123\"}]}" >in.ndjson &&
	PM_MAX_LINE=300 run pm-fetch prices --endpoint book in.ndjson &&
	refused 300 fetch && test_count market out 1 &&
	jq_all "select(.kind==\"failure\") | .market_id==\"7\" and
	    .url==\"$FAKE_URL/book?token_id=9123\"" out &&
	# a batch (of many markets, as a rule) names none, its request only
	PM_MAX_LINE=200 run pm-fetch prices in.ndjson && refused 200 fetch &&
	jq_all "select(.kind==\"failure\") | (has(\"market_id\")|not) and
	    .url==\"$FAKE_URL/prices\"" out
'

test_expect_success 'pm-normalize: a market record longer than its payload' '
	wide 1 >in.ndjson && jq -c ".id = \"2\" | .outcomes = \"[\\\"Yes\\\",\\\"No\\\"]\" |
	    .outcomePrices = \"[\\\"0.5\\\",\\\"0.5\\\"]\" | .clobTokenIds = \"[\\\"1\\\",\\\"2\\\"]\"" in.ndjson >>in.ndjson &&
	test "$(wc -L <in.ndjson)" -lt 6000 &&
	PM_MAX_LINE=6000 run pm-normalize -R in.ndjson &&
	refused 6000 normalize && test_count market out 1 &&
	jq -se "map(select(.kind == \"failure\"))[0].market_id == \"1\"" out >/dev/null
'

test_expect_success 'pm-normalize: the failure of an event record names the event and its input line' '
	# 200 tags of an id alone: each three times as long in the record
	{ wide 1 && jq -nc "{id: \"e7\", title: \"t\", tags: [range(200) | {id: \"\(.)\"}],
	      markets: [{id: \"3\", question: \"q\"}]}"; } >in.ndjson &&
	test "$(wc -L <in.ndjson)" -lt 6000 &&
	# the market has them in its event
	PM_MAX_LINE=6000 run pm-normalize -R in.ndjson && refused 6000 normalize 3 &&
	jq -se "map(select(.kind == \"failure\")) | .[0].market_id == \"1\" and
	    .[0].input == \"in.ndjson:1\" and .[1].event_key == \"e7\" and
	    .[1].input == \"in.ndjson:2\" and (.[1] | has(\"market_id\") | not) and
	    .[2].market_id == \"3\" and .[2].input == \"in.ndjson:2\"" out >/dev/null &&
	test_grep "^pm-normalize: in.ndjson:1: market 1: record of [0-9]* bytes not written" err &&
	test_grep "^pm-normalize: in.ndjson:2: event e7: record of [0-9]* bytes not written" err
'
test_expect_success 'pm-group: a group of many small markets' '
	for i in $(seq 1 30); do m "$i" e1; done >in.ndjson && m 99 e2 >>in.ndjson &&
	PM_MAX_LINE=2000 run pm-group in.ndjson &&
	refused 2000 group && test_count group out 1 &&
	jq -se "map(select(.kind == \"failure\"))[0] | .event_key == \"e1\" and (has(\"market_id\") | not)" out >/dev/null
'

test_expect_success 'pm-experiment: a group with its results' '
	for i in 1 2 3 4 5 6; do m "$i" e1; done >in.ndjson && m 99 e2 >>in.ndjson &&
	pm-group in.ndjson >g.ndjson && test "$(wc -L <g.ndjson)" -lt 2500 &&
	PM_MAX_LINE=2500 run pm-experiment g.ndjson &&
	refused 2500 experiment && test_count group out 1
'

test_expect_success 'pm-store --export: a stored group longer than the cap' '
	for i in 1 2 3 4 5 6; do m "$i" e1; done >in.ndjson && m 99 e2 >>in.ndjson &&
	pm-group in.ndjson | pm-experiment | pm-store --db sqlite:x.db >/dev/null 2>&1 &&
	PM_MAX_LINE=2500 run pm-store --export group --db sqlite:x.db &&
	refused 2500 store && test_count group out 1
'

test_expect_success 'pm-store --export --format csv, tsv: rows are no records, the cap is not theirs' '
	{ rec_run_start cap-run static &&
	  rec_market 1 active:=true closed:=false question="$(printf "%0300d" 0)" \
	      contracts:="$(rec_yes_no a1 0.5 b1 0.5)" &&
	  jq -cn "{kind:\"event\", source:\"polymarket\", event_id:\"e1\",
	      title:\"$(printf "%0300d" 0)\", market_ids:[\"1\"]}"; } >in.ndjson &&
	pm-store --db sqlite:c.db in.ndjson >/dev/null 2>&1 &&
	for k in "market --format csv" "market --format tsv" \
	    "event --format csv" "event --format tsv"; do
		pm-store --db sqlite:c.db --export $k >want &&
		PM_MAX_LINE=64 run pm-store --db sqlite:c.db --export $k &&
		expect_status 0 && test_cmp want out && test_line_count err -eq 0 &&
		test "$(wc -L <out)" -gt 64 || { say "--export $k"; return 1; }
	done &&
	PM_MAX_LINE=300 run pm-store --db sqlite:c.db --export market &&
	refused 300 store
'

# $1 the length: a market record of exactly that many bytes
market_of() {
	pad=$(rec_market 1 question= contracts:="$(rec_yes_no a1 0.5 b1 0.5)" | wc -L) &&
	rec_market 1 question="$(printf "%0$(($1 - pad))d" 0)" \
	    contracts:="$(rec_yes_no a1 0.5 b1 0.5)"
}

test_expect_success 'pm-store: a record it stores is written out, one too long for its annotation is not stored' '
	for e in 0 20 21; do
		market_of $((600 - e)) >in$e.ndjson &&
		test "$(wc -L <in$e.ndjson)" = $((600 - e)) || return 1
	done &&
	PM_MAX_LINE=600 run pm-store --db sqlite:a.db in21.ndjson &&
	expect_status 0 && test_count market out 1 && test_count failure out 0 &&
	test "$(wc -L <out)" -le 600 && test_grep "1 inserted.*0 failed" err &&
	PM_MAX_LINE=600 run pm-store --db sqlite:a.db in21.ndjson &&
	expect_status 0 && jq -e ".stored == \"unchanged\"" out >/dev/null &&
	for e in 0 20; do
		PM_MAX_LINE=600 run pm-store --db sqlite:b$e.db in$e.ndjson &&
		expect_status 1 && test_count market out 0 && test_count failure out 1 &&
		jq -e ".reason == \"bad_record\" and .input == \"in$e.ndjson:1\" and .detail ==
		    \"line longer than 579 bytes (PM_MAX_LINE less 21 bytes for the \\\"stored\\\" annotation)\"" out >/dev/null &&
		test_grep "in$e.ndjson:1: line longer than 579 bytes" err &&
		test_grep "0 inserted.*1 failed" err &&
		test "$(sqlite3 b$e.db "select count(*) from markets")" = 0 &&
		test "$(sqlite3 b$e.db "select count(*) from processing_failures")" = 1 ||
		{ say "$e bytes under the cap"; return 1; }
	done
'

# A cap too small for the failure record of a bad line: its refusal named
# the input line of the record written before it, not the bad line.
test_expect_success 'the refusal of a failure record over the cap names its own input line' '
	printf "%s\n" "{\"kind\":\"note\",\"a\":1}" "not json" "{\"kind\":\"note\",\"a\":2}" >in.ndjson &&
	PM_MAX_LINE=100 run pm-normalize in.ndjson && expect_status 1 &&
	test_count note out 2 && test_count failure out 1 &&
	jq -se "map(select(.kind == \"failure\"))[0] | .input == \"in.ndjson:2\" and
	    (.detail | startswith(\"record of \"))" out >/dev/null &&
	test_grep "^pm-normalize: in.ndjson:2: record of [0-9]* bytes not written" err &&
	not grep -q "in.ndjson:1" err
'

test_done
