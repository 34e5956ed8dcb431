#!/bin/bash
# pm-store: trade records into trades, one row per trade_key, on SQLite
# and PostgreSQL; a fetch again adds nothing; --export market carries the
# watermark pm-fetch trades starts from.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/fake-polymarket.sh"

fake_start api --markets 6 --trades 60
pm-fetch markets 2>/dev/null | pm-normalize -R | jq -c 'select(.market_id | tonumber >= 10000000)' >"$TMP/markets.ndjson"
pm-fetch trades --taker-only false "$TMP/markets.ndjson" | pm-normalize >"$TMP/stream.ndjson"

test_expect_success 'the stream: 6 markets, 360 fills' '
	test_count market "$TMP/stream.ndjson" 6 &&
	test_count trade "$TMP/stream.ndjson" 360
'

test_expect_success 'SQLite: every fill a row; a second run adds nothing' '
	run pm-store --db "$TMP/a.db" "$TMP/stream.ndjson" && expect_status 0 &&
	sqlite3 "$TMP/a.db" "SELECT count(*), sum(count), count(DISTINCT transaction_hash) FROM trades" >n &&
	test_eq "360|360|72" "$(cat n)" &&
	pm-fetch trades --taker-only false "$TMP/markets.ndjson" | pm-normalize >again.ndjson &&
	run pm-store --db "$TMP/a.db" again.ndjson && expect_status 0 &&
	jq -r "select(.kind==\"trade\") | .stored" out | sort | uniq -c >st &&
	test_grep -x " *360 unchanged" st &&
	sqlite3 "$TMP/a.db" "SELECT count(*) FROM trades" >n && test_eq 360 "$(cat n)"
'

test_expect_success 'the maker rows of one transaction are rows of their own' '
	sqlite3 "$TMP/a.db" "SELECT max(c) FROM (SELECT count(*) AS c FROM trades GROUP BY transaction_hash)" >n &&
	test_eq 12 "$(cat n)"
'

test_expect_success 'a trade breaking the contract is refused, with why' '
	echo "{\"kind\":\"trade\",\"trade_key\":\"k\",\"condition_id\":\"0x1\",\"side\":\"BUY\",\"size\":1,\"price\":0.5,\"ts\":\"2026-01-01T00:00:00Z\"}" >bad.ndjson &&
	run pm-store --db "$TMP/a.db" bad.ndjson && expect_status 1 &&
	test_grep "trade_key is not 64" err
'

test_expect_success '--export market: each market carries its trades watermark' '
	run pm-store --db "$TMP/a.db" --export market && expect_status 0 &&
	test_count market out 6 &&
	jq -r "[.condition_id, .trades_since] | @tsv" out | sort >wm &&
	sqlite3 -separator "	" "$TMP/a.db" "SELECT condition_id, max(ts) FROM trades GROUP BY condition_id" |
	while IFS="	" read -r c t; do
		printf "%s\t%s\n" "$c" "$(date -u -d "$t - 1 hour" +%Y-%m-%dT%H:%M:%SZ)"
	done | sort >want &&
	test_cmp want wm
'

test_expect_success 'the watermark makes the next fetch ask for what is new only' '
	pm-store --db "$TMP/a.db" --export market >wm.ndjson &&
	run pm-fetch trades --taker-only false wm.ndjson && expect_status 0 &&
	pm-normalize -R out | pm-store --db "$TMP/a.db" >stored.ndjson &&
	test_num "$(jq -s "map(select(.kind==\"trade\")) | length" stored.ndjson)" -lt 360 &&
	test_num "$(jq -s "map(select(.kind==\"trade\")) | length" stored.ndjson)" -gt 0 &&
	not test_grep "\"stored\":\"inserted\"" stored.ndjson
'

pg_start
test_expect_success 'PostgreSQL: the same rows as SQLite, and a second run adds nothing' '
	pg_ready && url=$(pg_newdb trades) &&
	run pm-store --db "$url" "$TMP/stream.ndjson" && expect_status 0 &&
	psql -X -A -t "$url" -c "SELECT count(*), sum(count) FROM trades" >n &&
	test_eq "360|360" "$(cat n)" &&
	psql -X -A -t "$url" -c "SELECT trade_key, side, ts, wallet, CAST(round(CAST(size * price * 1000 AS NUMERIC)) AS BIGINT) FROM trades ORDER BY 1" >pg.rows &&
	pm-store --db b.db "$TMP/stream.ndjson" >/dev/null 2>&1 &&
	sqlite3 b.db "SELECT trade_key, side, ts, wallet, CAST(round(CAST(size * price * 1000 AS NUMERIC)) AS BIGINT) FROM trades ORDER BY 1" >sq.rows &&
	test_cmp sq.rows pg.rows &&
	run pm-store --db "$url" "$TMP/stream.ndjson" && expect_status 0 &&
	test_grep "0 inserted" err &&
	psql -X -A -t "$url" -c "SELECT version FROM schema_migrations WHERE version = 5" | test_grep -x 5
'

test_done
