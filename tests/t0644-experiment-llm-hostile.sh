#!/bin/bash
# pm-experiment and pm-store behind LLM providers whose answers are broken
# on purpose (fake-llm.py --mutate): the envelope's values of other types,
# NaN, numbers past every range, lone surrogates, nesting past any
# parser's depth, keys gone, bytes flipped or cut; and the forecast inside
# the answer broken the same way.  Whatever comes, both exit 0 or 1, trip
# no sanitizer, write only JSON, and every variant of every group ends ok
# with probabilities that are probabilities, or failed with a reason.
# PM_HOSTILE_SEEDS=N runs more seeds than the suite's (a sweep by hand).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-llm.sh"
. "$TESTS_DIR/hostile.sh"

SEEDS=${PM_HOSTILE_SEEDS:-12}

for k in 1 2 3; do
	rec_group "e$k" "{\"title\":\"Event $k\"}" \
		"$(rec_market "m${k}a" -source question="Will ${k}a happen?" \
			contracts:="$(rec_yes_no "${k}1" 0.25 "${k}2" 0.75)")" \
		"$(rec_market "m${k}b" -source question="Will ${k}b happen?" \
			contracts:="$(rec_yes_no "${k}3" 0.5 "${k}4" 0.5)")"
done >"$TMP/groups.ndjson"

# one suite per API, research first and a forecast on top of it
config() {
	cat <<JSON
{"suites": [
 {"id": "chat", "defaults": {"type": "openai", "base_url": "http://127.0.0.1:$port/v1/",
   "api_key_env": "PM_TEST_KEY", "timeout": 10, "max_retries": 0},
  "research": [{"variant": "brief", "model": "research"},
    {"variant": "search", "model": "searchpreview"}],
  "forecast": [{"variant": "valid", "model": "valid", "depends_on": "brief"}]},
 {"id": "resp", "defaults": {"type": "openai", "api": "responses", "model": "gpt-4o",
   "base_url": "http://127.0.0.1:$port/v1", "api_key_env": "PM_TEST_KEY", "timeout": 10,
   "max_retries": 0},
  "research": [{"variant": "web", "web_search": true}],
  "forecast": [{"variant": "grounded", "depends_on": "web", "json_mode": true}]},
 {"id": "gem", "defaults": {"type": "gemini", "model": "gemini-2.5-pro",
   "base_url": "http://127.0.0.1:$port/v1beta/", "api_key_env": "PM_TEST_KEY", "timeout": 10,
   "max_retries": 0},
  "research": [{"variant": "web", "google_search": true}],
  "forecast": [{"variant": "grounded", "depends_on": "web", "json_mode": true}]}]}
JSON
}
export PM_TEST_KEY=sekrit-hostile-key

# every group out, each with its seven variants, each ok (a forecast's
# probabilities numbers in [0, 1] for markets of the group) or failed
# with an error; a forecast split in results (some markets left out)
# covers each market of its group once; prints "ok failed" counts of the
# forecast results
judge() {
	jq -rs '
	map(select(.kind == "group")) as $g |
	if ($g | length) != 3 then error("\($g | length) groups out") else . end |
	[$g[] | . as $grp | .results[] |
	 if (.status == "ok") then
	   (if .stage == "forecast" then
	     (.probabilities | to_entries[] |
	      .key as $k |
	      if ([$grp.markets[].market_id] | index($k)) == null
	      then error("\(.key): no market of the group") else . end |
	      .value | to_entries[] |
	      if (.value | type) != "number" or .value < 0 or .value > 1
	      then error("probability \(.value)") else . end)
	    else empty end), {s: .stage, ok: 1}
	 elif (.status == "failed") then
	   (if ((.error // "") | length) == 0 then error("failed without an error") else . end),
	   {s: .stage, ok: 0}
	 elif (.status == "skipped") then {s: .stage, ok: 2}
	 else error("status \(.status)") end] |
	if ([$g[] | .event_key as $e | .results[] | select(.stage == "forecast") |
	     [$e, .experiment_id]] | unique | length) != 9 or
	   (map(select(.s == "research")) | length) != 12 then error("variants missing") else . end |
	if ([$g[] | ([.markets[].market_id] | sort) as $all |
	     .results | map(select(.stage == "forecast")) | group_by(.experiment_id)[] |
	     select(([.[].market_ids[]] | sort) != $all)] | length) != 0
	then error("a forecast not covering its group once") else . end |
	"\(map(select(.s == "forecast" and .ok == 1)) | length) \(map(select(.s == "forecast" and .ok == 0)) | length)"
	' "$1"
}

test_expect_success 'the answers unbroken: every variant ok' '
	llm_start && config >llm.json &&
	stage exp pm-experiment -c llm.json ../groups.ndjson &&
	judge exp.out >got && echo "9 0" >want && test_cmp want got
'

test_expect_success "$SEEDS hostile providers: pm-experiment and pm-store exit 0 or 1, write JSON, trip no sanitizer" '
	ok=0 failed=0 &&
	for seed in $(seq "$SEEDS"); do
		llm_stop && llm_start --mutate "$seed" && config >llm.json &&
		stage exp pm-experiment -c llm.json ../groups.ndjson &&
		judge exp.out >counts &&
		stage store pm-store --db "hostile-$seed.db" exp.out &&
		test_grep -v sekrit exp.out exp.err store.out store.err &&
		read -r o f <counts && ok=$((ok + o)) failed=$((failed + f)) ||
		{ echo "seed $seed" >&2; return 1; }
	done &&
	# hostile, and the good answers still went through
	test_num "$ok" -gt 0 && test_num "$failed" -gt 0
'
test_done
