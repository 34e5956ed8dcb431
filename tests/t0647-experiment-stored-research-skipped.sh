#!/bin/bash
# pm-experiment: research reused from stored_results (pm-store --new-only)
# must count as it did in its own run.  Research that skipped itself was
# reused as ok with null output: a forecast depending on it then ran, where
# the research's own run had skipped it ("research ... was skipped").
# Research that succeeded with a null output is still reused as ok.
. "$(dirname "$0")/lib.sh"

rec_group e1 null "$(rec_market m1 contracts:="$(rec_yes_no 1 0.25 2 0.75)")" \
	>"$TMP/g.ndjson"

config() {
	cat <<-JSON
	{"suites": [{"id": "s",
	  "research": [
	    {"variant": "none", "type": "jq", "program": "empty"},
	    {"variant": "nul", "type": "jq", "program": "{status: \"ok\", output: null}"}],
	  "forecast": [
	    {"variant": "f", "type": "jq", "depends_on": "none",
	     "program": "{probabilities: {m1: 0.4}}"},
	    {"variant": "g", "type": "jq", "depends_on": "nul",
	     "program": "{probabilities: {m1: 0.4}}"}${1-}]}]}
	JSON
}
config >"$TMP/c1.json"
config ', {"variant": "h", "type": "jq", "depends_on": "none",
	     "program": "{probabilities: {m1: 0.4}}"},
	    {"variant": "k", "type": "jq", "depends_on": "nul",
	     "program": "{probabilities: {m1: 0.4}}"}' >"$TMP/c2.json"

results() {
	jq -r 'select(.kind=="group") | .results[] |
		"\(.variant) \(.status) \(.output) \(.error)"' out
}

test_expect_success 'the first run: f is skipped, its research skipped itself' '
	run pm-experiment -c ../c1.json ../g.ndjson && expect_status 0 &&
	results >got &&
	cat >want <<-\EOT &&
	none skipped null the program gave no output
	nul ok null null
	f skipped null research s:research:none was skipped
	g ok null null
	EOT
	test_cmp want got &&
	cp out run1 && run pm-store --db "$TMP/x.db" run1 && expect_status 0
'

test_expect_success 'stored research is reused as it was: skipped, or ok' '
	run pm-store --db "$TMP/x.db" --new-only ../g.ndjson && expect_status 0 &&
	cp out "$TMP/new-only" &&
	run pm-experiment -c ../c2.json "$TMP/new-only" && expect_status 0 &&
	results >got &&
	cat >want <<-\EOT &&
	f skipped null research s:research:none was skipped
	h skipped null research s:research:none was skipped
	k ok null null
	EOT
	test_cmp want got
'

test_done
