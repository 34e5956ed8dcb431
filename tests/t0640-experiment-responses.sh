#!/bin/bash
# pm-experiment: openai variants on the Responses API, with and without
# web search, against the recorded answers the fake server serves.
. "$(dirname "$0")/lib.sh"

. "$TESTS_DIR/fake-llm.sh"
llm_start

jq -cn '{kind:"group", event_key:"e1", event:{title:"Event 1"},
	markets:[{kind:"market", market_id:"m1", question:"Will it happen?",
	contracts:[{outcome:"Yes",token_id:"1",price:0.25},{outcome:"No",token_id:"2",price:0.75}]}]}' \
	>"$TMP/group.ndjson"

cat >"$TMP/oa.json" <<JSON
{"suites": [{"id": "oa",
  "defaults": {"type": "openai", "api": "responses", "model": "gpt-4o",
    "base_url": "http://127.0.0.1:$port/v1", "api_key_env": "PM_TEST_KEY", "timeout": 20},
  "research": [
    {"variant": "web", "web_search": true, "search_context_size": "low",
     "allowed_domains": ["en.wikipedia.org"], "user_location": {"type": "approximate", "country": "IS"},
     "system": "Search first."},
    {"variant": "plain", "temperature": 0.1, "max_tokens": 200}],
  "forecast": [
    {"variant": "grounded", "depends_on": "web", "json_mode": true},
    {"variant": "schema", "json_schema": {"type": "object", "properties": {"probabilities": {"type": "object"}}}}]}]}
JSON

export PM_TEST_KEY=sk-test-responses-key

test_expect_success 'with and without web search: both ok, a forecast on top' '
	run pm-experiment -c ../oa.json ../group.ndjson && expect_status 0 &&
	jq -r ".results[] | \"\(.variant) \(.type) \(.status) \(.probabilities | tostring)\"" out >got &&
	printf "%s\n" "web openai ok null" "plain openai ok null" \
		"grounded openai ok {\"m1\":{\"Yes\":0.6,\"No\":0.4}}" \
		"schema openai ok {\"m1\":{\"Yes\":0.6,\"No\":0.4}}" >want &&
	test_cmp want got
'

