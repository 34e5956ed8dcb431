#!/bin/bash
# pm-experiment: a command gets standard input, output and error and no
# other descriptor of pm-experiment's: not the input file, not the
# connections other variants hold to the LLM provider at the time (a
# command's background child held them open, and could write on them).
. "$(dirname "$0")/lib.sh"

. "$TESTS_DIR/fake-llm.sh"
llm_start

for k in 1 2 3 4; do
	rec_group "e$k" "{\"title\":\"Event $k\"}" "$(rec_market "m$k" -source \
		question="Will $k happen?" contracts:="$(rec_yes_no 1 0.25 2 0.75)")"
done >"$TMP/groups.ndjson"

# "slow" answers after 3 s: its connection is open while fds lists its
# descriptors (ls's own directory is 3)
cat >"$TMP/c.json" <<JSON
{"suites": [{"id": "k",
  "defaults": {"base_url": "http://127.0.0.1:$port/v1/", "api_key_env": "PM_TEST_KEY", "timeout": 10},
  "research": [
    {"variant": "slow", "type": "openai", "model": "slow"},
    {"variant": "fds", "type": "command",
     "argv": ["sh", "-c", "cat >/dev/null; sleep 1; ls /proc/self/fd >&2; echo {}"]}
  ]}]}
JSON
export PM_TEST_KEY=k

test_expect_success 'a command sees descriptors 0, 1 and 2 alone' '
	run pm-experiment -j 4 -c ../c.json ../groups.ndjson 7<../groups.ndjson &&
	expect_status 0 &&
	jq -j "select(.kind == \"group\") | .results[] |
	    select(.variant == \"fds\") | .stderr" out | sort | uniq -c >got &&
	printf "%7d %s\n" 4 0 4 1 4 2 4 3 >want && test_cmp want got
'

test_done
