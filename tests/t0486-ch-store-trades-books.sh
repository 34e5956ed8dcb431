#!/bin/bash
# Trades, order books, market activity and resolutions into a real
# ClickHouse server: trade records one row per trade_key (trades ordered
# by condition and time), book records one row per snapshot, side and
# level, schema 5's market columns; the rows, the views and the
# contracts' quotes equal SQLite's for the same stream (bench/ch_rows.py),
# and a second store converges to the rows of one.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/ch.sh"
. "$TESTS_DIR/fake-polymarket.sh"
ROWS=$TOP/bench/ch_rows.py

ch_start trades || { say "$CH_ERR"; exit 1; }

# A closed market resolved Yes, one resolved 50/50, one open (t0492's).
gm() { gamma_market "$1" e1 "$2" "$3" "$4" "$5"; }

fake_start api --markets 4 --trades 15
pm-fetch markets 2>/dev/null | pm-normalize -R |
    jq -c 'select(.market_id | tonumber >= 10000000)' >"$TMP/markets.ndjson"
{
	rec_run_start 20261202T070000Z-trades-ab12 trades
	cat "$TMP/markets.ndjson"
	{ gm r1 true resolved 1 0; gm r2 true resolved 0.5 0.5;
	  gm r3 false "" 0.55 0.45; } | pm-normalize -R
	# the markets passed through once is enough; raw records as they are
	# (jq would write their payloads again, not byte for byte)
	{ for e in prices midpoint book; do
		pm-fetch prices --endpoint $e "$TMP/markets.ndjson" 2>/dev/null
	  done
	  pm-fetch trades --taker-only false "$TMP/markets.ndjson" 2>/dev/null
	} | pm-normalize | grep -v "^{\"kind\":\"market\""
	# a recorded real book: 19 bids, 41 asks (t0491)
	rec_raw clob book '{"token_id":"r11","market_id":"r1","outcome":"Yes"}' \
	    "$(tr -d "\n" <"$FIXTURES/clob-book-estevaogn-1.json")" | pm-normalize
	# quotes of one token at one moment: bid and ask give the midpoint
	printf '%s\n' '{"kind":"price","token_id":"r31","market_id":"r3","outcome":"Yes","side":"buy","price":0.5,"ts":"2026-12-01T00:00:00Z"}' \
	    '{"kind":"price","token_id":"r31","market_id":"r3","outcome":"Yes","side":"sell","price":0.6,"ts":"2026-12-01T00:00:00Z"}' \
	    '{"kind":"price","token_id":"r32","market_id":"r3","outcome":"No","side":"buy","price":0.4,"ts":"2026-12-01T00:00:00Z"}' \
	    '{"kind":"price","token_id":"r32","market_id":"r3","outcome":"No","side":"sell","price":0.45,"ts":"2026-12-02T00:00:00Z"}'
} >"$TMP/stream.ndjson"

test_expect_success 'the stream: markets, fills, quotes, books' '
	test_count market "$TMP/stream.ndjson" 7 &&
	test_count trade "$TMP/stream.ndjson" 60 &&
	test_num "$(count_kind book "$TMP/stream.ndjson")" -ge 5 &&
	test_num "$(count_kind price "$TMP/stream.ndjson")" -ge 20
'

test_expect_success 'stored into ClickHouse: trades, books and the new columns' '
	url=$(ch_newdb one) &&
	run pm-store --db "$url" "$TMP/stream.ndjson" && expect_status 0 &&
	test_grep " 0 failed in clickhouse://" err &&
	not test_grep "\"stored\":\"failed\"" out &&
	jq -r "select(.kind == \"trade\" or .kind == \"book\") | .stored" out |
		sort -u >st && test_eq inserted "$(cat st)" &&
	test_eq 60 "$(ch_dbq one "SELECT count() FROM trades FINAL")" &&
	test_eq 60 "$(ch_dbq one "SELECT sum(count) FROM trades FINAL")" &&
	test_eq "ask	41	0	40
