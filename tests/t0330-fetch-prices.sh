#!/bin/bash
# pm-fetch prices|history: filters over market records.  Every input record
# goes through unchanged and in order; raw price records follow for the
# tokens, and pm-normalize turns them into price records of that market.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

fake_start clob --markets 300 --log "$TMP/clob.log"

pm-fetch markets --closed any --rate markets=100000/10 2>/dev/null |
    pm-normalize -R >"$TMP/markets.ndjson"
# the tokens a market record names, as "market_id outcome token_id"
jq -r ".market_id as \$m | .contracts[] | select(.token_id) |
	\"\(\$m) \(.outcome) \(.token_id)\"" "$TMP/markets.ndjson" | sort -u >"$TMP/tokens"
jq -c "select(.contracts[0].token_id != null)" "$TMP/markets.ndjson" | head -1 >"$TMP/one.ndjson"

test_expect_success 'the market records to start from' '
	test_count market "$TMP/markets.ndjson" 407 &&
	test_line_count "$TMP/tokens" -gt 700 &&
	jq_all "select(.contracts[0].token_id == null)" "$TMP/markets.ndjson"
'

test_expect_success 'prices: input passes through unchanged and in order' '
	{ echo "{\"kind\":\"run\",\"run_id\":\"r1\"}"; cat "$TMP/markets.ndjson";
	  echo "{\"kind\":\"skip\",\"event_key\":\"e\",\"why\":\"x\"}"; } >in.ndjson &&
	run pm-fetch prices in.ndjson && expect_status 0 &&
	grep -v "^{\"kind\":\"raw\"" out >passed && test_cmp in.ndjson passed
'

test_expect_success 'prices: POST /prices in batches, every token once, both sides' '
	: >"$TMP/clob.log" &&
	run pm-fetch prices --batch 100 "$TMP/markets.ndjson" && expect_status 0 &&
	n=$(wc -l <"$TMP/tokens") &&
	test_num "$(grep -c "^POST /prices" "$TMP/clob.log")" -eq $(( (n + 99) / 100 )) &&
	jq -r "select(.kind==\"raw\") | .request.tokens | to_entries[] |
		\"\(.value.market_id) \(.value.outcome) \(.key)\"" out | sort >asked &&
	test_cmp "$TMP/tokens" asked &&
	jq_all "select(.kind==\"raw\") | .source==\"clob\" and .endpoint==\"prices\" and
		.url==\"$FAKE_URL/prices\"" out &&
	jq -r "select(.kind==\"raw\") | .payload[] | keys_unsorted | join(\",\")" out |
		sort -u >sides && echo BUY,SELL >want && test_cmp want sides
'

test_expect_success 'prices | pm-normalize: a buy and a sell price per token, with market and outcome' '
	pm-fetch prices "$TMP/markets.ndjson" >raw.ndjson &&
	run pm-normalize -R raw.ndjson && expect_status 0 &&
	jq -r "select(.kind==\"price\") | \"\(.market_id) \(.outcome) \(.token_id)\"" out |
		sort -u >got && test_cmp "$TMP/tokens" got &&
	test_count price out $((2 * $(wc -l <"$TMP/tokens"))) &&
	jq -r "select(.kind==\"price\") | .price | type" out | sort -u | test_grep -x number
'

test_expect_success 'a token met twice is asked for once' '
	cat "$TMP/markets.ndjson" "$TMP/markets.ndjson" >twice.ndjson &&
	run pm-fetch prices --endpoint midpoint twice.ndjson && expect_status 0 &&
	test_count raw out "$(wc -l <"$TMP/tokens")" &&
	test_count market out 814
'

test_expect_success 'per-token endpoints: price (both sides), midpoint, book, last-trade-price' '
	head -20 "$TMP/markets.ndjson" >few.ndjson &&
	n=$(jq -r ".contracts[] | .token_id // empty" few.ndjson | sort -u | wc -l) &&
	for ep in price midpoint book last-trade-price; do
		pm-fetch prices --endpoint $ep few.ndjson >raw.$ep &&
		pm-normalize -R raw.$ep >norm.$ep || return 1
	done &&
	test_count raw raw.price $((2 * n)) &&
	jq -r "select(.kind==\"raw\") | .request.side" raw.price | sort | uniq -c |
		awk "{print \$1}" | sort -u | test_grep -x "$n" &&
	test_count price norm.price $((2 * n)) &&
	test_count price norm.midpoint "$n" &&
	test_count price norm.book "$n" &&
	test_count price norm.last-trade-price "$n" &&
	jq_all "select(.kind==\"raw\") | (.url|test(\"/price[?]token_id=[0-9]+&side=(BUY|SELL)$\")) and
		.request.market_id and .request.outcome" raw.price &&
	pm-fetch prices --endpoint price --side SELL few.ndjson >sell &&
	test_count raw sell "$n" &&
	jq -r "select(.kind==\"raw\") | .request.side" sell | sort -u | test_grep -x SELL
'

