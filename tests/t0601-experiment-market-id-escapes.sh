#!/bin/bash
# pm-experiment: a market_id holding a '"' or a '\' (escaped where the
# markets to forecast are written) was never found among them: a
# forecast of it was an ok result with probabilities null, its lead
# empty, stored as done.
. "$(dirname "$0")/lib.sh"

cat >"$TMP/c.json" <<'JSON'
{"suites": [{"id": "s", "forecast": [
  {"variant": "all", "type": "jq",
   "program": "{probabilities: (.markets | map({key: .market_id, value: 0.25}) | from_entries)}"},
  {"variant": "first", "type": "jq",
   "program": "{probabilities: {(.markets[0].market_id): 0.25}}"}]}]}
JSON

test_expect_success 'a market_id with a quote or a backslash keeps its probabilities' '
	for id in "m\"1" "m\\1" "a,b" "["; do
		a=$(rec_market "$id" contracts:="$(rec_yes_no 1 0.3 2 0.7)") &&
		b=$(rec_market "x$id" contracts:="$(rec_yes_no 3 0.4 4 0.6)") &&
		rec_group k null "$a" "$b" >g.ndjson &&
		run pm-experiment -c ../c.json g.ndjson && expect_status 1 &&
		jq -c --arg a "$id" --arg b "x$id" "select(.kind == \"group\") | .results[] |
		    [.variant, .status, (.probabilities | if . then keys else null end),
		     .market_ids == (.lead | keys)] |
		    select(. != [\"all\", \"ok\", ([\$a, \$b] | sort), true] and
		        . != [\"first\", \"ok\", [\$a], true] and
		        . != [\"first\", \"failed\", null, true])" out >bad &&
		jq -c "select(.kind == \"group\") | .results[] | [.variant, .status, .market_ids]" out >got &&
		jq -cn --arg a "$id" --arg b "x$id" "[\"all\", \"ok\", [\$a, \$b]],
		    [\"first\", \"ok\", [\$a]], [\"first\", \"failed\", [\$b]]" >want &&
		test_cmp want got && test ! -s bad || { say "market_id $id"; return 1; }
	done
'

test_done
