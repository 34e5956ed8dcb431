#!/bin/bash
# pm-experiment: openai variants against a fake endpoint on 127.0.0.1.
. "$(dirname "$0")/lib.sh"

. "$TESTS_DIR/fake-llm.sh"
llm_start

for k in 1 2; do
	rec_group "e$k" "{\"title\":\"Event $k\"}" "$(rec_market "m$k" -source \
		question="Will $k happen?" contracts:="$(rec_yes_no 1 0.25 2 0.75)")"
done >"$TMP/groups.ndjson"

cat >"$TMP/llm.json" <<JSON
{"suites": [{"id": "llm",
  "defaults": {"base_url": "http://127.0.0.1:$port/v1/", "api_key_env": "PM_TEST_KEY", "timeout": 10},
  "research": [{"variant": "brief", "type": "openai", "model": "research"}],
  "forecast": [
    {"variant": "valid", "type": "openai", "model": "valid", "depends_on": "brief",
     "temperature": 0.2, "max_tokens": 300, "system": "You forecast."},
    {"variant": "garbage", "type": "openai", "model": "garbage"},
    {"variant": "down", "type": "openai", "model": "500", "max_retries": 0}
  ]}]}
JSON

export PM_TEST_KEY=sekrit-test-key

test_expect_success 'valid, garbage and 500 answers: one ok, two failures' '
	head -1 ../groups.ndjson >in.ndjson &&
	run pm-experiment -c ../llm.json in.ndjson && expect_status 1 &&
	jq -r "select(.kind==\"group\") | .results[] | \"\(.variant) \(.status) \(.probabilities | tostring)\"" out >got &&
	printf "%s\n" "brief ok null" "valid ok {\"m1\":{\"Yes\":0.6,\"No\":0.4}}" \
		"garbage failed null" "down failed null" >want && test_cmp want got &&
	jq -r "select(.kind==\"group\") | .results[] | select(.status==\"failed\") | .error" out >got &&
	test_grep "^answer is not JSON" got && test_grep -x "http 500: upstream down" got &&
	jq -se "map(select(.kind==\"group\"))[0].results[1].output | .content != null and .usage.total_tokens == 15" out >/dev/null &&
	test_grep -v sekrit out && test_grep -v sekrit err
'

test_expect_success 'an empty answer: failed, and said so' '
	head -1 ../groups.ndjson >in.ndjson &&
	run pm-experiment -c ../llm.json -o llm:brief.model=empty --stage research in.ndjson &&
	expect_status 1 &&
	jq -r "select(.kind==\"group\") | .results[0] | \"\(.status) \(.error)\"" out >got &&
	echo "failed http 200: empty answer" >want && test_cmp want got
'

# A research answer whose text was "" (a reasoning model that spent its
# max_tokens thinking) was ok, and its forecasts ran on no research.  The
# chat one's finish_reason length is said (below).
test_expect_success 'an answer with an empty text: failed, for each API, and its forecast skipped' '
	head -1 ../groups.ndjson >in.ndjson &&
	for api in "" "-o llm:brief.api=responses" "-o llm:brief.type=gemini"; do
		m=blank && case $api in *gemini) m=gemini-blank ;; esac &&
		run pm-experiment -c ../llm.json $api -o llm:brief.model=$m --include-forecast valid in.ndjson &&
		expect_status 1 &&
		jq -r "select(.kind==\"group\") | .results[] | \"\(.variant) \(.status) \(.error)\"" out >>got || return 1
	done &&
	printf "%s\n" "brief failed answer with an empty text (finish_reason length)" \
		"valid skipped research llm:research:brief failed" >want &&
	for k in 2 3; do
		printf "%s\n" "brief failed answer with an empty text" \
			"valid skipped research llm:research:brief failed" || return 1
	done >>want && test_cmp want got
'

test_expect_success 'an answer cut inside a character: U+FFFD, the answer kept' '
	head -1 ../groups.ndjson >in.ndjson &&
	run pm-experiment -c ../llm.json -o llm:brief.model=cut --stage research in.ndjson &&
	expect_status 0 &&
	jq -r "select(.kind==\"group\") | .results[0] | \"\(.status) \(.output.content)\"" out >got &&
	printf "ok Summary: the flag \360\237\217\201 and \357\277\275\n" >want && test_cmp want got
'

