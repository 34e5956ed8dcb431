#!/bin/bash
# pm-experiment: an LLM answer that failed for a while (a 408, a 5xx as
# a 503 "overloaded", a connection reset or dropped mid-answer) is
# retried as a 429 is; another 4xx is not.
. "$(dirname "$0")/lib.sh"

. "$TESTS_DIR/fake-llm.sh"
llm_start

rec_group e1 '{"title":"Event 1"}' "$(rec_market m1 -source \
	question="Will 1 happen?" contracts:="$(rec_yes_no 1 0.25 2 0.75)")" >"$TMP/group.ndjson"

cat >"$TMP/llm.json" <<JSON
{"suites": [{"id": "llm",
  "defaults": {"base_url": "http://127.0.0.1:$port/v1/", "api_key_env": "PM_TEST_KEY", "timeout": 10},
  "forecast": [{"variant": "f", "type": "openai", "model": "valid"},
    {"variant": "down", "type": "openai", "model": "500"}]}]}
JSON
export PM_TEST_KEY=sekrit-test-key

# Only a 429 was retried: a provider's routine 503 "overloaded" failed
# the variant for the day.
test_expect_success 'a 408, a 5xx, a reset or a dropped answer is retried once, after 1 s' '
	for m in flaky=408 flaky=500 flaky=502 flaky=503 flaky=504 reset drop; do
		: >../llm.log &&
		run pm-experiment -c ../llm.json -o f.model=$m --include-forecast f ../group.ndjson &&
		expect_status 0 && test "$(wc -l <../llm.log)" -eq 2 &&
		jq -se "(.[1].t - .[0].t) >= 0.9" ../llm.log >/dev/null &&
		jq -r "select(.kind==\"group\") | .results[0] | \"\(.status) \(.probabilities | tostring)\"" out >got &&
		echo "ok {\"m1\":{\"Yes\":0.6,\"No\":0.4}}" >want && test_cmp want got || return 1
	done
'

test_expect_success 'another 4xx is not retried' '
	for m in 400 401 404 422; do
		: >../llm.log &&
		run pm-experiment -c ../llm.json -o f.model=flaky=$m --include-forecast f ../group.ndjson &&
		expect_status 1 && test "$(wc -l <../llm.log)" -eq 1 &&
		jq -r "select(.kind==\"group\") | .results[0].error" out >got &&
		echo "http $m overloaded_error: flaky" >want && test_cmp want got || return 1
	done
'

test_expect_success 'max_retries bounds the 5xx retries, and the error says how many' '
	: >../llm.log &&
	run pm-experiment -c ../llm.json --include-forecast down -o down.max_retries=1 ../group.ndjson &&
	expect_status 1 && test "$(wc -l <../llm.log)" -eq 2 &&
	jq -r "select(.kind==\"group\") | .results[0].error" out >got &&
	echo "http 500: upstream down (after 1 retry)" >want && test_cmp want got &&
	: >../llm.log &&
	run pm-experiment -c ../llm.json --include-forecast down -o down.max_retries=0 ../group.ndjson &&
	expect_status 1 && test "$(wc -l <../llm.log)" -eq 1 &&
	jq -r "select(.kind==\"group\") | .results[0].error" out >got &&
	echo "http 500: upstream down" >want && test_cmp want got
'

test_done
