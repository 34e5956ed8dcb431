#!/bin/bash
# pm-normalize: an id sent as a JSON integer is kept digit for digit.  It
# went through a double, so one past 2^53 lost its last digits: market
# 9007199254740993 was stored as market 9007199254740992 (another
# market's id, overwriting it), exit 0.
. "$(dirname "$0")/lib.sh"

test_expect_success 'market, event, tag and embedded market ids past 2^53' '
	printf "%s\n" \
	    "{\"id\":9007199254740993,\"question\":\"q\",\"tags\":[{\"id\":9007199254740995,\"slug\":\"t\"}]}" \
	    "{\"id\":18446744073709551615,\"title\":\"e\",\"markets\":[{\"id\":9223372036854775807,\"question\":\"q\"}]}" \
	    "{\"id\":-9007199254740993,\"question\":\"q\"}" >in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 0 &&
	jq -r "select(.kind == \"market\") | .market_id" out >got &&
	printf "%s\n" 9007199254740993 9223372036854775807 -9007199254740993 >want &&
	test_cmp want got &&
	test_eq 9007199254740995 "$(jq -r "select(.market_id == \"9007199254740993\") | .tags[0].id" out)" &&
	test_eq 18446744073709551615 "$(jq -r "select(.kind == \"event\") | .event_id" out)" &&
	test_eq "[\"9223372036854775807\"]" "$(jq -c "select(.kind == \"event\") | .market_ids" out)" &&
	test_eq 18446744073709551615 "$(jq -r "select(.market_id == \"9223372036854775807\") | .event_id" out)"
'

test_expect_success 'a price request naming its market by a large integer id' '
	printf "%s\n" "{\"kind\":\"raw\",\"source\":\"clob\",\"endpoint\":\"midpoint\",\"url\":\"u\",\"fetched_at\":\"2026-01-01T00:00:00.000Z\",\"sha256\":\"$(printf %064d 0)\",\"request\":{\"token_id\":\"1\",\"market_id\":9007199254740993},\"payload\":{\"mid\":\"0.5\"}}" >in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 0 &&
	test_eq 9007199254740993 "$(jq -r .market_id out)"
'

test_expect_success 'a bad /prices price of a market named by an integer id: the failure names it' '
	printf "%s\n" "{\"kind\":\"raw\",\"source\":\"clob\",\"endpoint\":\"prices\",\"url\":\"u\",\"fetched_at\":\"2026-01-01T00:00:00.000Z\",\"sha256\":\"$(printf %064d 0)\",\"request\":{\"tokens\":{\"1\":{\"market_id\":9007199254740993},\"2\":{\"market_id\":\"7\"}}},\"payload\":{\"1\":{\"BUY\":\"2\"},\"2\":\"x\"}}" >in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 1 && test_count failure out 2 &&
	jq -r "select(.kind == \"failure\") | .market_id" out >got &&
	printf "%s\n" 9007199254740993 7 >want && test_cmp want got &&
	test_grep "^pm-normalize: in.ndjson:1: market 9007199254740993: token 1 BUY: price 2 is outside" err
'

test_expect_success 'an integer id of more digits than 64 bits hold: refused, as before' '
	echo "{\"id\":123456789012345678901234567890,\"question\":\"q\"}" >in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 1 &&
	test_grep "market_id is not a string or integer id" err
'
test_done
