#!/bin/bash
# pm-experiment: a jq variant that loops or eats memory fails that variant
# for each group, within its timeout, with a clear reason; the good groups
# and the other variants are stored; pm-experiment itself survives.
. "$(dirname "$0")/lib.sh"

for k in 1 2 3; do
	jq -cn --arg k "$k" '{kind:"group", event_key:("e" + $k), event:null,
		markets:[{kind:"market", source:"polymarket", market_id:("m" + $k), question:"Q",
		contracts:[{outcome:"Yes",token_id:"1",price:0.25},{outcome:"No",token_id:"2",price:0.75}]}]}'
done >"$TMP/groups.ndjson"

cat >"$TMP/c.json" <<'JSON'
{"suites": [{"id": "b",
  "research": [
    {"variant": "good", "type": "jq", "program": "{output: {key: .event_key, env: ($ENV | keys)}}"},
    {"variant": "loop", "type": "jq", "program": "def f: f; f", "timeout": 2},
    {"variant": "boom", "type": "jq", "program": "def f: [f]; f", "max_memory_mb": 64, "timeout": 30},
    {"variant": "cmd", "type": "command", "argv": ["sh", "-c", "cat >/dev/null; echo '{\"output\": 1}'"]}
  ],
  "forecast": [{"variant": "mkt", "type": "builtin", "builtin": "market"}]}]}
JSON

test_expect_success 'a looping and an exploding jq variant among good groups' '
	start=$(date +%s) &&
	run timeout 100 pm-experiment -c ../c.json -j 2 ../groups.ndjson &&
	expect_status 1 &&
	test $(($(date +%s) - start)) -lt 90 &&
	jq -r "select(.kind==\"group\") | .event_key as \$k | .results[] | \"\(\$k) \(.variant) \(.status) \(.error)\"" out >got &&
	for k in 1 2 3; do
		printf "%s\n" "e$k good ok null" "e$k loop failed jq: timed out after 2 s" \
			"e$k boom failed jq: over 64 MB of memory (max_memory_mb)" \
			"e$k cmd ok null" "e$k mkt ok null"
	done >want1 &&
	sed "s/over 64 MB of memory (max_memory_mb)/out of memory (max_memory_mb)/" want1 >want2 &&
	{ test_cmp want1 got || test_cmp want2 got; } &&
	test "$(jq -r "select(.kind==\"failure\") | .reason" out | sort | uniq -c | tr -s " ")" = " 6 experiment_failed" &&
	jq -c "select(.kind==\"group\") | .results[0].output.env" out | sort -u >got &&
	echo "[\"HOME\",\"LANG\",\"PATH\"]" >want && test_cmp want got &&
	cp out stream && run pm-store --db x.db stream && expect_status 0 &&
	test "$(sqlite3 x.db "SELECT count(*) FROM processed_events")" = 3 &&
	test "$(sqlite3 x.db "SELECT count(*) FROM experiment_results WHERE status = '"'ok'"'")" = 9
'

test_expect_success 'max_memory_mb: a whole number from 16' '
	run pm-experiment -c ../c.json -o boom.max_memory_mb=1 -l && expect_status 2 &&
	grep -q "b:research:boom: max_memory_mb: a whole number from 16" err
'

# Past the line cap the group line could not be written: the whole group,
# its other results and markets, was a bad_record failure.
test_expect_success 'a jq output past PM_MAX_LINE fails its variant, the group is written' '
	jq ".suites[0].research += [{variant: \"big\", type: \"jq\",
		program: \"{output: ([range(30000)] | tostring)}\"}]" ../c.json >big.json &&
	PM_MAX_LINE=100000 run pm-experiment -c big.json --include-research good,big \
		--include-forecast mkt ../groups.ndjson &&
	expect_status 1 &&
	jq -r "select(.kind==\"group\") | .event_key as \$k | .results[] | \"\(\$k) \(.variant) \(.status) \(.error)\"" out >got &&
	for k in 1 2 3; do
		printf "%s\n" "e$k good ok null" "e$k big failed jq: output over 100000 bytes" "e$k mkt ok null"
	done >want && test_cmp want got &&
	test "$(jq -r "select(.kind==\"failure\") | .reason" out | sort | uniq -c | tr -s " ")" = " 3 experiment_failed"
'

test_done
