#!/bin/bash
# pm-normalize over every recorded real market and event.
. "$(dirname "$0")/lib.sh"

test_expect_success 'every recorded market normalizes, token ids digit for digit' '
	for f in "$FIXTURES"/gamma-markets-*.json; do
		case $f in *keyset*) jq -c ".markets[]" "$f" ;; *) jq -c ".[]" "$f" ;; esac
	done >in.ndjson &&
	jq -c . "$FIXTURES"/gamma-market-by-id-ra1nty-1.json >>in.ndjson &&
	run pm-normalize -R in.ndjson &&
	expect_status 0 &&
	test_line_count in.ndjson "$(count_kind market out)" &&
	jq -r "select(.clobTokenIds != null and .clobTokenIds != \"\") | .id as \$id |
		(.clobTokenIds | fromjson)[] | \"\(\$id) \(.)\"" in.ndjson | sort >want &&
	jq -r ".market_id as \$id | .contracts[] | select(.token_id) |
		\"\(\$id) \(.token_id)\"" out | sort >got &&
	test -s want && test_cmp want got
'

test_expect_success 'prices are numbers equal to the source strings' '
	jq -c ".[]" "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json >in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 0 &&
	jq -r "select(.contracts[0].price != null) | .contracts[].price | type" out | sort -u >types &&
	echo number >want && test_cmp want types &&
	jq -e "[.[] | select(.outcomePrices == null)] | length > 0" "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json >/dev/null &&
	jq -se "map(select(.contracts[0].price == null)) | length > 0 and all(.contracts | all(.price == null))" out >/dev/null &&
	jq -r "select(.outcomePrices) | (.outcomePrices|fromjson)[] | tonumber" in.ndjson >want &&
	jq -r ".contracts[].price // empty" out >got && test_cmp want got
'

test_expect_success 'events give an event record then each embedded market' '
	jq -c ".[]" "$FIXTURES"/gamma-events-bobaoxu2001-1.json >in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 0 &&
	test_count event out 2 &&
	test_count market out 8 &&
	jq -r "select(.kind==\"market\") | .event_id" out | sort -u >got &&
	printf "16183\n16263\n" >want && test_cmp want got &&
	jq -se "map(select(.kind==\"market\") | .event.tags | length > 0) | all" out >/dev/null
'

test_expect_success 'raw records are kept and come first; counts balance' '
	jq -c ".[]" "$FIXTURES"/gamma-markets-bobaoxu2001-1.json >in.ndjson &&
	run pm-normalize --stats in.ndjson && expect_status 0 &&
	test_count raw out 3 && test_count market out 3 &&
	jq -r .kind out | tr "\n" " " >got &&
	printf "raw market raw market raw market " >want && test_cmp want got &&
	test_grep "3 records in (3 raw, 0 passed through, 0 bad); 3 normalized out, 0 failed" err
'

test_expect_success 'raw sha256 is the hash of the minified payload' '
	jq -c ".[0]" "$FIXTURES"/gamma-markets-ra1nty-1.json >in.ndjson &&
	run pm-normalize in.ndjson &&
	jq -r "select(.kind==\"raw\") | .sha256" out >got &&
	jq -cj . in.ndjson | sha256sum | cut -d" " -f1 >want && test_cmp want got &&
	jq -r "select(.kind==\"market\") | .raw_sha256" out >got2 && test_cmp want got2
'

test_expect_success 'a bare object with spaces: its raw payload is minified too' '
	printf "{\"id\": \"9\", \"question\": \"a b?\"}\n" >in.ndjson &&
	run pm-normalize in.ndjson && head -1 out >raw &&
	grep -qF "\"payload\":{\"id\":\"9\",\"question\":\"a b?\"}}" raw &&
	jq -r .sha256 raw >want && jq -cj .payload raw | sha256sum | cut -c1-64 >got &&
	test_cmp want got
'
test_done
