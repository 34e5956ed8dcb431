#!/bin/bash
# The search-grounded suites of examples/experiments.json and the
# pm-experiment(1) EXAMPLES that run them, against the fake providers (the
# only change to each example: base_url points at the fake server).
. "$(dirname "$0")/lib.sh"

. "$TESTS_DIR/fake-llm.sh"
llm_start

jq -cn '{kind:"group", event_key:"e1", event:{title:"Event 1"},
	markets:[{kind:"market", market_id:"m1", question:"Will it happen?",
	contracts:[{outcome:"Yes",token_id:"1",price:0.25},{outcome:"No",token_id:"2",price:0.75}]}]}' \
	>"$TMP/groups.ndjson"

# Each literal display of the man page that names a -search suite, one
# line per command.
awk '/^\.Bd -literal/ { b = 1; c = ""; next }
	/^\.Ed/ { b = 0; print c; next }
	b { sub(/\\e$/, ""); c = c $0 " " }' "$TOP/man/pm-experiment.1" |
	grep -e '-search' >"$TMP/examples"

export OPENAI_API_KEY=sk-test-examples GEMINI_API_KEY=gm-test-examples
fake="-o openai-search.base_url=http://127.0.0.1:$port/v1 -o gemini-search.base_url=http://127.0.0.1:$port/v1beta"

test_expect_success 'the man page has one example for each search suite' '
	test "$(grep -c -e "-s openai-search" ../examples)" -eq 1 &&
	test "$(grep -c -e "-s gemini-search" ../examples)" -eq 1
'

test_expect_success 'the openai-search example: grounded research, a forecast that read its sources' '
	cp ../groups.ndjson . && : >../llm.log &&
	cmd=$(grep -e "-s openai-search" ../examples | sed "s|examples/|$TOP/examples/|; s|^pm-experiment |pm-experiment $fake |") &&
	eval "$cmd" && test -s results.ndjson &&
	jq -r ".results[] | \"\(.experiment_id) \(.status) \(.output.sources | length)\"" results.ndjson >got &&
	printf "%s\n" "openai-search:research:web ok 4" "openai-search:forecast:with-web ok 0" >want &&
	test_cmp want got &&
	jq -rs "map(.request.input)[1]" ../llm.log | grep -q "^- Latest news - Iceland Monitor <https://icelandmonitor.mbl.is/"
'

test_expect_success 'the gemini-search example: grounded research, a forecast that read its sources' '
	cp ../groups.ndjson . && : >../llm.log &&
	cmd=$(grep -e "-s gemini-search" ../examples | sed "s|examples/|$TOP/examples/|; s|^pm-experiment |pm-experiment $fake |") &&
	eval "$cmd" >out &&
	jq -r ".results[] | \"\(.experiment_id) \(.status) \(.output.sources | length)\"" out >got &&
	printf "%s\n" "gemini-search:research:web ok 3" "gemini-search:forecast:with-web ok 0" >want &&
	test_cmp want got &&
	jq -r .path ../llm.log >got &&
	printf "%s\n" /v1beta/models/gemini-2.5-pro:generateContent \
		/v1beta/models/gemini-2.5-flash:generateContent >want && test_cmp want got &&
	jq -rs "map(.request.contents[0].parts[0].text)[1]" ../llm.log | grep -q "^- weather.gov <https://"
'
test_done
