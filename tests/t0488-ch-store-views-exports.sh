#!/bin/bash
# The views and --export on ClickHouse: every export SQLite gives (market,
# markets, events; market, event and price as NDJSON, CSV and TSV; --all,
# --where, --run, --limit; raw) is given the same from ClickHouse, byte for
# byte; the views market_outcomes, latest_prices, book_summary and
# contract_quotes hold what SQLite's views and contracts hold; forecasts,
# and the exports of experiment results, are not on ClickHouse and say so.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/ch.sh"
ROWS=$TOP/bench/ch_rows.py

ch_start views || { say "$CH_ERR"; exit 1; }
ch_query "CREATE DATABASE v" || exit 1
URL=clickhouse://127.0.0.1:${CH_HTTP##*:}/v
cq() { curl -sf --data-binary "$1" "$CH_HTTP/?database=v"; }

{
	rec_run_start 20261123T070000Z-static-ee01 static
	jq -c ".[]" "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json | pm-normalize
	jq -c ".[]" "$FIXTURES"/gamma-events-bobaoxu2001-1.json |
	    pm-normalize --endpoint events
	rec_run_start 20261124T070000Z-prices-ee02 prices
	# quotes of two stored tokens: A's bid and ask, then a newer midpoint
	# alone (a newer observation starts afresh); B's bid, and a newer
	# history point (not a quote)
	jq -c ".[]" "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json | pm-normalize |
	    jq -r "select(.kind == \"market\") | .contracts[]?.token_id |
	    select(. != null)" | head -2 | paste - - | while read -r a b; do
		p() { printf '{"kind":"price","token_id":"%s","side":"%s","price":%s,"ts":"%s"}\n' "$@"; }
		p "$a" buy 0.4 2026-11-24T07:00:00Z
		p "$a" sell 0.5 2026-11-24T07:00:00Z
		p "$b" buy 0.6 2026-11-24T07:00:00Z
		p "$a" mid 0.3 2026-11-24T08:00:00Z
		p "$b" history 0.2 2026-11-25T00:00:00Z
	done
} >"$TMP/in.ndjson"
pm-store --db "$TMP/s.db" "$TMP/in.ndjson" >/dev/null 2>&1
pm-store --db "$URL" "$TMP/in.ndjson" >/dev/null 2>&1

test_expect_success 'stored alike into both' '
	test_num "$(count_kind price "$TMP/in.ndjson")" -eq 5 &&
	test_num "$(cq "SELECT count() FROM markets FINAL")" -gt 100 &&
	python3 "$ROWS" "$TMP/s.db" "$CH_HTTP/?database=v"
'

# same_export ARGS...: the export of ClickHouse is SQLite's
same_export() {
	run pm-store --db "$TMP/s.db" "$@" && expect_status 0 && mv out want &&
	run pm-store --db "$URL" "$@" && expect_status 0 &&
	test_line_count out -gt 0 && test_cmp want out
}

test_expect_success 'market, markets, events: the stored records, as SQLite gives them' '
	same_export --export market &&
	same_export --export markets && same_export --export events &&
	same_export --export market --all &&
	same_export --export event
'

test_expect_success 'rows as CSV and TSV: market, event, price; --all' '
	same_export --export market --format csv &&
	test_grep "^source,market_id,condition_id," out &&
	same_export --export market --format tsv --all &&
	same_export --export event --format csv &&
	same_export --export price --format tsv &&
	same_export --export price
'

test_expect_success '--where, --run and --limit as on SQLite' '
	same_export --export market --where ".volume > 1000" &&
	same_export --export market --format csv --where ".outcome == \"No\"" &&
	same_export --export price --run 20261124T070000Z-prices-ee02 &&
	same_export --export event --run 20261123T070000Z-static-ee01 &&
	same_export --export market --limit 3 && test_line_count out -eq 3 &&
	same_export --export price --format csv --limit 2 && test_line_count out -eq 3
'

# --limit N of market rows (CSV, TSV: a row per outcome) gave N rows: the
# last market cut after its first outcome.  It gives N markets, whole.
test_expect_success '--limit of market rows counts markets, each whole' '
	for f in csv tsv; do
		same_export --export market --all --format $f --limit 3 &&
		tail -n +2 out | cut -c1-30 | sort -u | wc -l >n && echo 3 >want3 &&
		test_cmp want3 n &&
		run pm-store --db "$URL" --export market --all --format $f &&
		head -n "$(wc -l <want)" out >head && test_cmp want head &&
		test_num "$(tail -n +2 want | wc -l)" -gt 3 || return 1
	done &&
	same_export --export market --all --format csv --limit 2 --where ".outcome == \"No\"" &&
	test_line_count out -eq 3
