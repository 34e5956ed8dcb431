#!/bin/bash
# pm-experiment: no API key anywhere (output, messages, dumps, database),
# even when a provider echoes it; requests_per_minute paces a variant.
. "$(dirname "$0")/lib.sh"

. "$TESTS_DIR/fake-llm.sh"
llm_start

for k in 1 2 3; do
	jq -cn --arg k "$k" '{kind:"group", event_key:("e" + $k), event:{title:("Event " + $k)},
		markets:[{kind:"market", market_id:("m" + $k), question:("Will " + $k + " happen?"),
		contracts:[{outcome:"Yes",token_id:"1",price:0.25},{outcome:"No",token_id:"2",price:0.75}]}]}'
done >"$TMP/groups.ndjson"

cat >"$TMP/both.json" <<JSON
{"suites": [
 {"id": "oa", "defaults": {"type": "openai", "api": "responses", "model": "gpt-4o",
    "base_url": "http://127.0.0.1:$port/v1", "timeout": 20},
  "research": [{"variant": "web", "web_search": true},
               {"variant": "echo", "model": "echo-key"},
               {"variant": "chatecho", "api": "chat", "model": "echo-key"}],
  "forecast": [{"variant": "f", "depends_on": "web"}]},
 {"id": "gm", "defaults": {"type": "gemini", "model": "gemini-2.5-pro",
    "base_url": "http://127.0.0.1:$port/v1beta", "timeout": 20},
  "research": [{"variant": "web", "google_search": true},
               {"variant": "echo", "model": "gemini-echo-key"}],
  "forecast": [{"variant": "f", "depends_on": "web"}]}]}
JSON

export OPENAI_API_KEY=sk-SECRET-openai-0123456789
export GEMINI_API_KEY=AIzaSECRET-gemini-9876543210

test_expect_success 'the keys reach the provider, in their headers only' '
	run pm-experiment -c ../both.json -j 2 ../groups.ndjson && expect_status 1 &&
	jq -r "select(.path | test(\"generateContent\")) | .goog_key" ../llm.log | sort -u >got &&
	echo "AIzaSECRET-gemini-9876543210" >want && test_cmp want got &&
	jq -r "select(.path | test(\"generateContent\") | not) | .auth" ../llm.log | sort -u >got &&
	echo "Bearer sk-SECRET-openai-0123456789" >want && test_cmp want got &&
	not grep -q SECRET <(jq -c .request ../llm.log)
'

test_expect_success 'a provider that echoes the key: the failure, the dump and the database never hold it' '
	run pm-experiment -c ../both.json --dump-dir dump ../groups.ndjson && expect_status 1 &&
	jq -r "select(.kind==\"group\") | .results[] | select(.variant==\"echo\" or .variant==\"chatecho\") | .error" out | sort -u >got &&
	printf "%s\n" "http 400 INVALID_ARGUMENT: API key not valid: ****************************" \
		"http 401 invalid_request_error: Incorrect API key provided: ***************************." >want &&
	test_cmp want got &&
	test "$(jq -r "select(.kind==\"group\") | .results[] | select(.status==\"ok\") | .variant" out | wc -l)" -eq 12 &&
	grep -q "API key not valid" dump/e1/gm.research.echo.response.json &&
	run pm-store --db pm.db out && expect_status 0 &&
	test -s pm.db && grep -aq "Sundhn" pm.db &&
	cat out err ../../*/out ../../*/err >all 2>/dev/null || true &&
	not grep -q SECRET all && not grep -rq SECRET dump && not grep -aq SECRET pm.db
'

test_expect_success 'a placeholder key shorter than 3 bytes (a local server'"'"'s "x") is not masked: the answer is read whole' '
	jq "{suites: [.suites[0] | .research |= map(select(.variant == \"web\"))]}" \
		../both.json >x.json &&
	OPENAI_API_KEY=x run pm-experiment -c x.json --dump-dir dump ../groups.ndjson &&
	expect_status 0 &&
	jq -r "select(.kind==\"group\") | .results[] | select(.stage==\"forecast\") | .status" out >got &&
	printf "ok\nok\nok\n" >want && test_cmp want got &&
	grep -q "\"text\"" dump/e1/oa.forecast.f.response.json &&
	OPENAI_API_KEY=xyz run pm-experiment -c x.json --dump-dir dump3 ../groups.ndjson &&
	expect_status 0 && not grep -q xyz dump3/e1/oa.forecast.f.response.json
'

test_expect_success 'requests_per_minute spaces the requests of a variant, across jobs' '
	: >../llm.log &&
	run pm-experiment -c ../both.json -s gm --stage research --include-research web -j 3 \
		-o gm.requests_per_minute=60 ../groups.ndjson && expect_status 0 &&
	test "$(wc -l <../llm.log)" -eq 3 &&
	jq -se "map(.t) | sort | (.[1] - .[0]) >= 0.9 and (.[2] - .[1]) >= 0.9" ../llm.log >/dev/null &&
	run pm-experiment -c ../both.json -o gm.requests_per_minute=0 --list && expect_status 0 &&
	run pm-experiment -c ../both.json -o gm.requests_per_minute=-1 --list && expect_status 2 &&
	grep -q "requests_per_minute: a number from 0 to" err
'
test_expect_success '--stats: the tokens each LLM variant used, summed over the groups' '
	run pm-experiment -c ../both.json --stats -s gm --stage research --include-research web ../groups.ndjson &&
	expect_status 0 && grep -x "pm-experiment: gm:research:web: 1650 tokens" err &&
	test "$(jq -r ".results[0].output.usage.totalTokenCount" out | sort -u)" = 550
