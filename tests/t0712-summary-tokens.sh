#!/bin/bash
# pm-summary sums the tokens each LLM variant used (output.usage, in
# OpenAI's or Gemini's words) per variant, in the JSON and the text.
. "$(dirname "$0")/lib.sh"

groups() {
	cat <<'EOF2'
{"kind":"group","event_key":"e1","markets":[],"results":[{"suite":"g","stage":"research","variant":"gem","status":"ok","latency_ms":5,"output":{"usage":{"promptTokenCount":100,"totalTokenCount":120}}},{"suite":"o","stage":"research","variant":"oai","status":"ok","output":{"usage":{"input_tokens":50,"total_tokens":70}}},{"suite":"b","stage":"forecast","variant":"m","status":"ok"}]}
{"kind":"group","event_key":"e2","markets":[],"results":[{"suite":"g","stage":"research","variant":"gem","status":"failed","output":{"usage":{"totalTokenCount":30}}}]}
EOF2
}

test_expect_success 'tokens per variant: summed, null when a variant reported none' '
	groups >in.ndjson &&
	run pm-summary --json s.json in.ndjson && expect_status 0 &&
	jq -c "[.suites[] | [.variant, .tokens]]" s.json >got &&
	echo "[[\"gem\",150],[\"oai\",70],[\"m\",null]]" >want && test_cmp want got &&
	test_grep "^suite:variant (stage) .* tokens\$" err &&
	test_grep "^g:gem (research) .* 150\$" err &&
	test_grep "^b:m (forecast) .* -\$" err
'

test_done