test_expect_success 'the request: path, key header, model parameters, prompt from the group and research' '
	: >../llm.log &&
	head -1 ../groups.ndjson >in.ndjson &&
	run pm-experiment -c ../llm.json --include-forecast valid in.ndjson && expect_status 0 &&
	jq -r .path ../llm.log | sort -u >got && echo /v1/chat/completions >want && test_cmp want got &&
	jq -r .auth ../llm.log | sort -u >got && echo "Bearer sekrit-test-key" >want && test_cmp want got &&
	jq -se ".[1].request | .model == \"valid\" and .temperature == 0.2 and .max_tokens == 300
		and .messages[0] == {role: \"system\", content: \"You forecast.\"}" ../llm.log >/dev/null &&
	jq -r ".[1].request.messages[1].content" -s ../llm.log >prompt &&
	test_grep "^Event: Event 1$" prompt && test_grep "market_id m1: Will 1 happen?" prompt &&
	test_grep "Summary: nothing decisive" prompt
'

# OpenAI's reasoning models refuse chat's max_tokens ("use
# max_completion_tokens instead"): every request a 400, no key to send
# the cap under the name they take.
test_expect_success 'max_completion_tokens: the cap under that name; with max_tokens, or not chat: exit 2' '
	: >../llm.log &&
	head -1 ../groups.ndjson >in.ndjson &&
	cat >cap.json <<-JSON &&
	{"suites": [{"id": "c", "defaults": {"base_url": "http://127.0.0.1:$port/v1/",
	  "api_key_env": "PM_TEST_KEY"},
	  "forecast": [{"variant": "v", "type": "openai", "model": "valid",
	    "max_completion_tokens": 250}]}]}
	JSON
	run pm-experiment -c cap.json in.ndjson && expect_status 0 &&
	jq -se ".[0].request | .max_completion_tokens == 250 and
	    (has(\"max_tokens\") | not)" ../llm.log >/dev/null &&
	run pm-experiment -c cap.json -o c:v.max_tokens=5 in.ndjson &&
	expect_status 2 &&
	test_grep "c:forecast:v: max_tokens and max_completion_tokens" err &&
	run pm-experiment -c cap.json -o c:v.api=responses in.ndjson &&
	expect_status 2 &&
	test_grep "c:forecast:v: max_completion_tokens is the chat API" err
'

test_expect_success '--dump-dir keeps requests and answers per event, never the key' '
	run pm-experiment -c ../llm.json --dump-dir dump ../groups.ndjson &&
	test -s dump/e1/llm.forecast.valid.request.json &&
	test -s dump/e2/llm.forecast.valid.response.json &&
	test -s dump/e1/llm.research.brief.response.json &&
	jq -e ".model == \"valid\"" dump/e2/llm.forecast.valid.request.json >/dev/null &&
	test_grep "upstream down" dump/e1/llm.forecast.down.response.json &&
	test_grep -vr sekrit dump
'

test_expect_success 'no key in the environment: failed without a request' '
	: >../llm.log &&
	head -1 ../groups.ndjson >in.ndjson &&
	PM_TEST_KEY= run pm-experiment -c ../llm.json in.ndjson && expect_status 1 &&
	jq -r "select(.kind==\"group\") | .results[0].error" out >got &&
	echo "PM_TEST_KEY is not set" >want && test_cmp want got &&
	test ! -s ../llm.log
'

test_expect_success '--list touches no network' '
	: >../llm.log &&
	run pm-experiment -c ../llm.json --list && expect_status 0 &&
	test_line_count out 4 && test ! -s ../llm.log
'

# Before, a placeholder that did not compile passed --check and failed
# every group of the run, one by one, as a jq program does not.
test_expect_success 'a bad prompt template is a configuration error, before the first group' '
	head -1 ../groups.ndjson >in.ndjson && : >../llm.log &&
	for o in "" --check --list; do
		run pm-experiment -c ../llm.json $o --include-forecast garbage \
			-o "garbage.prompt=x {{ .event_key }} {{ .markets | nosuchfn }}" in.ndjson &&
		expect_status 2 && test ! -s out && test_line_count err 1 &&
		test_grep "^pm-experiment: ../llm.json: llm:forecast:garbage: prompt: {{ .markets | nosuchfn }}: .* (with the overrides)\$" err ||
		return 1
	done &&
	test ! -s ../llm.log
'

# Before, a placeholder with several outputs put the first in the prompt
# and dropped the rest without a word.
test_expect_success 'a placeholder with more than one output fails the variant, as one erring after its output' '
	head -1 ../groups.ndjson >in.ndjson &&
	for p in "(.markets[0].question, .event_key)" "(.event_key, error(\"late trouble\"))"; do
		run pm-experiment -c ../llm.json --include-forecast garbage \
			-o "garbage.prompt=x {{ $p }}" in.ndjson && expect_status 1 &&
		jq -r "select(.kind==\"group\") | .results[1].error" out >>errs || return 1
	done &&
	printf "%s\n" "prompt: {{ (.markets[0].question, .event_key) }}: more than one output (a result is one value: gather several into one, [ ... ])" \
		"prompt: {{ (.event_key, error(\"late trouble\")) }}: late trouble" >want &&
	test_cmp want errs
'

# Before, a placeholder ran in pm-experiment under a lock of all jobs,
# without a timeout: one that looped hung the whole run.
test_expect_success 'a placeholder that loops fails its variant at the timeout, the others go on' '
	cat ../groups.ndjson >in.ndjson && : >../llm.log &&
	run timeout 120 pm-experiment -c ../llm.json -j 2 --include-forecast valid,garbage \
		-o "garbage.prompt=x {{ .event_key }} {{ def f: f; f }}" -o garbage.timeout=2 in.ndjson &&
	expect_status 1 &&
	jq -r "select(.kind==\"group\") | .results[] | \"\(.variant) \(.status) \(.error)\"" out >got &&
	for k in 1 2; do
		printf "%s\n" "brief ok null" "valid ok null" \
			"garbage failed prompt: timed out after 2 s"
	done >want && test_cmp want got &&
	test "$(jq -r "select(.request.model == \"garbage\")" ../llm.log)" = ""
'

test_expect_success 'a placeholder gathering several values into one, as pm-experiment(1) shows' '
	head -1 ../groups.ndjson >in.ndjson && : >../llm.log &&
	cat >opt <<-\EOT &&
	garbage.prompt=Questions:
	{{ [.markets[].question] | join("\n") }}
	EOT
	run pm-experiment -c ../llm.json --include-forecast garbage -o "$(cat opt)" in.ndjson &&
	jq -r "select(.request.model == \"garbage\") | .request.messages[-1].content" ../llm.log >got &&
	printf "%s\n" "Questions:" "Will 1 happen?" >want && test_cmp want got
'
# An LLM answer the provider did not end as an answer (cut at the token
# limit, refused, blocked) failed with the reader's words only ("answer
# without output_text"), and a 2xx whose body is an error object the same:
# the failure now ends with what the provider said, or is its message.
# A research answer with text but cut at max_tokens was ok, and its
# forecasts read the research cut: it now fails, "answer incomplete".
cat >"$TMP/stop.json" <<JSON
{"suites": [{"id": "llm",
  "defaults": {"base_url": "http://127.0.0.1:$port/v1", "api_key_env": "PM_TEST_KEY", "timeout": 10},
  "research": [{"variant": "brief", "type": "openai", "model": "research"}],
  "forecast": [{"variant": "guess", "type": "openai", "model": "valid"}]}]}
JSON

# name, options, the error
cases() {
	cat <<-'EOF'
	chat-refused	--stage research -o llm:brief.model=refused	answer without choices[0].message.content (refusal: I can't help with that.)
	chat-cut	--stage forecast -o llm:guess.model=cut-short	answer holds no JSON object (finish_reason length)
	responses-cut	--stage research -o llm.api=responses -o llm:brief.model=cut-short	answer without output_text (incomplete_details.reason max_output_tokens)
	responses-refused	--stage research -o llm.api=responses -o llm:brief.model=refused	answer without output_text (refusal: I can't help with that.)
	gemini-cut	--stage forecast -o llm.type=gemini -o llm:guess.model=gemini-cut-short	answer holds no JSON object (finishReason MAX_TOKENS)
	chat-cut-research	--stage research -o llm:brief.model=cut-short	answer incomplete (finish_reason length)
	gemini-cut-research	--stage research -o llm.type=gemini -o llm:brief.model=gemini-cut-short	answer incomplete (finishReason MAX_TOKENS)
	gemini-blocked	--stage research -o llm.type=gemini -o llm:brief.model=gemini-blocked	answer without candidates[0].content.parts text (promptFeedback.blockReason SAFETY)
	chat-error	--stage research -o llm:brief.model=error-in-200	http 200: Provider returned error
	responses-error	--stage research -o llm.api=responses -o llm:brief.model=error-in-200	http 200 server_error: The model failed to generate a response.
	EOF
}

# Each failed with the reader's words only ("answer without output_text"),
# the provider's reason (or its error message) lost.
test_expect_success 'each API: the failure and its record say why the answer stopped' '
	head -1 ../groups.ndjson >in.ndjson &&
	cases | while IFS="	" read -r name opts want; do
		# shellcheck disable=SC2086 # opts are words
		run pm-experiment -c ../stop.json $opts in.ndjson && expect_status 1 &&
		jq -r "select(.kind==\"group\") | .results[] | \"$name \(.status) \(.error)\"" out >>got &&
		jq -r "select(.reason==\"experiment_failed\") | \"$name \(.retriable) \(.detail)\"" out >>got.f &&
		test_grep -v sekrit err || return 1
		echo "$name failed $want" >>want
		v=brief && case $want in *JSON*) v=guess ;; esac
		echo "$name true llm:$(case $v in brief) echo research ;; *) echo forecast ;; esac):$v: $want" >>want.f
	done &&
	test_cmp want got && test_cmp want.f got.f
'

# A 200 whose body is {"error": "text"} (a string, not an object) failed
# as "answer without choices[0].message.content", its text lost: the
# text is the failure, cut at 500 bytes as an error object's message.
test_expect_success 'a 200 whose error is a string: its text is the failure' '
	head -1 ../groups.ndjson >in.ndjson &&
	run pm-experiment -c ../stop.json --stage research -o llm:brief.model=error-text-in-200 in.ndjson &&
	expect_status 1 &&
	jq -r "select(.kind==\"group\") | .results[0].error" out >got &&
	printf "http 200: Upstream timed out %s\n" "$(printf "%0481d" 0 | tr 0 x)" >want &&
	test_cmp want got
'

# An OpenAI-compatible answer whose content is a list of parts (Mistral's
# reasoning models: thinking, then text) failed "answer without
# choices[0].message.content": the text parts are the answer, the
# thinking is not.
test_expect_success 'a chat answer whose content is a list of parts: its text parts' '
	head -1 ../groups.ndjson >in.ndjson &&
	run pm-experiment -c ../stop.json -o llm:guess.model=parts in.ndjson &&
	expect_status 0 &&
	jq -e "select(.kind==\"group\") | .results[] | select(.variant==\"guess\") |
	    .status == \"ok\" and (.probabilities | length > 0) and
	    (.probabilities | has(\"x\") | not)" out >/dev/null
'
test_expect_success 'an answer that ended as one says nothing more' '
	head -1 ../groups.ndjson >in.ndjson &&
	for opts in "" "-o llm.api=responses" "-o llm.type=gemini"; do
		# shellcheck disable=SC2086 # opts are words
		run pm-experiment -c ../stop.json $opts in.ndjson && expect_status 0 &&
		jq -r "select(.kind==\"group\") | .results[] | \"\(.variant) \(.status) \(.error)\"" out >>got || return 1
		printf "%s\n" "brief ok null" "guess ok null" >>want
	done &&
	run pm-experiment -c ../stop.json -o llm:brief.model=eos in.ndjson && expect_status 0 &&
	jq -r "select(.kind==\"group\") | .results[] | \"\(.variant) \(.status) \(.error)\"" out >>got &&
	printf "%s\n" "brief ok null" "guess ok null" >>want &&
	test_cmp want got
'

# A forecast answer with prose after its object holding a "}" (a model's
# "the odds {as of today} may move") failed, "answer's JSON: invalid
# JSON": the first "{" to the last "}" is no JSON.  The first complete
# object is read then, a "}" inside its strings not ending it.
test_expect_success 'a forecast answer with a "}" in the prose after its JSON' '
	head -1 ../groups.ndjson >in.ndjson &&
	run pm-experiment -c ../llm.json --include-forecast valid \
		-o llm:valid.model=trailing in.ndjson && expect_status 0 &&
	jq -r "select(.kind==\"group\") | .results[] | \"\(.variant) \(.status) \(.probabilities | tostring) \(.error)\"" out >got &&
	printf "%s\n" "brief ok null null" \
		"valid ok {\"m1\":{\"Yes\":0.6,\"No\":0.4}} null" >want &&
	test_cmp want got
'

test_done
