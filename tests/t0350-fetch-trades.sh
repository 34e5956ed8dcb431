#!/bin/bash
# pm-fetch trades: a filter over market records that pages the Data API's
# /trades by offset and, past the offset cap, by narrower start/end
# windows, so a market's trades come whole however many; a user's trades
# bring their markets in; the unscoped feed says where it stops.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

fake_start big --markets 1 --only-synthetic --trades 25000 \
    --trades-offset-cap 3000 --trades-page-cap 1000 --log "$TMP/big.log"
BIG=$FAKE_URL
pm-fetch markets 2>/dev/null | pm-normalize -R >"$TMP/big.ndjson"

# distinct fills of the raw pages: the fields that tell them apart
fills() {
	jq -r 'select(.kind=="raw" and .endpoint=="trades") | .payload[] |
		[.transactionHash, .proxyWallet, .side, .asset, .price, .size,
		 .timestamp] | @tsv' "$1" | sort -u
}

test_expect_success 'the market to start from' '
	test_count market "$TMP/big.ndjson" 1
'

test_expect_success '25,000 trades behind an offset cap of 3,000 and a page cap of 1,000: all of them' '
	: >"$TMP/big.log" &&
	run pm-fetch trades --taker-only false --page-size 1000 \
		--rate trades=100000/10 "$TMP/big.ndjson" &&
	expect_status 0 &&
	test_count market out 1 && test_count failure out 0 &&
	fills out >fills && test_line_count fills 25000 &&
	cp fills "$TMP/all.fills" &&
	grep -c "^GET /trades" "$TMP/big.log" >n &&
	test_num "$(cat n)" -lt 40 "requests" &&
	test_grep "end=" "$TMP/big.log" &&
	jq_all "select(.kind==\"raw\") | .source==\"data\" and
		.endpoint==\"trades\" and (.url | startswith(\"$BIG/trades?\"))" out
'

test_expect_success 'the offset cap answered 400 once; later windows narrow before it' '
	grep "offset=4000" "$TMP/big.log" >over &&
	test_line_count over 1 && test_grep "^GET /trades?market=" over
'

# The recorded page has 4 transactions in its 20 rows: 4 taker rows.
test_expect_success 'takerOnly by default: the taker rows only' '
	run pm-fetch trades --page-size 1000 --rate trades=100000/10 \
		"$TMP/big.ndjson" && expect_status 0 &&
	fills out >fills && test_line_count fills 5000 &&
	cut -f1 fills | sort | uniq -d >twice && test_line_count twice 0
'

test_expect_success 'a watermark on the market record: only trades since then' '
	newest=$(cut -f7 "$TMP/all.fills" | sort -n | tail -1) &&
	since=$(date -u -d "@$((newest - 7200))" +%Y-%m-%dT%H:%M:%SZ) &&
	awk -F "\t" -v t=$((newest - 7200)) "\$7 >= t" "$TMP/all.fills" >want &&
	test_num "$(wc -l <want)" -gt 20 &&
	jq -c ". + {trades_since: \"$since\"}" "$TMP/big.ndjson" >wm.ndjson &&
	: >"$TMP/big.log" &&
	run pm-fetch trades --taker-only false --page-size 1000 wm.ndjson &&
	expect_status 0 &&
	test_line_count "$TMP/big.log" 1 &&
	test_grep "start=$((newest - 7200))" "$TMP/big.log" &&
	fills out >fills && test_cmp want fills
'

test_expect_success '--since is the start of every market without a later watermark' '
	: >"$TMP/big.log" &&
	run pm-fetch trades --since 2020-01-01T00:00:00Z --page-size 10 \
		--rate trades=100000/10 "$TMP/big.ndjson" &&
	expect_status 0 && test_grep "start=1577836800" "$TMP/big.log"
'

test_expect_success 'the unscoped feed past its cap: a failure record says so' '
	run pm-fetch trades --feed --page-size 1000 --rate trades=100000/10 \
		</dev/null &&
	expect_status 1 &&
	test_count failure out 1 &&
	jq -r "select(.kind==\"failure\") | .detail" out | test_grep "unscoped trades feed stops at offset" &&
	fills out >fills && test_line_count fills 4000
'

test_expect_success 'usage: --user and --feed exclude each other; trades options elsewhere are refused' '
	run pm-fetch trades --feed --user 0x0000000000000000000000000000000000000001 </dev/null &&
	expect_status 2 &&
	run pm-fetch trades --user 0x12 </dev/null && expect_status 2 &&
	test_grep "not a wallet address" err &&
	run pm-fetch prices --taker-only false </dev/null && expect_status 2 &&
	run pm-fetch trades --filter-type CASH </dev/null && expect_status 2
'

