#!/bin/bash
# pm-experiment: an LLM answer the provider did not end as an answer (cut
# at the token limit, refused, blocked) fails saying what the provider said
# of it; a 2xx whose body is an error object fails with its message.
. "$(dirname "$0")/lib.sh"

. "$TESTS_DIR/fake-llm.sh"
llm_start

jq -cn '{kind:"group", event_key:"e1", event:{title:"Event 1"},
	markets:[{kind:"market", market_id:"m1", question:"Will it happen?",
	contracts:[{outcome:"Yes",token_id:"1",price:0.25},{outcome:"No",token_id:"2",price:0.75}]}]}' \
	>"$TMP/group.ndjson"

cat >"$TMP/llm.json" <<JSON
{"suites": [{"id": "llm",
  "defaults": {"base_url": "http://127.0.0.1:$port/v1", "api_key_env": "PM_TEST_KEY", "timeout": 10},
  "research": [{"variant": "brief", "type": "openai", "model": "research"}],
  "forecast": [{"variant": "guess", "type": "openai", "model": "valid"}]}]}
JSON

export PM_TEST_KEY=sekrit-test-key

# name, options, the error
cases() {
	cat <<-'EOF'
	chat-refused	--stage research -o llm:brief.model=refused	answer without choices[0].message.content (refusal: I can't help with that.)
	chat-cut	--stage forecast -o llm:guess.model=cut-short	answer holds no JSON object (finish_reason length)
	responses-cut	--stage research -o llm.api=responses -o llm:brief.model=cut-short	answer without output_text (incomplete_details.reason max_output_tokens)
	responses-refused	--stage research -o llm.api=responses -o llm:brief.model=refused	answer without output_text (refusal: I can't help with that.)
	gemini-cut	--stage forecast -o llm.type=gemini -o llm:guess.model=gemini-cut-short	answer holds no JSON object (finishReason MAX_TOKENS)
	gemini-blocked	--stage research -o llm.type=gemini -o llm:brief.model=gemini-blocked	answer without candidates[0].content.parts text (promptFeedback.blockReason SAFETY)
	chat-error	--stage research -o llm:brief.model=error-in-200	http 200: Provider returned error
	responses-error	--stage research -o llm.api=responses -o llm:brief.model=error-in-200	http 200: The model failed to generate a response.
	EOF
}

# Each failed with the reader's words only ("answer without output_text"),
# the provider's reason (or its error message) lost.
test_expect_success 'each API: the failure and its record say why the answer stopped' '
	cases | while IFS="	" read -r name opts want; do
		# shellcheck disable=SC2086 # opts are words
		run pm-experiment -c ../llm.json $opts ../group.ndjson && expect_status 1 &&
		jq -r "select(.kind==\"group\") | .results[] | \"$name \(.status) \(.error)\"" out >>got &&
		jq -r "select(.reason==\"experiment_failed\") | \"$name \(.retriable) \(.detail)\"" out >>got.f &&
		test_grep -v sekrit err || return 1
		echo "$name failed $want" >>want
		v=brief && case $want in *JSON*) v=guess ;; esac
		echo "$name true llm:$(case $v in brief) echo research ;; *) echo forecast ;; esac):$v: $want" >>want.f
	done &&
	test_cmp want got && test_cmp want.f got.f
'

test_expect_success 'an answer that ended as one says nothing more' '
	for opts in "" "-o llm.api=responses" "-o llm.type=gemini"; do
		# shellcheck disable=SC2086 # opts are words
		run pm-experiment -c ../llm.json $opts ../group.ndjson && expect_status 0 &&
		jq -r "select(.kind==\"group\") | .results[] | \"\(.variant) \(.status) \(.error)\"" out >>got || return 1
		printf "%s\n" "brief ok null" "guess ok null" >>want
	done &&
	test_cmp want got
'

test_done
