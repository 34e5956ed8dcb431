#!/bin/bash
# pm-experiment: a market joins an event processed before (forecast_markets).
# A forecast whose probabilities name none of the markets it is to
# forecast (a program that answers for the first market only) failed to
# forecast them: it was "ok" with probabilities {}, exit 0, stored as done,
# and the new market was never forecast by it.  It is a failure now, and
# the next run forecasts the market; the market benchmark skips itself on a
# new market without prices, as on a group without any.
. "$(dirname "$0")/lib.sh"

rec_group e1 null "$(rec_market m1 contracts:="$(rec_yes_no 1 0.25 2 0.75)")" \
	>"$TMP/old.ndjson"
rec_group e1 null "$(rec_market m1 contracts:="$(rec_yes_no 1 0.25 2 0.75)")" \
	"$(rec_market m2 contracts:='[{"outcome":"Yes","token_id":"3","price":null},{"outcome":"No","token_id":"4","price":null}]')" \
	>"$TMP/new.ndjson"

cat >"$TMP/c.json" <<'JSON'
{"suites": [{"id": "s",
  "forecast": [
    {"variant": "first", "type": "jq",
     "program": "{probabilities: {(.markets[0].market_id): 0.3}}"},
    {"variant": "both", "type": "jq",
     "program": "{probabilities: ([.markets[].market_id] | map({key: ., value: 0.2}) | from_entries)}"},
    {"variant": "todo", "type": "jq",
     "program": "{probabilities: ((.forecast_markets // [.markets[].market_id]) | map({key: ., value: 0.6}) | from_entries)}"},
    {"variant": "mkt", "type": "builtin", "builtin": "market"}]}]}
JSON

# variant status probabilities error, per result
results() {
	jq -r 'select(.kind=="group") | .results[] |
		"\(.variant) \(.status) \(.market_ids | join(",")) \(.probabilities | tostring) \(.error)"' out
}

test_expect_success 'the first run stores e1 and its market m1' '
	run pm-experiment -c ../c.json ../old.ndjson && expect_status 0 &&
	cp out run1 && run pm-store --db "$TMP/x.db" run1 && expect_status 0
'

test_expect_success 'm2 joins: a forecast naming none of it fails, naming the event' '
	run pm-store --db "$TMP/x.db" --new-only ../new.ndjson && expect_status 0 &&
	cp out "$TMP/new-only" &&
	run pm-experiment -c ../c.json "$TMP/new-only" && expect_status 1 &&
	results >got &&
	cat >want <<-\EOT &&
	first failed m2 null probabilities: names none of the markets to forecast (forecast_markets)
	both ok m2 {"m2":{"Yes":0.2,"No":0.8}} null
	todo ok m2 {"m2":{"Yes":0.6,"No":0.4}} null
	mkt skipped m2 null no market to forecast has prices
	EOT
	test_cmp want got &&
	jq -r "select(.kind==\"failure\") | \"\(.event_key) \(.reason) \(.detail)\"" out >got &&
	echo "e1 experiment_failed s:forecast:first: probabilities: names none of the markets to forecast (forecast_markets)" >want &&
	test_cmp want got &&
	cp out run2 && run pm-store --db "$TMP/x.db" run2 && expect_status 0
'

test_expect_success 'the next run forecasts m2 by that variant again, and only by it' '
	run pm-store --db "$TMP/x.db" --new-only ../new.ndjson && expect_status 0 &&
	cp out "$TMP/new-only" && run pm-experiment -c ../c.json "$TMP/new-only" &&
	expect_status 1 &&
	jq -r "select(.kind==\"group\") | .results[] | \"\(.variant) \(.status)\"" out >got &&
	echo "first failed" >want && test_cmp want got
'

test_done
