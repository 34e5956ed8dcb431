#!/bin/bash
# Duplicate JSON keys: every tool reads the last, as jq does.
. "$(dirname "$0")/lib.sh"

# raw_dup: a raw record with two payloads; its sha256 names the last.
raw_dup() {
	local a='{"id":"1","question":"first"}' b='{"id":"2","question":"last"}'
	printf '{"kind":"raw","source":"gamma","endpoint":"markets","url":null,"fetched_at":null,"payload":%s,"sha256":"%s","payload":%s}\n' \
	    "$a" "$(printf '%s' "$b" | sha256sum | cut -d" " -f1)" "$b"
}

test_expect_success 'pm-group: a market with event_id twice joins the last, as jq' '
	cat >in.ndjson <<-\EOF &&
	{"kind":"market","market_id":"1","event_id":"A","question":"q1","event_id":"B"}
	{"kind":"market","market_id":"2","event_id":"B","question":"q2"}
	EOF
	jq -r .event_id in.ndjson | sort -u >want && echo B | test_cmp - want &&
	run pm-group in.ndjson && expect_status 0 &&
	jq -c "[.event_key, (.markets | map(.market_id))]" out >got &&
	echo "[\"B\",[\"1\",\"2\"]]" | test_cmp - got
'

test_expect_success 'pm-group: kind twice, the last says market' '
	echo "{\"kind\":\"note\",\"market_id\":\"1\",\"event_id\":\"E\",\"kind\":\"market\"}" >in.ndjson &&
	test "$(jq -r .kind in.ndjson)" = market &&
	run pm-group in.ndjson && expect_status 0 &&
	test "$(jq -r .event_key out)" = E
'

test_expect_success 'pm-normalize: a raw record with payload twice normalizes the last' '
	raw_dup >in.ndjson &&
	test "$(jq -r .payload.id in.ndjson)" = 2 &&
	run pm-normalize -R in.ndjson && expect_status 0 &&
	jq -c "[.market_id, .question]" out >got &&
	echo "[\"2\",\"last\"]" | test_cmp - got
'

test_expect_success 'pm-store: a raw record with payload twice stores the last, its sha256 checked' '
	raw_dup >in.ndjson &&
	run pm-store -d "$PWD/s.db" in.ndjson && expect_status 0 &&
	run pm-store -e raw -d "$PWD/s.db" && expect_status 0 &&
	jq -c .payload out >got &&
	echo "{\"id\":\"2\",\"question\":\"last\"}" | test_cmp - got
'

test_done