test_expect_success 'history: /prices-history per token, interval and fidelity sent and recorded' '
	head -10 "$TMP/markets.ndjson" >few.ndjson &&
	n=$(jq -r ".contracts[] | .token_id // empty" few.ndjson | sort -u | wc -l) &&
	: >"$TMP/clob.log" &&
	run pm-fetch history --interval 1w --fidelity 60 few.ndjson && expect_status 0 &&
	test_count raw out "$n" && test_count market out 10 &&
	test_num "$(grep -c "^GET /prices-history?market=[0-9]*&interval=1w&fidelity=60$" "$TMP/clob.log")" -eq "$n" &&
	jq_all "select(.kind==\"raw\") | .endpoint==\"prices-history\" and .request.interval==\"1w\" and
		.request.fidelity==\"60\" and .request.token_id and .request.market_id" out &&
	mv out raw.ndjson && run pm-normalize -R raw.ndjson && expect_status 0 &&
	test_count price out $((4 * n)) &&
	jq -r "select(.kind==\"price\") | .side" out | sort -u | test_grep -x history
'

test_expect_success 'history with a start and an end instead of an interval' '
	head -3 "$TMP/markets.ndjson" >few.ndjson &&
	: >"$TMP/clob.log" &&
	run pm-fetch history --start-ts 1774165200 --end-ts 1774169100 --fidelity 5 few.ndjson &&
	expect_status 0 &&
	test_grep "^GET /prices-history?market=[0-9]*&fidelity=5&startTs=1774165200&endTs=1774169100$" "$TMP/clob.log" &&
	test_grep -v interval= "$TMP/clob.log" &&
	jq_all "select(.kind==\"raw\") | .request.startTs==\"1774165200\" and .request.endTs==\"1774169100\"" out
'

# The CLOB refuses a window of some two weeks ("interval is too long"):
# one given is asked a day a request, as one from a watermark is.
test_expect_success 'history over a window of 20 days: a day a request, each token all of it' '
	head -3 "$TMP/markets.ndjson" >few.ndjson &&
	: >"$TMP/clob.log" &&
	end=1774166400 start=$((1774166400 - 20 * 86400)) &&
	run pm-fetch history --start-ts $start --end-ts $end --fidelity 60 few.ndjson &&
	expect_status 0 && not test_grep "\"kind\":\"failure\"" out &&
	sed -n "s/^GET .*market=\([0-9]*\)&fidelity=60&startTs=\([0-9]*\)&endTs=\([0-9]*\)$/\1 \2 \3/p" \
	    "$TMP/clob.log" | sort >asked &&
	test_line_count asked "$(wc -l <"$TMP/clob.log")" &&
	cut -d" " -f1 asked | sort -u >tokens &&
	test_line_count tokens -gt 0 &&
	test_line_count asked $((20 * $(wc -l <tokens))) &&
	awk -v s=$start -v e=$end "\$3 - \$2 != 86400 || \$2 < s || \$3 > e" asked >bad &&
	test ! -s bad &&
	# every token: a point each hour of the window, both ends on the hour
	pm-normalize <out | jq -r "select(.kind == \"price\") | \"\(.token_id) \(.ts)\"" |
	    sort -u | cut -d" " -f1 | uniq -c | awk "{ print \$1 }" | sort -u >counts &&
	echo $((20 * 24 + 1)) >want && test_cmp want counts &&
	# without --end-ts the window ends at the run clock (--now)
	: >"$TMP/clob.log" &&
	run pm-fetch history --start-ts $((end - 2 * 86400)) --now 2026-03-22T08:00:00Z \
	    few.ndjson && expect_status 0 &&
	test_grep "&startTs=$((end - 86400))&endTs=$end$" "$TMP/clob.log" &&
	test_grep "&startTs=$((end - 2 * 86400))&endTs=$((end - 86400))$" "$TMP/clob.log" &&
	test_line_count "$TMP/clob.log" $((2 * $(wc -l <tokens)))
'

test_expect_success 'an interval with a window, an end alone or before the start is a usage error: nothing asked' '
	jq -c "select(.contracts[0].token_id != null)" "$TMP/markets.ndjson" |
		head -3 >few.ndjson &&
	ntok=$(jq -s "map(.contracts[].token_id | select(.)) | length" few.ndjson) &&
	test "$ntok" -ge 3 &&
	: >"$TMP/clob.log" &&
	run pm-fetch history --interval 1w --start-ts 1774165200 few.ndjson &&
	expect_status 2 &&
	test_grep "interval and --start-ts, --end-ts exclude each other" err &&
	run pm-fetch history --end-ts 1774169100 few.ndjson &&
	expect_status 2 &&
	test_grep "end-ts needs --start-ts" err &&
	not test -s out &&
	run pm-fetch history --start-ts 1774169100 --end-ts 1774165200 few.ndjson &&
	expect_status 2 &&
	test_grep "^pm-fetch: --end-ts 1774165200 is before --start-ts 1774169100$" err &&
	not test -s out &&
	# without --end-ts the window ends at the run'"'"'s clock: a start
	# after it is no window either (before, startTs alone was asked)
	run pm-fetch history --start-ts 1774169100 --now 2026-03-22T07:00:00Z \
	    few.ndjson &&
	expect_status 2 &&
	test_grep "^pm-fetch: --start-ts 1774169100 is after the run'"'"'s clock" err &&
	not test -s out &&
	PM_NOW=2026-03-22T08:44:59Z run pm-fetch history --start-ts 1774169100 \
	    few.ndjson &&
	expect_status 2 && not test -s out &&
	not test -s "$TMP/clob.log" &&
	# at the clock it is a window of that instant, asked with its end
	run pm-fetch history --start-ts 1774169100 --now 2026-03-22T08:45:00Z \
	    few.ndjson &&
	expect_status 0 && test_line_count "$TMP/clob.log" "$ntok" &&
	test "$(grep -c "startTs=1774169100&endTs=1774169100" "$TMP/clob.log")" -eq "$ntok"
