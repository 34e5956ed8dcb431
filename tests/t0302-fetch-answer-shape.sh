#!/bin/bash
# pm-fetch behind a gateway or proxy whose 200 answer is JSON of its own
# ({"error":...}, null, an array where an object was asked for): not what
# the endpoint answers, so tried again as a 5xx is, and a retriable
# failure of the request when it stays so; never skips, never exit 0.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

fake_start shape --markets 40 --trades 5 --log "$TMP/shape.log"
FAST="--backoff 5 --attempts 3"
pm-fetch markets --closed any --rate markets=100000/10 2>/dev/null |
    pm-normalize -R >"$TMP/markets.ndjson"
jq -c "select(.closed == false and .contracts[0].token_id != null)" \
    "$TMP/markets.ndjson" | head -2 >"$TMP/two.ndjson"

test_expect_success 'the market records to start from' '
	test_count market "$TMP/two.ndjson" 2
'

# answer PATH BODY [N]: the next N (default every) requests to PATH get
# 200 BODY; the log starts empty
answer() {
	: >"$TMP/shape.log" &&
	fake_control "{\"answer_200\":{\"$1\":[$2,${3:-null}]}}" >/dev/null
}

# failed PATH N: exit 1, one failure record only, fetch_failed,
# retriable, of that URL, after N tries, and no skip
failed() {
	expect_status 1 && test_count failure out 1 && test_count skip out 0 &&
	test_count raw out 0 &&
	jq_all "select(.kind==\"failure\") | .reason==\"fetch_failed\" and
		.retriable==true and (.url|startswith(\"$FAKE_URL$1\")) and
		(.detail|test(\"^HTTP 200 with an answer of the wrong shape: .* after $2 attempts\$\"))" out &&
	test_eq "$2" "$(grep -c " $1" "$TMP/shape.log")"
}

test_expect_success 'POST /prices answered 200 {"error":...}: a retriable failure, no skip' '
	answer /prices "{\"error\":\"x\"}" &&
	run pm-fetch prices $FAST "$TMP/two.ndjson" && failed /prices 3 &&
	test_count market out 2
'

test_expect_success 'POST /prices answered 200 [] or null: a retriable failure, no skip' '
	answer /prices "[]" &&
	run pm-fetch prices $FAST "$TMP/two.ndjson" && failed /prices 3 &&
	answer /prices null &&
	run pm-fetch prices $FAST "$TMP/two.ndjson" && failed /prices 3
'

test_expect_success 'POST /prices answered a token not asked for: a failure' '
	answer /prices "{\"42\":{\"BUY\":\"0.5\"}}" &&
	run pm-fetch prices $FAST "$TMP/two.ndjson" && failed /prices 3
'

test_expect_success 'a wrong answer once, then the right one: retried, exit 0' '
	answer /prices "{\"error\":\"x\"}" 1 &&
	run pm-fetch prices $FAST "$TMP/two.ndjson" && expect_status 0 &&
	test_count raw out 1 && test_count failure out 0 && test_count skip out 0 &&
	test_eq 2 "$(grep -c " /prices" "$TMP/shape.log")"
'

test_expect_success 'an empty POST /prices answer is still every token without a book' '
	answer /prices "{}" &&
	run pm-fetch prices $FAST "$TMP/two.ndjson" && expect_status 0 &&
	test_count raw out 1 && test_count failure out 0 && test_count skip out -ge 2
'

test_expect_success '/book, /prices-history, /price, /midpoint of the wrong shape: retriable failures' '
	head -1 "$TMP/two.ndjson" | jq -c ".contracts |= .[:1]" >one.ndjson &&
	answer /book "{\"error\":\"x\"}" &&
	run pm-fetch prices --endpoint book $FAST one.ndjson && failed /book 3 &&
	answer /prices-history "{\"history\":null}" &&
	run pm-fetch history $FAST one.ndjson && failed /prices-history 3 &&
	answer /midpoint "{\"error\":\"x\"}" &&
	run pm-fetch prices --endpoint midpoint $FAST one.ndjson &&
	failed /midpoint 3 &&
	answer /price "[1]" &&
	run pm-fetch prices --endpoint price --side BUY $FAST one.ndjson &&
	failed /price 3
'

test_expect_success 'a keyset page {"markets":null}: retried, then a retriable failure' '
	answer /markets/keyset "{\"markets\":null}" &&
	run pm-fetch markets $FAST --partitions 1 && failed /markets/keyset 3
'

test_expect_success 'a keyset page of the wrong shape once: retried, no market lost' '
	fake_control "{\"answer_200\":{}}" >/dev/null &&
	pm-fetch markets --partitions 1 >whole.ndjson 2>/dev/null &&
	answer /markets/keyset "{\"error\":\"x\"}" 1 &&
	run pm-fetch markets $FAST --partitions 1 && expect_status 0 &&
	test_count failure out 0 &&
	test_eq "$(grep -c "^{\"kind\":\"raw\"" whole.ndjson)" \
	    "$(grep -c "^{\"kind\":\"raw\"" out)"
'

test_expect_success 'a listing page holding non-objects: each a failure, the objects written' '
	answer /markets/keyset "{\"markets\":[1,\"x\",null,{\"id\":\"999\"}]}" &&
	run pm-fetch markets $FAST --partitions 1 && expect_status 1 &&
	test_count raw out 1 && test_count failure out 3 &&
	jq_all "select(.kind==\"raw\") | .payload.id==\"999\"" out &&
	jq_all "select(.kind==\"failure\") | .reason==\"fetch_failed\" and
		.retriable==false and .stage==\"fetch\" and
		(.url|startswith(\"$FAKE_URL/markets/keyset?\")) and
		(.detail|test(\"^\\\\.markets\\\\[[0-2]\\\\] is (a number|a string|null), not an object\"))" out &&
	test_grep "markets\[2\] is null, not an object" err &&
	answer /markets "[{\"id\":\"998\"},true]" &&
	run pm-fetch markets --pagination offset $FAST --partitions 1 &&
	expect_status 1 && test_count raw out 1 && test_count failure out 1 &&
	test_grep "\.\[1\] is a boolean, not an object" err
'

test_expect_success 'a legacy listing page that is not an array: retriable failure' '
	answer /markets "{\"error\":\"x\"}" &&
	run pm-fetch markets --pagination offset --partitions 1 $FAST && failed /markets 3
'

test_expect_success '/trades answered 200 {"error":...}: a retriable failure' '
	answer /trades "{\"error\":\"x\"}" &&
	run pm-fetch trades $FAST "$TMP/two.ndjson" && expect_status 1 &&
	test_count failure out -ge 1 && test_count raw out 0 &&
	jq_all "select(.kind==\"failure\") | .retriable==true and
		(.detail|test(\"wrong shape\"))" out
'
test_done
