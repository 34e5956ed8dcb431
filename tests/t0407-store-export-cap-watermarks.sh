#!/bin/bash
# --export market adds trades_since and history_since (some 80 bytes) to
# a market's stored record: one stored near the line cap (a store takes
# PM_MAX_LINE less 21 bytes) came out as a failure record in its place,
# exit 1, on every engine.  What was stored exports: such a market is
# written without its watermarks (pm-fetch then fetches its trades and
# history whole), the others with theirs.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/ch.sh"
pg_start

F=$TESTS_DIR/fixtures-store/build-c51f474-run2.ndjson
export PM_MAX_LINE=2000
# market ID LEN: the fixture's market 30 as market ID, open, its line
# LEN bytes long
market() {
	sed -n 3p "$F" | jq -c --arg id "$1" '.market_id = $id |
	    .condition_id = "0xc" + $id | .closed = false | .question = "Q" |
	    .contracts[0].token_id = $id + "1" |
	    .contracts[1].token_id = $id + "2"' >"$TMP/m.tmp" &&
	pad=$(($2 - $(wc -c <"$TMP/m.tmp") + 1)) &&
	jq -c --arg p "$(head -c "$pad" /dev/zero | tr "\0" x)" \
	    '.question += $p' "$TMP/m.tmp"
}
# trade, history points of market ID
fills() {
	printf '{"kind":"trade","trade_key":"%s","condition_id":"0xc%s","side":"BUY","size":1,"price":0.5,"ts":"2026-12-02T06:00:00Z"}\n' \
	    "$(printf %s "$1" | sha256sum | cut -c1-64)" "$1"
	for t in 1 2; do
		printf '{"kind":"price","source":"polymarket","token_id":"%s%s","market_id":"%s","outcome":"Yes","side":"history","price":0.5,"ts":"2026-12-02T06:00:00Z"}\n' \
		    "$1" "$t" "$1"
	done
}
{ market 30 1979 && market 31 1000 && fills 30 && fills 31; } >"$TMP/in.ndjson"

# check DB: both markets stored, and exported: 30 without watermarks,
# 31 with them
check() {
	run pm-store --db "$1" "$TMP/in.ndjson" && expect_status 0 &&
	run pm-store --db "$1" -e market && expect_status 0 &&
	test_count market out 2 && test_count failure out 0 &&
	jq -r "[.market_id, .trades_since, .history_since] | @tsv" out >wm &&
	printf "30\t\t\n31\t2026-12-02T05:00:00Z\t2026-12-02T05:00:00Z\n" >want &&
	test_cmp want wm &&
	head -n 1 out | cmp - <(head -n 1 "$TMP/in.ndjson")
}

test_expect_success 'the stream: market 30 at the cap a store takes' '
	test_eq 1980 "$(head -n 1 "$TMP/in.ndjson" | wc -c)"
'

test_expect_success 'SQLite: a market stored near the cap exports' '
	check s.db
'

test_expect_success 'PostgreSQL: the same' '
	pg_ready && check "$(pg_newdb expcap)"
'

test_expect_success 'ClickHouse: the same' '
	{ ch_start expcap || { say "$CH_ERR"; false; }; } &&
	ch_query "CREATE DATABASE x" &&
	check "clickhouse://127.0.0.1:${CH_HTTP##*:}/x"
'

test_done
