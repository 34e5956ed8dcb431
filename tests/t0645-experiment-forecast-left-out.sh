#!/bin/bash
# pm-experiment: a forecast whose probabilities leave out some of the
# markets it is to forecast (an LLM that answers for two markets of three).
# Its one result was "ok", covering every market: stored as done, the
# markets it left out were never forecast again by it, nor scored.  It is
# two results now: ok on the markets it named, failed on the rest, with
# an experiment_failed failure; a retry forecasts the rest only.  A market
# given null is declined: a skipped result, not retried.  The market
# benchmark, which leaves out markets without prices, is unchanged.
. "$(dirname "$0")/lib.sh"

m1=$(rec_market m1 contracts:="$(rec_yes_no 1 0.25 2 0.75)")
m2=$(rec_market m2 contracts:="$(rec_yes_no 3 0.4 4 0.6)")
m3=$(rec_market m3 contracts:='[{"outcome":"Yes","token_id":"5","price":null},{"outcome":"No","token_id":"6","price":null}]')
rec_group e1 null "$m1" "$m2" "$m3" >"$TMP/g.ndjson"

# one: the first market it is given; all: every one; priced: null for a
# market without prices
cat >"$TMP/c.json" <<'JSON'
{"suites": [{"id": "s",
  "forecast": [
    {"variant": "priced", "type": "jq",
     "program": "{probabilities: (.markets | map({key: .market_id, value: .contracts[0].price}) | from_entries)}"},
    {"variant": "one", "type": "jq",
     "program": "{probabilities: {((.forecast_markets // [.markets[].market_id])[0]): 0.3}}"},
    {"variant": "all", "type": "jq",
     "program": "{probabilities: ([.markets[].market_id] | map({key: ., value: 0.2}) | from_entries)}"},
    {"variant": "mkt", "type": "builtin", "builtin": "market"}]}]}
JSON

results() {
	jq -r 'select(.kind=="group") | .results[] |
		"\(.variant) \(.status) \(.market_ids | join(",")) \(.probabilities | tostring) \(.error) \(.lead | keys | join(","))"' out
}

test_expect_success 'a forecast leaving markets out is ok on those it named, failed on the rest' '
	run pm-experiment -c ../c.json ../g.ndjson && expect_status 1 &&
	results >got &&
	cat >want <<-\EOT &&
	priced ok m1,m2 {"m1":{"Yes":0.25,"No":0.75},"m2":{"Yes":0.4,"No":0.6}} null m1,m2
	priced skipped m3 null declined: probabilities null m3
	one ok m1 {"m1":{"Yes":0.3,"No":0.7}} null m1
	one failed m2,m3 null probabilities: 2 of the markets to forecast left out m2,m3
	all ok m1,m2,m3 {"m1":{"Yes":0.2,"No":0.8},"m2":{"Yes":0.2,"No":0.8},"m3":{"Yes":0.2,"No":0.8}} null m1,m2,m3
	mkt ok m1,m2,m3 {"m1":{"Yes":0.25,"No":0.75},"m2":{"Yes":0.4,"No":0.6}} null m1,m2,m3
	EOT
	test_cmp want got &&
	jq -r "select(.kind==\"failure\") | \"\(.event_key) \(.reason) \(.retriable) \(.detail)\"" out >got &&
	echo "e1 experiment_failed true s:forecast:one: probabilities: 2 of the markets to forecast left out" >want &&
	test_cmp want got &&
	{ rec_run_start r1 daily; cat out; } >"$TMP/run1"
'

test_expect_success 'stored, the markets left out are to retry, by that variant only' '
	run pm-store --db "$TMP/x.db" "$TMP/run1" && expect_status 0 &&
	run pm-store --db "$TMP/x.db" --export retry --run r1 && expect_status 0 &&
	jq -c "[.event_key, [.markets[].market_id], .retry_experiments]" out >got &&
	echo "[\"e1\",[\"m2\",\"m3\"],[\"s:forecast:one\"]]" >want &&
	test_cmp want got && cp out "$TMP/retry"
'

test_expect_success 'the retry forecasts the next market left, and leaves the last to retry' '
	run pm-store --db "$TMP/x.db" --new-only "$TMP/retry" && expect_status 0 &&
	cp out "$TMP/new-only" &&
	run pm-experiment -c ../c.json "$TMP/new-only" && expect_status 1 &&
	results >got &&
	cat >want <<-\EOT &&
	one ok m2 {"m2":{"Yes":0.3,"No":0.7}} null m2
	one failed m3 null probabilities: 1 of the markets to forecast left out m3
	EOT
	test_cmp want got &&
	{ rec_run_start r2 retry-failures; cat out; } >"$TMP/run2" &&
	run pm-store --db "$TMP/x.db" "$TMP/run2" && expect_status 0 &&
	run pm-store --db "$TMP/x.db" --export retry --run r1 && expect_status 0 &&
	jq -c "[.event_key, [.markets[].market_id], .retry_experiments]" out >got &&
	echo "[\"e1\",[\"m3\"],[\"s:forecast:one\"]]" >want &&
	test_cmp want got
'

test_expect_success 'the stored results of the variant cover what it named, each once' '
	sqlite3 "$TMP/x.db" "SELECT status, markets FROM experiment_results
		WHERE experiment_id = '"'"'s:forecast:one'"'"' ORDER BY run_id, status" >got &&
	cat >want <<-\EOT &&
	failed|m2,m3
	ok|m1
	failed|m3
	ok|m2
	EOT
	test_cmp want got
'

# The answer goes with the first result written: a forecast that
# declined one market and left out the rest kept its output nowhere.
test_expect_success 'declined and left out, no market forecast: the answer is kept once' '
	cat >n.json <<-\JSON &&
	{"suites": [{"id": "s", "forecast": [{"variant": "nul", "type": "jq",
	  "program": "{output: \"why\", probabilities: {(.markets[0].market_id): null}}"}]}]}
	JSON
	run pm-experiment -c n.json ../g.ndjson && expect_status 1 &&
	jq -r "select(.kind==\"group\") | .results[] |
		\"\(.status) \(.market_ids | join(\",\")) \(.output) \(.error)\"" out >got &&
	cat >want <<-\EOT &&
	skipped m1 why declined: probabilities null
	failed m2,m3 null probabilities: 2 of the markets to forecast left out
	EOT
	test_cmp want got &&
	test_count failure out 2
'

test_done