test_expect_success 'a bad --since or --start is named as typed' '
	run pm-fetch trades --since 2026-02-30T00:00:00Z </dev/null &&
	expect_status 2 && test ! -s out &&
	test_grep "^pm-fetch: --since: \"2026-02-30T00:00:00Z\" is not a" err &&
	run pm-fetch trades --start 2026-02-30T00:00:00Z </dev/null &&
	expect_status 2 &&
	test_grep "^pm-fetch: --start: \"2026-02-30T00:00:00Z\" is not a" err
'

test_expect_success 'an --end before --start is a usage error: nothing asked' '
	: >"$TMP/big.log" &&
	run pm-fetch trades --start 2026-01-02T00:00:00Z --end 1767225600 \
		"$TMP/big.ndjson" &&
	expect_status 2 &&
	test_grep "^pm-fetch: --end 1767225600 is before --start 1767312000$" err &&
	not test -s out &&
	run pm-fetch trades --user 0x0000000000000000000000000000000000000001 \
		--since 1767225601 --end 2026-01-01T00:00:00Z </dev/null &&
	expect_status 2 &&
	test_grep "^pm-fetch: --end 1767225600 is before --since 1767225601$" err &&
	not test -s "$TMP/big.log" &&
	run pm-fetch trades --start 1767225600 --end 1767225600 \
		"$TMP/big.ndjson" &&
	expect_status 0 && test_grep "start=1767225600&end=1767225600" "$TMP/big.log"
'

fake_start many --markets 12 --closed-every 3 --log "$TMP/many.log"
# a wallet of the recorded trades: it trades in every cloned market
USER_ADDR=0xbefa95c276ee8ef6ff3ef43d1c1c454f52bc300d
pm-fetch markets --closed any 2>/dev/null | pm-normalize -R >"$TMP/all.ndjson"
jq -c "select(.closed == false)" "$TMP/all.ndjson" >"$TMP/open.ndjson"

test_expect_success 'a user'\''s trades in markets not read bring those markets in' '
	: >"$TMP/many.log" &&
	run pm-fetch trades --user $USER_ADDR --taker-only false \
		"$TMP/open.ndjson" &&
	expect_status 0 && test_count failure out 0 &&
	jq -r "select(.kind==\"raw\" and .endpoint==\"trades\") | .payload[].conditionId" out |
		sort -u >traded &&
	jq -r "select(.kind==\"raw\" and .endpoint==\"markets\") | .payload.conditionId" out |
		sort -u >fetched &&
	jq -r ".condition_id" "$TMP/open.ndjson" | sort -u >read &&
	sort -u read fetched >known &&
	comm -23 traded known >orphans && test_line_count orphans 0 &&
	test_line_count fetched -gt 0 &&
	comm -12 fetched read >twice && test_line_count twice 0 &&
	test_grep "condition_ids=" "$TMP/many.log" &&
	test_grep "closed=true" "$TMP/many.log" &&
	jq_all "select(.kind==\"raw\" and .endpoint==\"markets\") | .payload.closed" out
'

test_expect_success 'pm-normalize | pm-store: no stored trade lacks its market' '
	pm-fetch trades --user $USER_ADDR --taker-only false </dev/null |
		pm-normalize -R >norm.ndjson &&
	pm-store --db db.sqlite <norm.ndjson >/dev/null 2>&1 &&
	sqlite3 db.sqlite "SELECT count(*) FROM trades" >n && test_num "$(cat n)" -gt 0 &&
	sqlite3 db.sqlite "SELECT count(*) FROM trades t WHERE NOT EXISTS
		(SELECT 1 FROM markets m WHERE m.condition_id = t.condition_id)" >n &&
	test_eq 0 "$(cat n)" "trades without a market"
'

test_expect_success 'markets are batched into market= lists' '
	: >"$TMP/many.log" &&
	run pm-fetch trades --batch 5 "$TMP/all.ndjson" && expect_status 0 &&
	n=$(jq -r "select(.condition_id != null) | .condition_id" "$TMP/all.ndjson" | sort -u | wc -l) &&
	grep -c "^GET /trades" "$TMP/many.log" >got &&
	test_eq $(( (n + 4) / 5 )) "$(cat got)" &&
	grep -o "market=[^&]*" "$TMP/many.log" | head -1 | sed "s/%2C/\\n/g" >ids &&
	test_line_count ids 5
'

test_expect_success 'Gamma not reached: the lookups fail, no market is said unknown to it' '
	PM_GAMMA_URL=http://127.0.0.1:9 run pm-fetch trades --user $USER_ADDR \
		--taker-only false --attempts 1 </dev/null &&
	expect_status 1 &&
	jq -r "select(.kind==\"failure\") | .url" out >failed &&
	test_line_count failed -gt 0 &&
	test_grep -v "^null$" failed && test_grep "condition_ids=" failed &&
	test_grep -v "no market on Gamma" err &&
	test_grep "^pm-fetch: http://127.0.0.1:9/markets: .* after 1 attempt$" err &&
	test_grep -v "condition_ids=" err