bid	19	0	18" "$(ch_dbq one "SELECT side, count(), min(level), max(level) FROM books FINAL WHERE market_id = '\''r1'\'' GROUP BY side ORDER BY side")" &&
	test_eq "0.017	9900.89" "$(ch_dbq one "SELECT price, size FROM books FINAL WHERE market_id = '\''r1'\'' AND side = '\''bid'\'' AND level = 3")" &&
	test_eq "outcome	Yes	2026-11-25T10:00:00Z	12.5	80.25	0.01	-0.02" "$(ch_dbq one "SELECT resolution, resolved_outcome, resolved_at, volume_24h, volume_1wk, spread, one_day_price_change FROM markets FINAL WHERE market_id = '\''r1'\''")" &&
	test_eq "split	\\N" "$(ch_dbq one "SELECT resolution, resolved_outcome FROM markets FINAL WHERE market_id = '\''r2'\''")" &&
	test_eq "ReplacingMergeTree(row_version) ORDER BY (condition_id, ts, trade_key)" \
		"$(ch_dbq one "SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = '\''trades'\''" | sed "s/ PARTITION BY.*ORDER BY/ ORDER BY/; s/ SETTINGS.*//")"
'

test_expect_success 'the rows, views and quotes SQLite has for the same stream' '
	run pm-store --db "$TMP/s.db" "$TMP/stream.ndjson" && expect_status 0 &&
	python3 "$ROWS" "$TMP/s.db" "$(ch_dburl one)" &&
	test_eq "r31	2026-12-01T00:00:00Z	0.5	0.6	0.55
r32	2026-12-02T00:00:00Z	\\N	0.45	\\N" "$(ch_dbq one "SELECT * FROM contract_quotes WHERE token_id LIKE '\''r3%'\'' ORDER BY token_id")" &&
	test_eq "0.02	0.022	0.002" "$(ch_dbq one "SELECT best_bid, best_ask, round(spread, 4) FROM book_summary WHERE market_id = '\''r1'\''")"
'

test_expect_success 'a rerun converges to the rows of one run; the versions of both' '
	url=$(ch_newdb twice) &&
	pm-store --db "$url" "$TMP/stream.ndjson" >/dev/null 2>&1 &&
	run pm-store --db "$url" "$TMP/stream.ndjson" && expect_status 0 &&
	test_eq 120 "$(ch_dbq twice "SELECT count() FROM trades")" &&
	test_eq 60 "$(ch_dbq twice "SELECT count() FROM trades FINAL")" &&
	python3 "$ROWS" "$(ch_dburl one)" "$(ch_dburl twice)" &&
	python3 "$ROWS" "$TMP/s.db" "$(ch_dburl twice)"
'

test_expect_success '--export market carries the trades watermark SQLite gives' '
	run pm-store --db "$TMP/s.db" --export market && expect_status 0 &&
	mv out want && test_num "$(grep -c "\"trades_since\":\"" want)" -eq 4 &&
	run pm-store --db "clickhouse://127.0.0.1:${CH_HTTP##*:}/one" --export market &&
	expect_status 0 && test_cmp want out
'

# stream FILE into a new ClickHouse database NAME and into SQLite's
# NAME.db: --export market gives the same records (SQLite's in want)
export_alike() {
	local url
	url=$(ch_newdb "$2") &&
	pm-store --db "$url" "$1" >/dev/null 2>&1 &&
	pm-store --db "$2.db" "$1" >/dev/null 2>&1 &&
	pm-store --db "$2.db" --export market >want &&
	run pm-store --db "$url" --export market && expect_status 0 &&
	test_cmp want out
}

# pages come newest first: a run with a retriable failure of a /trades
# request (here one of two markets in its list) may have stored only the
# market's newest trades
test_expect_success 'trades of a run that failed on a market set no watermark for it, as on SQLite' '
	cid=$(jq -r "select(.kind == \"trade\") | .condition_id" "$TMP/stream.ndjson" | head -n 1) &&
	{ cat "$TMP/stream.ndjson" &&
	  printf "{\"kind\":\"failure\",\"stage\":\"fetch\",\"reason\":\"fetch_failed\",\"retriable\":true,\"url\":\"http://127.0.0.1/trades?market=0x1%%2C%s&limit=500&offset=500\",\"detail\":\"HTTP 500\"}\n" "$cid"
	} >failed.ndjson &&
	export_alike failed.ndjson failed &&
	test_eq 3 "$(jq -s "map(select(.trades_since)) | length" want)" &&
	test_eq 0 "$(jq -s --arg c "$cid" "map(select(.condition_id == \$c and .trades_since)) | length" want)"
