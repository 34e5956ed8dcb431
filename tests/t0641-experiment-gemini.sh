#!/bin/bash
# pm-experiment: gemini variants, with and without Google Search, against
# the recorded answers the fake server serves.
. "$(dirname "$0")/lib.sh"

. "$TESTS_DIR/fake-llm.sh"
llm_start

jq -cn '{kind:"group", event_key:"e1", event:{title:"Event 1"},
	markets:[{kind:"market", market_id:"m1", question:"Will it happen?",
	contracts:[{outcome:"Yes",token_id:"1",price:0.25},{outcome:"No",token_id:"2",price:0.75}]}]}' \
	>"$TMP/group.ndjson"

cat >"$TMP/gm.json" <<JSON
{"suites": [{"id": "gm",
  "defaults": {"type": "gemini", "model": "gemini-2.5-pro",
    "base_url": "http://127.0.0.1:$port/v1beta/", "timeout": 20},
  "research": [
    {"variant": "web", "google_search": true, "system": "Search first."},
    {"variant": "plain", "model": "gemini-2.5-flash", "temperature": 0.1, "max_tokens": 200}],
  "forecast": [
    {"variant": "grounded", "depends_on": "web", "json_mode": true,
     "json_schema": {"type": "object"}}]}]}
JSON

export GEMINI_API_KEY=gm-test-gemini-key
unset OPENAI_API_KEY

test_expect_success 'with and without Google Search: both ok, a forecast on top' '
	run pm-experiment -c ../gm.json ../group.ndjson && expect_status 0 &&
	jq -r ".results[] | \"\(.variant) \(.type) \(.status) \(.probabilities | tostring)\"" out >got &&
	printf "%s\n" "web gemini ok null" "plain gemini ok null" \
		"grounded gemini ok {\"m1\":{\"Yes\":0.6,\"No\":0.4}}" >want &&
	test_cmp want got
'

