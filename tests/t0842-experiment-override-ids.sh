#!/bin/bash
# Overrides and includes take the ids --list prints (suite:stage:variant),
# in pm-experiment and in pipelines.sh: an id names one stage's variant
# where suite:variant names both, and it is the most specific name.
. "$(dirname "$0")/lib.sh"

rec_group e1 null "$(rec_market m1 contracts:="$(rec_yes_no 1 0.25 2 0.75)")" \
	>"$TMP/group.ndjson"
# research x and forecast x: one name in two stages
cat >"$TMP/x.json" <<'JSON'
{"suites": [{"id": "s",
  "research": [{"variant": "x", "type": "jq", "program": "{output: \"r\"}"}],
  "forecast": [{"variant": "x", "type": "jq",
    "program": "{probabilities: {m1: 0.5}}"}]}]}
JSON
# experiment_id, type and what it said, per result
TYPES='.results[] | [.experiment_id, .type, (.output // .probabilities.m1.Yes)] | @tsv'

test_expect_success '-o suite:stage:variant sets one stage'"'"'s variant' '
	run pm-experiment -c "$TMP/x.json" \
		-o "s:forecast:x.program={probabilities: {m1: 0.8}}" "$TMP/group.ndjson" &&
	expect_status 0 &&
	jq -r "$TYPES" out >got &&
	printf "s:research:x\tjq\tr\ns:forecast:x\tjq\t0.8\n" >want &&
	test_cmp want got
'

test_expect_success 'an id in an override file wins over suite:variant' '
	echo "{\"s:forecast:x\": {\"builtin\": \"market\"},
	       \"s:x\": {\"type\": \"builtin\", \"builtin\": \"baseline\"}}" >o.json &&
	run pm-experiment -c "$TMP/x.json" --override-file o.json "$TMP/group.ndjson" &&
	expect_status 0 &&
	jq -r ".results[] | [.experiment_id, .type, (.probabilities != null)] | @tsv" \
		out >got &&
	printf "s:research:x\tbuiltin\tfalse\ns:forecast:x\tbuiltin\ttrue\n" >want &&
	test_cmp want got
'

test_expect_success 'an id that names nothing is an error naming it' '
	run pm-experiment -c "$TMP/x.json" -o s:forecast:y.k=1 --list &&
	expect_status 2 &&
	test_grep -x "pm-experiment: --override: no suite or variant named s:forecast:y" err &&
	echo "{\"s:research:y\": {}}" >o.json &&
	run pm-experiment -c "$TMP/x.json" --override-file o.json --list &&
	expect_status 2 &&
	test_grep "no suite or variant named s:research:y" err
'

test_expect_success '--include-forecast takes an id, of its own stage only' '
	run pm-experiment -c "$TMP/x.json" --stage forecast \
		--include-forecast s:forecast:x --list &&
	expect_status 0 && test_grep -x "s	forecast	x	jq	-" out &&
	run pm-experiment -c "$TMP/x.json" --include-forecast s:research:x --list &&
	expect_status 2 &&
	test_grep "no forecast variant s:research:x" err
'

test_expect_success 'a suite and its variants of one name; depends_on an id' '
	cat >y.json <<-\JSON &&
	{"suites": [{"id": "llm",
	  "research": [{"variant": "llm", "type": "jq", "program": "{output: 1}"}],
	  "forecast": [{"variant": "llm", "type": "jq", "program": "{}", "depends_on": "llm"},
	    {"variant": "b", "type": "jq", "program": "{}", "depends_on": "llm:research:llm"}]}]}
	JSON
	run pm-experiment -c y.json --include-forecast llm --list && expect_status 0 &&
	printf "llm\tresearch\tllm\tjq\t-\nllm\tforecast\tllm\tjq\tllm:research:llm\n" >want &&
	test_cmp want out &&
	run pm-experiment -c y.json --include-forecast llm:forecast:b --list &&
	expect_status 0 && test_grep -x "llm	forecast	b	jq	llm:research:llm" out &&
	test_line_count out 2
'

test_expect_success 'pipelines.sh: --experiment-override and -file with ids' '
	run "$TOP/pipelines.sh" daily --env-file /dev/null --list-experiments \
		--experiment-override builtin:forecast:market.type=jq \
		--experiment-override "builtin:forecast:market.program={probabilities: {}}" &&
	expect_status 0 &&
	printf "builtin\tresearch\tbaseline\tbuiltin\t-\nbuiltin\tforecast\tmarket\tjq\t-\n" >want &&
	test_cmp want out &&
	echo "{\"builtin:research:baseline\": {\"type\": \"command\", \"argv\": [\"true\"]}}" >o.json &&
	run "$TOP/pipelines.sh" daily --env-file /dev/null --list-experiments \
		--experiment-override-file o.json &&
	expect_status 0 &&
	test_grep -x "builtin	research	baseline	command	-" out
'

test_done
