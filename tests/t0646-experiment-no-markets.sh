#!/bin/bash
# pm-experiment: a group with "markets": [] has nothing to forecast.  Its
# forecasts ran and failed retriably ("names no market of the group"):
# retry-failures ran them again for ever and could never make them good.
# They are skipped now, once (a non-retriable no_forecast_results follows,
# as for a group whose markets have no prices), and the next run with the
# group stored has nothing left: a skip record.
. "$(dirname "$0")/lib.sh"

rec_group e0 null >"$TMP/empty.ndjson"

cat >"$TMP/c.json" <<'JSON'
{"suites": [{"id": "s",
  "research": [
    {"variant": "r", "type": "jq", "program": "{n: (.markets | length)}"}],
  "forecast": [
    {"variant": "all", "type": "jq",
     "program": "{probabilities: ([.markets[].market_id] | map({key: ., value: 0.2}) | from_entries)}"},
    {"variant": "dep", "type": "jq", "depends_on": "r",
     "program": "{probabilities: {}}"},
    {"variant": "mkt", "type": "builtin", "builtin": "market"}]}]}
JSON

test_expect_success 'the forecasts of a group without markets are skipped' '
	run pm-experiment -c ../c.json ../empty.ndjson && expect_status 1 &&
	jq -r "select(.kind==\"group\") | .results[] |
		\"\(.variant) \(.status) \(.error)\"" out >got &&
	cat >want <<-\EOT &&
	r ok null
	all skipped the group has no market to forecast
	dep skipped the group has no market to forecast
	mkt skipped the group has no market to forecast
	EOT
	test_cmp want got &&
	jq -r "select(.kind==\"failure\") | \"\(.reason) \(.retriable)\"" out >got &&
	echo "no_forecast_results false" >want &&
	test_cmp want got && cp out "$TMP/run1"
'

test_expect_success 'stored, the group is done: the next run skips it' '
	run pm-store --db "$TMP/x.db" "$TMP/run1" && expect_status 0 &&
	run pm-store --db "$TMP/x.db" --new-only ../empty.ndjson &&
	expect_status 0 && cp out "$TMP/new-only" &&
	run pm-experiment -c ../c.json "$TMP/new-only" && expect_status 0 &&
	jq -c "{kind, why}" out >got &&
	echo "{\"kind\":\"skip\",\"why\":\"already_processed\"}" >want &&
	test_cmp want got
'

test_done