'

test_expect_success 'prices under faults: each token still answered once' '
	fake_reset && fake_control "{\"every_429\":5,\"every_5xx\":7,\"every_drop\":11}" &&
	test_when_finished fake_control "{\"every_429\":0,\"every_5xx\":0,\"every_drop\":0}" &&
	run pm-fetch prices --endpoint midpoint --backoff 5 --attempts 15 "$TMP/markets.ndjson" &&
	expect_status 0 &&
	test_count raw out "$(wc -l <"$TMP/tokens")" &&
	jq -r "select(.kind==\"raw\") | .request.token_id" out | sort -u | wc -l |
		test_grep -x "$(wc -l <"$TMP/tokens")"
'

test_expect_success 'a token with no book: a failure record, the rest go on, exit 1' '
	printf "%s\n" "{\"kind\":\"market\",\"market_id\":\"1\",\"contracts\":[{\"outcome\":\"Yes\",\"token_id\":\"123\"},{\"outcome\":\"No\",\"token_id\":null}]}" >in.ndjson &&
	head -2 "$TMP/markets.ndjson" >>in.ndjson &&
	run pm-fetch prices --endpoint book in.ndjson && expect_status 1 &&
	test_count failure out 1 && test_count market out 3 &&
	jq_all "select(.kind==\"failure\") | .retriable == false and (.detail|test(\"HTTP 404\")) and
		.market_id == \"1\" and .url == \"$FAKE_URL/book?token_id=123\"" out &&
	test_grep "^pm-fetch: $FAKE_URL/book: market 1: HTTP 404" err &&
	test_grep -v "token_id=" err &&
	test_count raw out -ge 2
'

# The CLOB has no book of a market closed since its record was fetched:
# POST /prices leaves its tokens out of the answer (the single-token
# endpoints answer 404).  Each is a skip record naming it, not a token
# silently without a price, nor a failure: a market that closed does
# not make the run partial.
test_expect_success 'prices: a token the POST /prices answer leaves out is a skip record naming it, exit 0' '
	jq -c "select(.closed == false and ([.contracts[].token_id // empty] | length) == 2)" \
	    "$TMP/markets.ndjson" | tail -1 >gone.ndjson &&
	id=$(jq -r .market_id gone.ndjson) &&
	curl -sf -X POST --data "{\"id\":\"$id\"}" "$FAKE_URL/_close" >/dev/null &&
	cat "$TMP/one.ndjson" gone.ndjson >in.ndjson &&
	run pm-fetch prices in.ndjson && expect_status 0 &&
	test_count raw out 1 && test_count skip out 2 && test_count failure out 0 &&
	jq -r ".contracts[].token_id" gone.ndjson | sort >want &&
	jq -r "select(.kind==\"skip\") | .token_id" out | sort >got && test_cmp want got &&
	jq_all "select(.kind==\"skip\") | .stage==\"fetch\" and .why==\"no_order_book\" and
		.market_id==\"$id\" and (keys | length) == 5" out &&
	pm-normalize -R out >norm &&
	test_count price norm $((2 * $(jq "[.contracts[].token_id // empty] | length" "$TMP/one.ndjson"))) &&
	pm-store --db skip.db <out >stored 2>err &&
	test_eq 2 "$(jq -r "select(.kind==\"skip\") | .stored" stored | grep -c skipped)"
'

test_expect_success 'a bad input line is a bad_record failure; the others go on' '
	{ echo "not json"; cat "$TMP/one.ndjson"; } >in.ndjson &&
	run pm-fetch prices in.ndjson && expect_status 1 &&
	jq_all "select(.kind==\"failure\") | .reason==\"bad_record\" and .input==\"in.ndjson:1\"" out &&
	test_count market out 1 && test_count raw out 1
'

test_expect_success 'prices reads standard input; nothing in, nothing out' '
	pm-fetch prices </dev/null >out && test ! -s out &&
	pm-fetch prices <"$TMP/one.ndjson" >out && test_count raw out 1
'
test_done
