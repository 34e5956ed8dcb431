#!/bin/bash
# A result's probabilities are probabilities: pm-store refuses 5, -4 or
# text (bad_record, saying which market), and pm-summary --score counts
# the markets of a stored forecast that is not one as invalid instead of
# leaving them out without a word.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/score-data.sh"

grp() {
	jq -cn --argjson m "$(mk m1 e1 false 0.6 0.4)" --argjson r "$(rec_result v "$1")" \
	    --arg k "$2" '{kind:"group", event_key:$k, event:null, markets:[$m], results:[$r]}'
}

test_expect_success 'pm-store: probabilities outside [0, 1] are a bad_record' '
	{ grp "{\"m1\":{\"Yes\":5,\"No\":-4}}" a; grp "{\"m1\":-0.1}" b
	  grp "{\"m1\":{\"Yes\":\"0.5\"}}" c; grp "[0.5]" d
	  grp "{\"m1\":{\"Yes\":0.25,\"No\":0.75}}" e; grp null f; } >in.ndjson &&
	run pm-store --db sqlite:p.db in.ndjson && expect_status 1 &&
	jq -r "select(.kind == \"failure\") | [.reason, .retriable, .detail] | @tsv" out >got &&
	{ for i in 1 2 3; do
		printf "bad_record\tfalse\tprobabilities of market m1: not a probability from 0 to 1\n"
	  done
	  printf "bad_record\tfalse\tprobabilities is not an object\n"; } >want &&
	test_cmp want got &&
	test "$(sqlite3 p.db "SELECT group_concat(event_key) FROM processed_events")" = "e,f"
'

test_expect_success 'pm-summary --score: a stored forecast out of range is counted invalid' '
	scored d.db &&
	sqlite3 d.db "UPDATE experiment_results SET probabilities = '\''{\"m1\":{\"Yes\":5,\"No\":-4},\"m2\":{\"Yes\":1,\"No\":0}}'\'' WHERE variant = '\''bold'\''" &&
	run pm-summary --score --db d.db --json && expect_status 0 &&
	jq -e ".variants[] | select(.variant == \"bold\") | .invalid == 1 and .markets == 1" out >/dev/null &&
	jq -e "[.variants[] | select(.variant != \"bold\") | has(\"invalid\")] | any | not" out >/dev/null &&
	run pm-summary --score --db d.db && expect_status 0 &&
	test_grep "not probabilities from 0 to 1 of the market.s outcomes, not scored: 1 market(s)" out
'

test_done