'
# An answer that failed (its text empty, a refusal, a blocked prompt)
# was paid for, but --stats counted 0 tokens for it: a reasoning model
# that spent max_tokens thinking looked free.
test_expect_success '--stats counts the tokens of the answers that failed too' '
	cat >st.json <<-JSON &&
	{"suites": [{"id": "c", "defaults": {"type": "openai", "api_key_env": "",
	   "base_url": "http://127.0.0.1:$port/v1"},
	  "research": [{"variant": "blank", "model": "blank"},
	    {"variant": "refused", "model": "refused"},
	    {"variant": "rblank", "api": "responses", "model": "blank"},
	    {"variant": "gblocked", "type": "gemini", "model": "gemini-blocked",
	     "base_url": "http://127.0.0.1:$port/v1beta"}]}]}
	JSON
	run pm-experiment -c st.json --stats ../groups.ndjson && expect_status 1 &&
	test_count failure out 15 &&
	grep tokens err >got &&
	printf "pm-experiment: c:research:%s tokens\n" "blank: 930" \
		"refused: 930" "rblank: 45" "gblocked: 30" >want &&
	test_cmp want got
'
test_expect_success 'a key holding CR LF is not sent: no header of its own arrives, the failure names the variable only' '
	: >../llm.log &&
	key=$(printf "sk-SECRET-inj\r\nX-Injected: yes") &&
	set -- -c ../both.json --stage research --include-research web \
		-o oa.api_key_env=TESTKEY -o gm.api_key_env=TESTKEY &&
	TESTKEY=$key run pm-experiment "$@" ../groups.ndjson && expect_status 1 &&
	not grep -qi x-injected ../llm.log && test ! -s ../llm.log &&
	jq -r "select(.kind==\"group\") | .results[] | \"\(.suite) \(.status) \(.error)\"" out | sort -u >got &&
	printf "%s\n" "gm failed TESTKEY holds a control character" \
		"oa failed TESTKEY holds a control character" >want && test_cmp want got &&
	TESTKEY=$key run pm-experiment "$@" --check && expect_status 2 &&
	test_grep "^pm-experiment: oa:research:web: TESTKEY holds a control character\$" err &&
	TESTKEY=$(printf "sk-SECRET-tab\tx") run pm-experiment "$@" --check && expect_status 2 &&
	TESTKEY=sk-SECRET-fine run pm-experiment "$@" --check && expect_status 0 &&
	not grep -q SECRET out err
'
# A gateway's user name and password in base_url (its basic auth, sent
# when api_key_env is empty) were written in the research's provenance
# host, pm-store kept them, and rotating the password changed the
# fingerprint, so every result was made again.
test_expect_success 'a base_url user name and password: in no record, nor in the fingerprint' '
	: >../llm.log &&
	set -- -c ../both.json -s oa --stage research --include-research web \
		-o oa.api_key_env= ../groups.ndjson &&
	run pm-experiment "$@" && expect_status 0 && mv out plain &&
	run pm-experiment "$@" -o "oa.base_url=http://gw:SECRET-pass@127.0.0.1:$port/v1" &&
	expect_status 0 && test "$(wc -l <../llm.log)" -eq 6 &&
	jq -r "select(.kind==\"group\") | .results[] | \"\(.provenance.host) \(.fingerprint)\"" plain >want &&
	jq -r "select(.kind==\"group\") | .results[] | \"\(.provenance.host) \(.fingerprint)\"" out >got &&
	test_cmp want got && test_grep -x "127.0.0.1:$port [0-9a-f]*" got &&
	run pm-store --db up.db out && expect_status 0 &&
	not grep -q SECRET out err && not grep -aq SECRET up.db
'

# libcurl takes a base_url without a scheme for http://: "api.openai.com/v1"
# sent the key in clear text to port 80, and --check said nothing.  A
# query or fragment took the API's path into it, "...?v=1/chat/completions".
test_expect_success 'a base_url that is no http(s) URL, or has a query, is a configuration error' '
	: >../llm.log &&
	for u in "127.0.0.1:$port/v1" "ftp://127.0.0.1:$port/v1" \
		"http://127.0.0.1:$port/v1?api-version=1" "http://127.0.0.1:$port/v1#x"; do
		for c in "" --check; do
			run pm-experiment $c -c ../both.json -s oa --stage research \
				--include-research web -o "oa.base_url=$u" ../groups.ndjson &&
			expect_status 2 && test ! -s out || return 1
			case $u in
			*\?*|*#*) w="a base URL has no query or fragment" ;;
			*) w="not an http:// or https:// URL" ;;
			esac
			test_grep -x "pm-experiment: ../both.json: oa:research:web: base_url: $w (with the overrides)" err || return 1
		done
	done &&
	test ! -s ../llm.log &&
	run pm-experiment -c ../both.json -s oa --stage research --include-research web \
		-o "oa.base_url=HTTP://127.0.0.1:$port/v1/" ../groups.ndjson && expect_status 0
'
# An empty model name was taken: every request went to the provider and
# was refused there, a failure per group and per run.
test_expect_success 'an empty model name is a configuration error' '
	: >../llm.log &&
	for m in "" " "; do
		for s in oa gm; do
			run pm-experiment -c ../both.json -s $s --stage research \
				--include-research web -o "$s.model=$m" ../groups.ndjson &&
			expect_status 2 && test ! -s out &&
			test_grep -x "pm-experiment: ../both.json: $s:research:web: model missing (with the overrides)" err ||
			return 1
		done
	done &&
	test ! -s ../llm.log
'
test_done