'

# a history window goes a day a request: a run with a retriable failure of
# one may have stored a token's newest days only
test_expect_success '--export market carries the history watermark SQLite gives, none for a token that failed' '
	tok=$(jq -r ".contracts[0].token_id" "$TMP/markets.ndjson" | head -n 1) &&
	{ rec_run_start 20261202T080000Z-prices-cd34 prices &&
	  cat "$TMP/markets.ndjson" &&
	  pm-fetch history "$TMP/markets.ndjson" 2>/dev/null | pm-normalize |
	    grep -v "^{\"kind\":\"market\"" &&
	  printf "{\"kind\":\"failure\",\"stage\":\"fetch\",\"reason\":\"fetch_failed\",\"retriable\":true,\"url\":\"http://127.0.0.1/prices-history?market=%s&startTs=1&endTs=2\",\"detail\":\"HTTP 500\"}\n" "$tok"
	} >hist.ndjson &&
	export_alike hist.ndjson hist &&
	test_eq 3 "$(jq -s "map(select(.history_since)) | length" want)" &&
	test_eq 0 "$(jq -s --arg t "$tok" "map(select(.history_since and
		any(.contracts[]; .token_id == \$t))) | length" want)"
'

# closed c1 fetched before the time, closed c2 at it, open c3 (active)
test_expect_success '--export market --closed-since: the closed markets fetched since too, as on SQLite' '
	url=$(ch_newdb closing) &&
	{ rec_fetched 2026-12-01T00:00:00.000Z markets/keyset "$(gm c1 true resolved 1 0)" &&
	  rec_fetched 2026-12-02T00:00:00.000Z markets/keyset "$(gm c2 true resolved 0 1)" &&
	  rec_fetched 2026-12-01T00:00:00.000Z markets/keyset "$(gm c3 false "" 0.5 0.5)"
	} | pm-normalize >closing.ndjson &&
	pm-store --db "$url" closing.ndjson >/dev/null 2>&1 &&
	pm-store --db closing.db closing.ndjson >/dev/null 2>&1 &&
	for db in closing.db "$url"; do
		pm-store --db "$db" --export market --closed-since 2026-12-01T12:00:00Z |
		    jq -r .market_id | sort | tr "\n" " " >ids &&
		test_eq "c2 c3 " "$(cat ids)" &&
		pm-store --db "$db" --export market | jq -r .market_id >ids &&
		test_eq c3 "$(cat ids)" || return 1
	done
'

test_expect_success 'a bad trade or book level fails alone, with the reason SQLite gives' '
	url=$(ch_newdb one) &&
	{ echo "{\"kind\":\"trade\",\"trade_key\":\"k\",\"condition_id\":\"0x1\",\"side\":\"BUY\",\"size\":1,\"price\":0.5,\"ts\":\"2026-01-01T00:00:00Z\"}" &&
	  echo "{\"kind\":\"book\",\"token_id\":\"9\",\"ts\":\"2026-01-01T00:00:00Z\",\"bids\":[{\"level\":0,\"price\":\"x\",\"size\":1}],\"asks\":[]}" &&
	  echo "{\"kind\":\"trade\",\"trade_key\":\"$(printf k | sha256sum | cut -c1-64)\",\"condition_id\":\"0x1\",\"side\":\"BUY\",\"size\":1e400,\"price\":0.5,\"ts\":\"2026-01-01T00:00:00Z\"}"; } >bad.ndjson &&
	run pm-store --db "$url" bad.ndjson && expect_status 1 &&
	test_grep "3 failed" err && test_grep "trade_key is not 64" err &&
	test_grep "bad.ndjson:2: price is not a number" err &&
	test_grep "bad.ndjson:3: size is not a number" err &&
	test_eq 60 "$(ch_dbq one "SELECT count() FROM trades FINAL")"
'
test_expect_success 'an end record (pm-fetch --end-record) is skipped, as SQLite does, not failed' '
	url=$(ch_newdb one) &&
	echo "{\"kind\":\"end\",\"stage\":\"fetch\"}" >end.ndjson &&
	run pm-store --db "$url" end.ndjson && expect_status 0 &&
	test_grep "1 records: 0 inserted, 0 updated, 0 unchanged, 0 duplicate, 1 skipped, 0 failed" err
'
test_done