test_expect_success 'the requests: path per model, x-goog-api-key and no Authorization, tools, JSON' '
	: >../llm.log &&
	run pm-experiment -c ../gm.json ../group.ndjson && expect_status 0 &&
	jq -r .path ../llm.log >got &&
	printf "%s\n" /v1beta/models/gemini-2.5-pro:generateContent \
		/v1beta/models/gemini-2.5-flash:generateContent \
		/v1beta/models/gemini-2.5-pro:generateContent >want && test_cmp want got &&
	jq -r "[.goog_key, .auth] | @tsv" ../llm.log | sort -u >got &&
	printf "gm-test-gemini-key\t\n" >want && test_cmp want got &&
	jq -se "map(.request) | .[0] | .tools == [{google_search: {}}]
		and .systemInstruction == {parts: [{text: \"Search first.\"}]}
		and (.contents[0].parts[0].text | test(\"Will it happen\"))
		and .generationConfig == {}" ../llm.log >/dev/null &&
	jq -se "map(.request) | .[1] | .tools == null
		and .generationConfig == {temperature: 0.1, maxOutputTokens: 200}" ../llm.log >/dev/null &&
	jq -se "map(.request) | .[2] | .tools == null and .generationConfig ==
		{responseMimeType: \"application/json\", responseSchema: {type: \"object\"}}" ../llm.log >/dev/null
'

test_expect_success 'research keeps the answer, queries, sources, model version and tool-use tokens' '
	run pm-experiment -c ../gm.json --stage research ../group.ndjson && expect_status 0 &&
	jq -c ".results[0].output | [.model, .queries, (.sources | map(.title)), (.sources | map(.cited | length)),
		.usage.toolUsePromptTokenCount, .usage.totalTokenCount]" out >got &&
	echo "[\"gemini-2.5-pro\",[\"weather in San Francisco today\"],[\"Weather information for San Francisco, CA, US\",\"weather.gov\",\"wunderground.com\"],[3,2,1],119,550]" >want &&
	test_cmp want got &&
	jq -c ".results[1].output | [.model, .content, .queries, .sources]" out >got &&
	echo "[\"gemini-2.5-flash\",\"Hello! How can I help you today?\",[],[]]" >want && test_cmp want got
'

test_expect_success 'byte offsets: each segment re-slices the content (a ° comes before one)' '
	run pm-experiment -c ../gm.json --stage research ../group.ndjson && expect_status 0 &&
	jq -c "select(.kind==\"group\") | .results[0].output" out >research.json &&
	python3 -c "
import json, sys
o = json.load(open(\"research.json\"))
rec = json.load(open(sys.argv[1]))[\"candidates\"][0][\"groundingMetadata\"][\"groundingSupports\"]
given = sorted((s[\"segment\"].get(\"startIndex\", 0), s[\"segment\"][\"endIndex\"], s[\"segment\"][\"text\"]) for s in rec)
c = o[\"content\"].encode()
got = sorted((k[\"start\"], k[\"end\"], k[\"text\"]) for s in o[\"sources\"] for k in s[\"cited\"])
assert all(k[\"unit\"] == \"byte\" for s in o[\"sources\"] for k in s[\"cited\"])
assert got == given, (got, given)
assert all(c[a:b].decode() == t for a, b, t in got)
assert any(o[\"content\"][a:b] != t for a, b, t in got)  # code points would be wrong
" "$FIXTURES/llm/gemini-grounded-pydantic-1.json"
'

test_expect_success 'byte offsets inside a character: that text null, the answer kept, pm-store takes it' '
	jq -c ".markets[].source = \"polymarket\"" ../group.ndjson >group.ndjson &&
	run pm-experiment -c ../gm.json --stage research --include-research web \
		-o web.model=gemini-split group.ndjson && expect_status 0 &&
	cp out split.ndjson &&
	python3 -c "import sys; open(sys.argv[1], \"rb\").read().decode()" split.ndjson &&
	jq -c "select(.kind==\"group\") | .results[0] | [.status,
		(.output.sources[0].cited | map([.start, .end, (.text | type)]))]" split.ndjson >got &&
	echo "[\"ok\",[[55,213,\"null\"],[217,271,\"string\"],[615,701,\"string\"]]]" >want &&
	test_cmp want got &&
	run pm-store --db ../split.db split.ndjson && expect_status 0 &&
	test "$(sqlite3 ../split.db "SELECT status FROM experiment_results")" = ok
'

test_expect_success 'a forecast depending on grounded research sees its text and sources' '
	: >../llm.log &&
	run pm-experiment -c ../gm.json --include-forecast grounded ../group.ndjson && expect_status 0 &&
	jq -rs "map(select(.request.generationConfig.responseMimeType))[0].request.contents[0].parts[0].text" ../llm.log >prompt &&
	grep -q "^Research:$" prompt && grep -q "hovering around 69°F" prompt &&
	grep -q "^Sources:$" prompt && grep -q "^- wunderground.com <https://vertexaisearch" prompt
'

test_expect_success 'a 429 is retried after RetryInfo.retryDelay; one past max_retry_wait is not' '
	: >../llm.log &&
	run pm-experiment -c ../gm.json --stage research --include-research web -o web.model=gemini-busy ../group.ndjson &&
	expect_status 0 && test "$(wc -l <../llm.log)" -eq 2 &&
	jq -se "(.[1].t - .[0].t) >= 0.9" ../llm.log >/dev/null &&
	: >../llm.log &&
	run pm-experiment -c ../gm.json --stage research --include-research web -o web.model=gemini-busy-long ../group.ndjson &&
	expect_status 1 && test "$(wc -l <../llm.log)" -eq 1 &&
	jq -r "select(.kind==\"group\") | .results[0].error" out >got &&
	echo "http 429 RESOURCE_EXHAUSTED: You exceeded your current quota (retry after 120 s: over max_retry_wait)" >want &&
	test_cmp want got &&
	# a wait past any clock is the longest, not none
	: >../llm.log &&
	run pm-experiment -c ../gm.json --stage research --include-research web -o web.model=gemini-busy-forever ../group.ndjson &&
	expect_status 1 && test "$(wc -l <../llm.log)" -eq 1 &&
	jq -r "select(.kind==\"group\") | .results[0].error" out >got &&
	echo "http 429 RESOURCE_EXHAUSTED: You exceeded your current quota (retry after 3.16e+09 s: over max_retry_wait)" >want &&
	test_cmp want got
'

# what a provider might send instead of a duration: a wait of some
# length or none, each retried or not within max_retry_wait, and the
# variant fails (fake-llm's gemini-busy-said: the system text is the delay)
test_expect_success 'a retryDelay that is no duration: failed, and said so' '
	for d in -5s nans infs 1e999s 0x10s 99999999999999999999999999s "" s \
	    "1, 2s" "Fri, 31 Dec 9999 23:59:59 GMT" "$(printf "%0200d" 7)s"; do
		run timeout 60 pm-experiment -c ../gm.json --stage research --include-research web \
			-o web.model=gemini-busy-said -o "web.system=$(jq -n --arg d "$d" "\$d")" \
			-o web.max_retries=1 -o web.max_retry_wait=1 ../group.ndjson &&
		expect_status 1 && test_grep -v "runtime error" err &&
		jq -r "select(.kind==\"group\") | .results[0].error" out |
			test_grep "^http 429 RESOURCE_EXHAUSTED: You exceeded your current quota" ||
		{ echo "retryDelay: $d" >&2; return 1; }
	done
'

test_expect_success 'the provider error body is the failure, with its message' '
	run pm-experiment -c ../gm.json --stage research --include-research plain -o plain.model=gemini-error ../group.ndjson &&
	expect_status 1 &&
	jq -r "select(.kind==\"group\") | .results[0].error" out >got &&
	echo "http 400 INVALID_ARGUMENT: Tool use with a response mime type: '"'"'application/json'"'"' is unsupported" >want &&
	test_cmp want got
'

test_expect_success 'JSON output with google_search is refused at config time, whatever the model (exit 2)' '
	: >../llm.log &&
	run pm-experiment -c ../gm.json -o web.json_mode=true ../group.ndjson && expect_status 2 &&
	grep -q "^pm-experiment: ../gm.json: gm:research:web: google_search with json_mode or json_schema" err &&
	test ! -s out && test ! -s ../llm.log &&
	run pm-experiment -c ../gm.json -o web.model=gemini-3-whatever -o "web.json_schema={\"type\":\"object\"}" --list &&
	expect_status 2 && grep -q "google_search with json_mode" err
'

test_expect_success 'a model that cannot go in the URL path is refused; api is openai'"'"'s' '
	for m in ../x "$(printf "g%0256d" 0)"; do
		run pm-experiment -c ../gm.json -o "web.model=$m" --list && expect_status 2 &&
		grep -q "gm:research:web: model: 1 to 256 letters, digits" err || return 1
	done &&
	run pm-experiment -c ../gm.json -o "web.model=" --list && expect_status 2 &&
	grep -q "gm:research:web: model missing" err &&
	# the longest goes whole, ":generateContent" after it
	m=$(printf "g%0255d" 0) && : >../llm.log &&
	run pm-experiment -c ../gm.json --stage research --include-research web -o "web.model=$m" ../group.ndjson &&
	expect_status 0 && jq -r .path ../llm.log >got &&
	echo "/v1beta/models/$m:generateContent" >want && test_cmp want got &&
	run pm-experiment -c ../gm.json -o web.api=responses --list && expect_status 2 &&
	grep -q "gm:research:web: api: chat or responses, for openai only" err &&
	run pm-experiment -c ../gm.json -o plain.web_search=true --list && expect_status 2 &&
	grep -q "gm:research:plain: search is google_search for gemini" err
'

test_expect_success 'api_key_env defaults to GEMINI_API_KEY' '
	: >../llm.log &&
	GEMINI_API_KEY= run pm-experiment -c ../gm.json --stage research ../group.ndjson && expect_status 1 &&
	jq -r "select(.kind==\"group\") | .results[].error" out | sort -u >got &&
	echo "GEMINI_API_KEY is not set" >want && test_cmp want got && test ! -s ../llm.log
'
test_done
