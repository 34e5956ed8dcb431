#!/bin/bash
# pm-store --export market, event and price (NDJSON, CSV, TSV, and
# --where) of a number near the largest double: the value stored, the
# same from SQLite, PostgreSQL and ClickHouse.  SQLite's text of a double
# has 15 digits, which for one near DBL_MAX read as infinity: SQLite's
# exports wrote such a volume, liquidity or price as null (an empty CSV
# field), and --where saw null, where the other engines gave the value.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/ch.sh"
pg_start
ch_start maxdouble || { say "$CH_ERR"; exit 1; }
mkdir "$TMP/tmp" && export TMPDIR=$TMP/tmp

# written by hand: jq would change their digits
cat >"$TMP/in.ndjson" <<'EOF2'
{"kind":"market","source":"polymarket","market_id":"m1","question":"Q","active":true,"closed":false,"volume":1.7976931348623157e308,"liquidity":-1.7976931348623157e308,"contracts":[{"outcome":"Yes","token_id":"t1","price":1.7976931348623155e308},{"outcome":"No","token_id":"t2","price":0.1}]}
{"kind":"market","source":"polymarket","market_id":"m2","question":"R","active":true,"closed":false,"volume":1e308,"liquidity":5e-324}
{"kind":"event","source":"polymarket","event_id":"e1","title":"E","active":true,"closed":false,"volume":1.7976931348623157e308,"liquidity":1.79769313486231e308}
{"kind":"price","source":"polymarket","token_id":"t1","market_id":"m1","outcome":"Yes","side":"buy","price":1.7976931348623157e308,"ts":"2026-01-01T00:00:00Z"}
{"kind":"price","source":"polymarket","token_id":"t1","market_id":"m1","outcome":"Yes","side":"sell","price":-1.7976931348623157e308,"ts":"2026-01-01T00:00:00Z"}
EOF2

# exports DB DIR: every export of the numbers into DIR
exports() {
	local k f
	mkdir "$2" || return 1
	for k in market event price; do
		for f in ndjson csv tsv; do
			pm-store --db "$1" -e "$k" --format "$f" \
			    >"$2/$k.$f" || return 1
		done
		pm-store --db "$1" -e "$k" -w '.volume > 1e308 or .price > 1e308' \
		    >"$2/$k.where" || return 1
	done
}

test_expect_success 'the largest doubles exported from SQLite: the values stored' '
	pm-store --db s.db "$TMP/in.ndjson" >/dev/null 2>&1 && exports s.db s &&
	test_grep -F ",1.7976931348623157e+308,-1.7976931348623157e+308,0,Yes,t1,1.7976931348623155e+308," s/market.csv &&
	test_grep -F "	1.7976931348623157e+308	-1.7976931348623157e+308	0	Yes	t1	1.7976931348623155e+308	" s/market.tsv &&
	test_grep -F "\"volume\":1.7976931348623157e+308" s/event.ndjson &&
	test_grep -x -F "t1,m1,Yes,sell,2026-01-01T00:00:00Z,-1.7976931348623157e+308" s/price.csv &&
	test_count market s/market.where 1 && test_count event s/event.where 1 &&
	test_count price s/price.where 1 &&
	cp -r s "$TMP/s"
'

test_expect_success 'the same from PostgreSQL and ClickHouse' '
	pu=$(pg_newdb maxdouble) && pm-store --db "$pu" "$TMP/in.ndjson" >/dev/null 2>&1 &&
	cu=$(ch_newdb maxdouble) && pm-store --db "$cu" "$TMP/in.ndjson" >/dev/null 2>&1 &&
	exports "$pu" p && exports "$cu" c &&
	diff -r "$TMP/s" p && diff -r "$TMP/s" c
'
test_done