'

test_expect_success 'raw: every payload fetched, as stored' '
	run pm-store --db "$TMP/s.db" --export raw && expect_status 0 &&
	sort out >want && run pm-store --db "$URL" --export raw &&
	expect_status 0 && sort out >got && test_line_count got -gt 0 &&
	test_cmp want got
'

test_expect_success 'market_outcomes: the outcomes, tokens and latest prices of SQLite, as arrays' '
	sqlite3 -separator "	" "$TMP/s.db" "SELECT market_id, outcomes, token_ids, prices FROM market_outcomes ORDER BY source, market_id" |
	while IFS="	" read -r m o t p; do
		printf "%s\t%s\t%s\t%s\n" "$m" "$(echo "$o" | jq -c .)" \
		    "$(echo "$t" | jq -c .)" "$(echo "$p" | jq -c .)"
	done >want &&
	cq "SELECT market_id, outcomes, token_ids, prices FROM market_outcomes ORDER BY source, market_id FORMAT JSONEachRow" |
	    jq -r "[.market_id, (.outcomes | tojson), (.token_ids | tojson),
		(.prices | tojson)] | @tsv" >got &&
	test_line_count got -gt 100 && test_cmp want got &&
	test_grep "\[0\.3,0\.2\]" got
'

test_expect_success 'the contracts quotes: the newest observation of each token' '
	sqlite3 -separator "	" -nullvalue "\\N" "$TMP/s.db" "SELECT quoted_at, best_bid, best_ask, midpoint FROM contracts WHERE quoted_at IS NOT NULL ORDER BY token_id" >want &&
	printf "2026-11-24T08:00:00Z\t\\N\t\\N\t0.3\n2026-11-24T07:00:00Z\t0.6\t\\N\t\\N\n" |
		sort >want2 && sort want >want1 && test_cmp want2 want1 &&
	cq "SELECT quoted_at, best_bid, best_ask, midpoint FROM contract_quotes ORDER BY token_id" >got &&
	test_cmp want got &&
	test_eq "history	0.2" "$(cq "SELECT side, price FROM latest_prices WHERE ts = '\''2026-11-25T00:00:00Z'\''")"
'

test_expect_success 'forecasts and result exports: not on ClickHouse, said once' '
	test_eq 0 "$(cq "EXISTS TABLE forecasts")" &&
	for w in result group retry; do
		run pm-store --db "$URL" --export $w && expect_status 2 &&
		test_grep "export $w: not on ClickHouse" err &&
		test_line_count err -eq 1 || return 1
	done &&
	run pm-store --db "$URL" --export result --format csv && expect_status 2
'
# pm-store(1), ClickHouse: no row is read back, so a market fetched again
# with its content unchanged is a new version there, the later fetch's,
# where SQLite keeps the fetch that first brought the content; so is a
# closed one for --closed-since
test_expect_success 'a market fetched again unchanged: the later fetch on ClickHouse, the first on SQLite' '
	ch_query "CREATE DATABASE refetch" &&
	for t in 2026-11-20T07:00:00Z 2026-11-22T07:00:00Z; do
		rec_market mr closed:=true active:=false \
		    fetched_at:="\"$t\"" || return 1
	done >refetch.ndjson &&
	R=${URL%/*}/refetch &&
	pm-store --db "$TMP/r.db" refetch.ndjson >/dev/null 2>&1 &&
	pm-store --db "$R" refetch.ndjson >/dev/null 2>&1 &&
	run pm-store --db "$TMP/r.db" --export markets && expect_status 0 &&
	test_eq 2026-11-20T07:00:00Z "$(jq -r .fetched_at out)" &&
	run pm-store --db "$R" --export markets && expect_status 0 &&
	test_eq 2026-11-22T07:00:00Z "$(jq -r .fetched_at out)" &&
	run pm-store --db "$TMP/r.db" --export market --closed-since 2026-11-21 &&
	expect_status 0 && test_line_count out 0 &&
	run pm-store --db "$R" --export market --closed-since 2026-11-21 &&
	expect_status 0 && test_eq mr "$(jq -r .market_id out)"
'

test_done
