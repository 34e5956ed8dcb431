#!/bin/bash
# Order books: pm-normalize makes a book record of every /book answer,
# every level of both sides best first, besides the best bid and ask
# price records; pm-store keeps them level by level per snapshot, and the
# book_summary view gives spread and depth near the midpoint.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"

book_raw() {
	rec_raw clob book '{"token_id":"1","market_id":"9","outcome":"Yes"}' \
	    "$(tr -d "\n" <"$FIXTURES/$1")"
}

test_expect_success 'a recorded book: one book record, every level, best first' '
	book_raw clob-book-estevaogn-1.json >in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 0 &&
	test_count price out 2 && test_count book out 1 &&
	jq -c "select(.kind==\"book\") | [(.bids | length), (.asks | length),
		.bids[-1].level, .bids[-1].price, .asks[-1].level, .asks[-1].price,
		.ts, .market_id]" out >got &&
	echo "[19,41,0,0.02,0,0.022,\"2026-05-02T01:45:47.017Z\",\"9\"]" >want &&
	test_cmp want got &&
	jq -c "[.bids[] | [.price, .size]]" "$FIXTURES/clob-book-estevaogn-1.json" |
		jq -c "map(map(tonumber))" >want &&
	jq -c "select(.kind==\"book\") | [.bids[] | [.price, .size]]" out >got &&
	test_cmp want got
'

# the best bid's price record was written before the best ask failed
test_expect_success 'a book with a bad best ask: a failure, no record of it at all' '
	rec_raw clob book "{\"token_id\":\"1\",\"market_id\":\"9\",\"outcome\":\"Yes\"}" \
	    "$(tr -d "\n" <"$FIXTURES/clob-book-estevaogn-1.json" | jq -c ".asks[-1].price = \"1.5\"")" >in.ndjson &&
	run pm-normalize in.ndjson && expect_status 1 &&
	test_count price out 0 && test_count book out 0 && test_count failure out 1 &&
	test_grep "in.ndjson:1: market 9: asks\[40\]: price 1.5 is outside \[0, 1\]" err &&
	rec_raw clob book "{\"token_id\":\"1\",\"market_id\":\"9\",\"outcome\":\"Yes\"}" \
	    "$(tr -d "\n" <"$FIXTURES/clob-book-estevaogn-1.json" | jq -c ".bids[0].size = \"x\"")" >in.ndjson &&
	run pm-normalize in.ndjson && expect_status 1 &&
	test_count price out 0 && test_count book out 0 && test_count failure out 1
'

test_expect_success 'a book with no bids: an empty side, no best bid' '
	book_raw clob-book-ra1nty-1.json >in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 0 &&
	test_count book out 1 && test_count price out 1 &&
	jq -e "select(.kind==\"book\") | (.bids == []) and (.asks | length) == 104" out
'

test_expect_success 'stored level by level per snapshot; a second run adds nothing' '
	book_raw clob-book-estevaogn-1.json | pm-normalize >in.ndjson &&
	run pm-store --db a.db in.ndjson && expect_status 0 &&
	sqlite3 a.db "SELECT side, count(*), min(level), max(level) FROM books GROUP BY side" >got &&
	printf "ask|41|0|40\nbid|19|0|18\n" >want && test_cmp want got &&
	sqlite3 a.db "SELECT price, size FROM books WHERE side = '\''bid'\'' AND level = 3" >got &&
	test_eq "0.017|9900.89" "$(cat got)" &&
	run pm-store --db a.db in.ndjson && expect_status 0 &&
	jq -r "select(.kind==\"book\") | .stored" out | test_grep -x unchanged &&
	test_eq 60 "$(sqlite3 a.db "SELECT count(*) FROM books")"
'

test_expect_success 'book_summary: spread and depth within 1% and 5% of the midpoint' '
	book_raw clob-book-estevaogn-1.json | pm-normalize | pm-store --db a.db >/dev/null 2>&1 &&
	sqlite3 a.db "SELECT best_bid, best_ask, round(spread, 4), round(midpoint, 4),
		depth_1pct, depth_5pct FROM book_summary" >got &&
	test_eq "0.02|0.022|0.002|0.021|0|219.41" "$(cat got)"
'

test_expect_success 'a book whose market_id or raw_sha256 is no string: failed at its line, never kept as null' '
	book_raw clob-book-estevaogn-1.json | pm-normalize |
	    jq -c "select(.kind==\"book\")" >b.ndjson &&
	{ jq -c ".market_id = 9" b.ndjson; jq -c ".raw_sha256 = [1]" b.ndjson;
	  jq -c ".market_id = null | .raw_sha256 = null" b.ndjson; } >in.ndjson &&
	run pm-store --db a.db in.ndjson && expect_status 1 &&
	test_grep -x "pm-store: in.ndjson:1: market_id is not a string" err &&
	test_grep -x "pm-store: in.ndjson:2: raw_sha256 is not a string" err &&
	test_grep "3 records: 1 inserted, 0 updated, 0 unchanged, 0 duplicate, 0 skipped, 2 failed" err &&
	test_eq "60|0|0" "$(sqlite3 a.db "SELECT count(*), count(market_id), count(raw_sha256) FROM books")"
'

pg_start
test_expect_success 'PostgreSQL: the same levels and summary' '
	pg_ready && url=$(pg_newdb books) &&
	book_raw clob-book-estevaogn-1.json | pm-normalize >in.ndjson &&
	run pm-store --db "$url" in.ndjson && expect_status 0 &&
	psql -X -A -t "$url" -c "SELECT count(*) FROM books" | test_grep -x 60 &&
	psql -X -A -t "$url" -c "SELECT round(CAST(spread AS NUMERIC), 4),
		depth_5pct FROM book_summary" | test_grep -x "0.0020|219.41"
'

test_done