test_expect_success 'the requests: path, Bearer key, the tool with its options, include, JSON schema' '
	: >../llm.log &&
	run pm-experiment -c ../oa.json ../group.ndjson && expect_status 0 &&
	jq -r .path ../llm.log | sort -u >got && echo /v1/responses >want && test_cmp want got &&
	jq -r .auth ../llm.log | sort -u >got && echo "Bearer sk-test-responses-key" >want && test_cmp want got &&
	jq -se "map(.request) | .[0] | .model == \"gpt-4o\" and .instructions == \"Search first.\"
		and (.input | test(\"Will it happen\"))
		and .tools == [{type: \"web_search\", search_context_size: \"low\",
			filters: {allowed_domains: [\"en.wikipedia.org\"]},
			user_location: {type: \"approximate\", country: \"IS\"}}]
		and .include == [\"web_search_call.action.sources\"]" ../llm.log >/dev/null &&
	jq -se "map(.request) | .[1] | .tools == null and .include == null
		and .temperature == 0.1 and .max_output_tokens == 200" ../llm.log >/dev/null &&
	jq -se "map(.request) | map(select(.text)) | map(.text.format) ==
		[{type: \"json_schema\", name: \"answer\", strict: false, schema: {type: \"object\"}},
		 {type: \"json_schema\", name: \"answer\", strict: true,
		  schema: {type: \"object\", properties: {probabilities: {type: \"object\"}}}}]" ../llm.log >/dev/null
'

test_expect_success 'research keeps the answer, queries, sources, model, usage, search calls' '
	run pm-experiment -c ../oa.json --stage research ../group.ndjson && expect_status 0 &&
	jq -c ".results[0].output | [.model, .queries, (.sources | length), (.sources | map(.cited | length)),
		.usage.total_tokens, .web_search_calls, (.content | length)]" out >got &&
	echo "[\"gpt-4o-2024-08-06\",[\"latest news in Iceland October 2023\"],4,[1,1,1,2],875,1,2339]" >want &&
	test_cmp want got &&
	jq -c ".results[0].output.sources[0] | [.url, .title, .cited[0].start, .cited[0].end, .cited[0].unit]" out >got &&
	echo "[\"https://en.wikipedia.org/wiki/2023%E2%80%932025_Sundhn%C3%BAkur_eruptions?utm_source=openai\",\"2023–2025 Sundhnúkur eruptions\",538,651,\"codepoint\"]" >want &&
	test_cmp want got &&
	jq -c ".results[1].output | [.content, .queries, .sources, .web_search_calls]" out >got &&
	echo "[\"The capital of France is Paris.\",[],[],0]" >want && test_cmp want got
'

test_expect_success 'code-point offsets: each citation re-slices the content to its text' '
	run pm-experiment -c ../oa.json --stage research ../group.ndjson && expect_status 0 &&
	jq -r ".results[0].output | .content as \$c | .sources[].cited[] |
		(\$c[.start:.end] == .text) and (.text | startswith(\"([\"))" out | sort -u >got &&
	echo true >want && test_cmp want got &&
	jq -r ".results[0].output | .content as \$c | .sources[].cited[] |
		.start as \$s | (\$c | explode | .[0:\$s] | implode | utf8bytelength) != \$s" out | sort -u >got &&
	echo true >want && test_cmp want got
'

test_expect_success 'a forecast depending on grounded research sees its text and sources' '
	: >../llm.log &&
	run pm-experiment -c ../oa.json --include-forecast grounded ../group.ndjson && expect_status 0 &&
	jq -rs "map(select(.request.text))[0].request.input" ../llm.log >prompt &&
	grep -q "^Research:$" prompt && grep -q "Reykjanes Peninsula" prompt &&
	grep -q "^Sources:$" prompt &&
	grep -qF -- "- 2024 Icelandic presidential election <https://en.wikipedia.org/wiki/2024_Icelandic_presidential_election?utm_source=openai>" prompt
'

test_expect_success 'a 429 is retried after retry-after; one past max_retry_wait is not' '
	: >../llm.log &&
	run pm-experiment -c ../oa.json --stage research --include-research web -o web.model=busy ../group.ndjson &&
	expect_status 0 && test "$(wc -l <../llm.log)" -eq 2 &&
	jq -se "(.[1].t - .[0].t) >= 0.9" ../llm.log >/dev/null &&
	: >../llm.log &&
	run pm-experiment -c ../oa.json --stage research --include-research web -o web.model=busy-long ../group.ndjson &&
	expect_status 1 && test "$(wc -l <../llm.log)" -eq 1 &&
	jq -r "select(.kind==\"group\") | .results[0].error" out >got &&
	echo "http 429 requests: Rate limit reached for requests (retry after 120 s: over max_retry_wait)" >want &&
	test_cmp want got &&
	# a wait past any clock is the longest, not none
	: >../llm.log &&
	run pm-experiment -c ../oa.json --stage research --include-research web -o web.model=busy-forever ../group.ndjson &&
	expect_status 1 && test "$(wc -l <../llm.log)" -eq 1 &&
	jq -r "select(.kind==\"group\") | .results[0].error" out >got &&
	echo "http 429 requests: Rate limit reached for requests (retry after 3.16e+09 s: over max_retry_wait)" >want &&
	test_cmp want got
'

# retries stopped by a wait over max_retry_wait say so after some were
# made too (the count alone said only "after 1 retries")
test_expect_success 'the error says why the retries stopped, and after how many' '
	while read -r tries wait calls why; do
		: >../llm.log &&
		run pm-experiment -c ../oa.json --stage research --include-research web \
			-o web.model=busy=nan -o web.max_retries=$tries -o web.max_retry_wait=$wait \
			../group.ndjson </dev/null &&
		expect_status 1 && test "$(wc -l <../llm.log)" -eq $calls &&
		jq -r "select(.kind==\"group\") | .results[0].error" out >got &&
		echo "http 429 requests: Rate limit reached for requests ($why)" >want &&
		test_cmp want got || return 1
	done <<-EOF
	3 1.5 2 after 1 retry, retry after 2 s: over max_retry_wait
	2 5 3 after 2 retries
	EOF
'

# A retry-after that is an HTTP date (RFC 9110) was not read: its 429 was
# retried after 1, 2 ... s, however long the wait it asked for.
test_expect_success 'a retry-after date past max_retry_wait is not retried' '
	: >../llm.log &&
	run pm-experiment -c ../oa.json --stage research --include-research web \
		-o "web.model=busy=Fri, 31 Dec 2100 23:59:59 GMT" ../group.ndjson &&
	expect_status 1 && test "$(wc -l <../llm.log)" -eq 1 &&
	jq -r "select(.kind==\"group\") | .results[0].error" out >got &&
	test_grep -x "http 429 requests: Rate limit reached for requests (retry after [0-9.e+]* s: over max_retry_wait)" got
'

# what a provider might send instead of a wait: a wait of some length or
# none, each retried or not within max_retry_wait, and the variant fails
test_expect_success 'retry-after and retry-after-ms that are no number: failed, and said so' '
	for ra in -5 nan inf 1e999 0x10 99999999999999999999999999 "" "1, 2" \
	    "Fri, 31 Dec 9999 23:59:59 GMT" "$(printf "%0200d" 7)"; do
		for h in busy busy-ms; do
			run timeout 60 pm-experiment -c ../oa.json --stage research --include-research web \
				-o "web.model=$h=$ra" -o web.max_retries=1 -o web.max_retry_wait=1 \
				../group.ndjson && expect_status 1 &&
			test_grep -v "runtime error" err &&
			jq -r "select(.kind==\"group\") | .results[0].error" out |
				test_grep "^http 429 requests: Rate limit reached for requests" ||
			{ echo "$h: $ra" >&2; return 1; }
		done
	done
'

test_expect_success 'max_retries bounds the retries' '
	: >../llm.log &&
	run pm-experiment -c ../oa.json --stage research --include-research web -o web.model=busy-long \
		-o web.max_retry_wait=200 -o web.max_retries=0 ../group.ndjson &&
	expect_status 1 && test "$(wc -l <../llm.log)" -eq 1 &&
	jq -r "select(.kind==\"group\") | .results[0].error" out >got &&
	echo "http 429 requests: Rate limit reached for requests" >want && test_cmp want got
'

test_expect_success 'the provider error body is the failure, with its message' '
	run pm-experiment -c ../oa.json --stage research --include-research plain -o plain.model=error ../group.ndjson &&
	expect_status 1 &&
	jq -r "select(.kind==\"group\") | .results[0].error" out >got &&
	echo "http 400 invalid_request_error: Web search options not supported with this model." >want &&
	test_cmp want got &&
	jq -r "select(.reason==\"experiment_failed\") | .detail" out >got &&
	echo "oa:research:plain: http 400 invalid_request_error: Web search options not supported with this model." >want &&
	test_cmp want got
'

test_expect_success 'chat completions keep a search model'"'"'s url_citation annotations' '
	run pm-experiment -c ../oa.json --stage research --include-research plain \
		-o plain.api=chat -o plain.model=searchpreview ../group.ndjson && expect_status 0 &&
	jq -r ".results[0].output | .content as \$c | .sources[] | .cited[] | [.unit, \$c[.start:.end] == .text] | @tsv" out | sort -u >got &&
	printf "codepoint\ttrue\n" >want && test_cmp want got &&
	jq -e ".results[0].output | (.sources | length) > 0 and .queries == null" out >/dev/null
'

test_expect_success 'search settings that do not fit are refused before any input (exit 2)' '
	run pm-experiment -c ../oa.json -o plain.search_context_size=huge --list && expect_status 2 &&
	grep -q "oa:research:plain: search_context_size: low, medium or high" err &&
	run pm-experiment -c ../oa.json -o plain.allowed_domains="[\"a.org\"]" --list && expect_status 2 &&
	grep -q "oa:research:plain: search options without web_search" err &&
	run pm-experiment -c ../oa.json -o web.api=chat --list && expect_status 2 &&
	grep -q "allowed_domains needs \"api\": \"responses\"" err &&
	run pm-experiment -c ../oa.json -o web.api=batch --list && expect_status 2 &&
	grep -q "oa:research:web: api: chat or responses" err
'
test_done
