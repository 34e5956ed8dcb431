#!/bin/bash
# pm-normalize on CLOB /book answers: level 0 is the best quote whatever
# order the levels come in, and a level that is not one fails the book
# in pm-normalize, not later in pm-store with the price records stored.
. "$(dirname "$0")/lib.sh"

# book SIDES: a raw /book record whose payload has SIDES ("bids":...,
# "asks":...)
book() {
	rec_raw clob book '{"token_id":"5","market_id":"9","outcome":"Yes"}' \
	    "{\"market\":\"0xab\",\"asset_id\":\"5\",\"timestamp\":\"1774166201606\",\"hash\":\"h\",$1}"
}
lv() { printf '{"price":"%s","size":"%s"}' "$1" "$2"; }

test_expect_success 'levels out of order: level 0 is the best, and so is its price record' '
	book "\"bids\":[$(lv 0.5 3),$(lv 0.3 1),$(lv 0.4 2)],\"asks\":[$(lv 0.6 2),$(lv 0.8 1),$(lv 0.7 4)]" >in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 0 &&
	jq -c "select(.kind==\"price\") | [.side, .price]" out >got &&
	printf "[\"buy\",0.5]\n[\"sell\",0.6]\n" >want && test_cmp want got &&
	jq -c "select(.kind==\"book\") | [(.bids, .asks)[] | [.level, .price]]" out >got &&
	echo "[[0,0.5],[2,0.3],[1,0.4],[0,0.6],[2,0.8],[1,0.7]]" >want &&
	test_cmp want got
'

test_expect_success 'levels in the CLOB order (best last) and equal prices: numbered from the last' '
	book "\"bids\":[$(lv 0.3 1),$(lv 0.4 2),$(lv 0.4 3)],\"asks\":[$(lv 0.7 1),$(lv 0.6 2)]" >in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 0 &&
	jq -c "select(.kind==\"book\") | [(.bids, .asks)[] | [.level, .size]]" out >got &&
	echo "[[2,1],[1,2],[0,3],[1,1],[0,2]]" >want && test_cmp want got
'

test_expect_success 'a level without size, a price out of [0, 1], a negative size: a failure naming it, no record' '
	for l in "$(lv 0.4 x | sed "s/,\"size\":\"x\"//")|bids\[1\]: size missing" \
	    "$(lv 1.4 2)|bids\[1\]: price 1.4 is outside \[0, 1\]" \
	    "$(lv 0.4 -2)|bids\[1\]: size -2 is negative" \
	    "$(lv 0.4 "")|bids\[1\]: size is an empty string" \
	    "$(lv 0.4 1e400)|bids\[1\]: size is not a number: \"1e400\"" \
	    "7|bids\[1\] is not an object"; do
		book "\"bids\":[$(lv 0.3 1),${l%%|*}],\"asks\":[]" >in.ndjson &&
		run pm-normalize -R in.ndjson && expect_status 1 &&
		test_count failure out 1 && test_count price out 0 &&
		test_count book out 0 &&
		test_grep "^pm-normalize: in.ndjson:1: market 9: ${l#*|}" err &&
		test_grep "\"reason\":\"normalization_failed\"" out ||
		{ say "$l"; return 1; }
	done
'

test_expect_success 'an ask level bad: the best bid is not written either' '
	book "\"bids\":[$(lv 0.3 1)],\"asks\":[$(lv 0.7 1),{\"price\":\"0.6\"}]" >in.ndjson &&
	run pm-normalize in.ndjson && expect_status 1 &&
	test_count raw out 1 && test_count price out 0 && test_count book out 0 &&
	test_grep "in.ndjson:1: market 9: asks\[1\]: size missing" err
'

test_expect_success 'a size of 0 is a level; bids null (a Go empty slice) is no bid' '
	book "\"bids\":null,\"asks\":[$(lv 0.6 0)]" >in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 0 &&
	jq -c "select(.kind==\"book\") | [.bids, .asks]" out >got &&
	echo "[[],[{\"level\":0,\"price\":0.6,\"size\":0}]]" >want && test_cmp want got &&
	test_count price out 1
'

test_expect_success 'bids or asks missing, or not an array: not a book, a failure' '
	book "\"asks\":[]" >in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 1 &&
	test_count book out 0 && test_grep "in.ndjson:1: market 9: bids missing" err &&
	book "\"bids\":[],\"asks\":{}" >in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 1 &&
	test_count book out 0 && test_grep "in.ndjson:1: market 9: asks is not an array" err
'

test_expect_success 'what pm-normalize writes of a book pm-store takes whole' '
	book "\"bids\":[$(lv 0.5 3),$(lv 0.3 1)],\"asks\":[$(lv 0.6 2)]" >in.ndjson &&
	pm-normalize in.ndjson >norm.ndjson &&
	run pm-store --db a.db norm.ndjson && expect_status 0 &&
	sqlite3 a.db "SELECT side, level, price FROM books ORDER BY side, level" >got &&
	printf "ask|0|0.6\nbid|0|0.5\nbid|1|0.3\n" >want && test_cmp want got
'
# a failure in a pipe names a line gone with the run: the market the
# request names is what says which one lost its book or history
test_expect_success 'a single-token CLOB answer that fails names its request'\''s market' '
	book "\"bids\":[$(lv 0.3 1),{\"price\":\"0.2\"}],\"asks\":[]" >in.ndjson &&
	rec_raw clob midpoint "{\"token_id\":\"5\",\"market_id\":\"9\"}" "{\"mid\":\"2\"}" >>in.ndjson &&
	rec_raw clob prices-history "{\"market\":\"5\",\"market_id\":9}" \
	    "{\"history\":[{\"t\":1774166201,\"p\":0.5},{\"t\":1774166261,\"p\":7}]}" >>in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 1 &&
	jq -r "select(.kind==\"failure\") | [.input, .market_id, .detail] | @tsv" out >got &&
	printf "%s\t%s\t%s\n" in.ndjson:1 9 "bids[1]: size missing" \
	    in.ndjson:2 9 "price 2 is outside [0, 1]" \
	    in.ndjson:3 9 "history[1]: price 7 is outside [0, 1]" >want &&
	test_cmp want got
'
test_done