'

test_expect_success 'the Data API not reached: its URL, no query, on stderr' '
	run pm-fetch trades --user $USER_ADDR --data-url http://127.0.0.1:9 \
		--attempts 1 </dev/null &&
	expect_status 3 &&
	test_grep "^pm-fetch: http://127.0.0.1:9/trades: .* after 1 attempt$" err &&
	test_grep -v "user=" err
'

test_expect_success 'a string cut inside a character: said with no query (no wallet)' '
	fake_control "{\"answer_200\":{\"/trades\":[[{\"proxyWallet\":\"$USER_ADDR\",\"title\":\"cut \\ud83d\",\"side\":\"BUY\"}],1]}}" >/dev/null &&
	run pm-fetch trades --user $USER_ADDR --attempts 1 </dev/null &&
	test_grep "^pm-fetch: $FAKE_URL/trades: 1 lone UTF-16 surrogate replaced by U+FFFD$" err &&
	! grep -i "$USER_ADDR" err
'

MANY=$FAKE_URL
fake_start other --markets 1 --only-synthetic

test_expect_success 'markets Gamma does not know: a failure record each' '
	PM_DATA_URL=$MANY run pm-fetch trades --user $USER_ADDR \
		--taker-only false </dev/null &&
	expect_status 1 &&
	jq -r "select(.kind==\"raw\" and .endpoint==\"trades\") |
		.payload[].conditionId" out | sort -u >traded &&
	jq -r "select(.kind==\"failure\") | .detail" out >details &&
	jq -r "select(.kind==\"raw\" and .endpoint==\"markets\") |
		.payload.conditionId" out | sort -u >fetched &&
	comm -23 traded fetched >unknown && test_line_count unknown -gt 0 &&
	sed -n "s/^no market on Gamma for condition id //p" details |
		sed "s/:.*//" | sort >said &&
	test_cmp unknown said && test_line_count details "$(wc -l <said)"
'

# The Data API may cut a page to its own most without a word (its
# documentation has said 500, then 10,000): over 500, a page short of
# --page-size is not the last until a page has had more rows.
fake_start cap --markets 1 --only-synthetic --trades 1200 \
    --trades-page-cap 500 --log "$TMP/cap.log"
pm-fetch markets 2>/dev/null | pm-normalize -R >"$TMP/cap.ndjson"

test_expect_success '--page-size 1000, pages cut to 500: every trade, no request more' '
	test_count market "$TMP/cap.ndjson" 1 &&
	: >"$TMP/cap.log" &&
	run pm-fetch trades --taker-only false --page-size 1000 \
		"$TMP/cap.ndjson" &&
	expect_status 0 && test_count failure out 0 &&
	fills out >got && test_line_count got 1200 &&
	grep "^GET /trades" "$TMP/cap.log" >asked && test_line_count asked 3 &&
	test_grep "limit=1000&offset=1000" asked &&
	run pm-fetch trades --taker-only false --page-size 5000 \
		"$TMP/cap.ndjson" &&
	expect_status 0 && fills out >got && test_line_count got 1200
'

test_expect_success '--filter-amount takes a decimal amount, as the API does' '
	: >"$TMP/cap.log" &&
	run pm-fetch trades --filter-type CASH --filter-amount 0.5 \
		"$TMP/cap.ndjson" &&
	expect_status 0 && test_grep "filterType=CASH&filterAmount=0.5&" "$TMP/cap.log" &&
	for bad in 1e3 -1 . 0x10 1000000000001; do
		run pm-fetch trades --filter-type CASH --filter-amount "$bad" \
			"$TMP/cap.ndjson" &&
		expect_status 2 &&
		test_grep "^pm-fetch: --filter-amount: \"$bad\" is not a" err || return 1
	done
'

test_expect_success '--page-size 500 (the default): a short page is the last' '
	: >"$TMP/cap.log" &&
	run pm-fetch trades "$TMP/cap.ndjson" &&
	expect_status 0 && fills out >got && test_line_count got 240 &&
	grep "^GET /trades" "$TMP/cap.log" >asked && test_line_count asked 1
'

test_expect_success 'a server that ignores offset: a retriable failure, not the same page to the cap' '
	fake_control "{\"trades_ignore_offset\": true}" &&
	: >"$TMP/cap.log" &&
	run pm-fetch trades --taker-only false "$TMP/cap.ndjson" &&
	fake_control "{\"trades_ignore_offset\": false}" &&
	expect_status 1 &&
	grep "^GET /trades" "$TMP/cap.log" >asked && test_line_count asked 3 &&
	test_count raw out 2 && test_count failure out 1 &&
	jq_all "select(.kind==\"failure\") | .retriable and
		(.detail | test(\"offset 1000 is the one before it again.*ignores offset\"))" out &&
	test_grep "^pm-fetch: $FAKE_URL/trades: the page at offset 1000" err
'

test_done
