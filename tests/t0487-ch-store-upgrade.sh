#!/bin/bash
# A ClickHouse database made by schema 1 (PM_SCHEMA_VERSION=1: migration
# 1's DDL as it shipped) and stored into is brought to schema 2 in place:
# the market columns added by ALTER TABLE ... ADD COLUMN (rows kept,
# their new columns null), trades and books made, the views made; a
# migration cut short is completed; then the full stream stores as into a
# fresh database and SQLite.  Also on a two-shard cluster: the shards'
# tables and the Distributed ones both get the columns.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/ch.sh"
ROWS=$TOP/bench/ch_rows.py

ch_start upgrade || { say "$CH_ERR"; exit 1; }

gm() {
	jq -cn --arg id "$1" --argjson closed "$2" '{id: $id,
	    question: "q \($id)", conditionId: "0xc\($id)",
	    outcomes: "[\"Yes\", \"No\"]", outcomePrices: "[\"1\", \"0\"]",
	    clobTokenIds: "[\"\($id)1\", \"\($id)2\"]", closed: $closed,
	    active: ($closed | not), closedTime: "2026-11-25 10:00:00+00",
	    umaResolutionStatus: "resolved", volume24hr: 12.5, spread: 0.01}'
}

# what schema 1 held: markets (with schema 5's members, dropped there),
# events, prices
old_stream() {
	rec_run_start 20261201T070000Z-static-0001 static
	jq -c ".[]" "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json | pm-normalize
	{ gm u1 true; gm u2 false; } | pm-normalize -R
	printf '%s\n' '{"kind":"price","token_id":"u11","market_id":"u1","outcome":"Yes","side":"buy","price":0.5,"ts":"2026-12-01T00:00:00Z"}'
}
# and what schema 2 adds: trades, books
new_stream() {
	old_stream
	rec_raw data trades '{"market":"x"}' \
	    "$(tr -d "\n" <"$FIXTURES/data-trades-vishnuvardhan0ffl-1.json")" |
	    pm-normalize
	rec_raw clob book '{"token_id":"u11","market_id":"u1","outcome":"Yes"}' \
	    "$(tr -d "\n" <"$FIXTURES/clob-book-estevaogn-1.json")" | pm-normalize
}

has_col() { ch_dbq "$1" "SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = '$2' AND name = '$3'"; }

test_expect_success 'schema 1 as it shipped, stored into' '
	old_stream >"$TMP/old.ndjson" && new_stream >"$TMP/new.ndjson" &&
	test_num "$(count_kind trade "$TMP/new.ndjson")" -gt 10 &&
	url=$(ch_newdb old) &&
	PM_SCHEMA_VERSION=1 run pm-store --db "$url" "$TMP/old.ndjson" && expect_status 0 &&
	test_eq 1 "$(ch_dbq old "SELECT max(version) FROM schema_migrations")" &&
	test_eq 0 "$(has_col old markets volume_24h)" &&
	test_eq 0 "$(ch_dbq old "EXISTS TABLE trades")" &&
	test_num "$(ch_dbq old "SELECT count() FROM markets FINAL")" -gt 100
'

# a dry run reads the database as it is: it upgraded schema 1 to 5, and
# on SQLite it never did; no trade or book there names a payload
test_expect_success '--prune-before -N on schema 1: counted as it is, not upgraded' '
	url=$(ch_newdb oldprune) &&
	{ rec_raw gamma markets "{}" "{\"id\":\"p1\",\"question\":\"q\"}" | pm-normalize -R
	  rec_raw gamma markets "{}" "{\"id\":\"p2\"}"; } >p.ndjson &&
	PM_SCHEMA_VERSION=1 run pm-store --db "$url" p.ndjson && expect_status 0 &&
	pm-store --db p.db p.ndjson >/dev/null 2>&1 &&
	run pm-store --db p.db --prune-before 2027-01-01 -N && expect_status 0 &&
	test_grep "^pm-store: 1 raw payload versions fetched before 2027-01-01 would go in p.db" err &&
	run pm-store --db "$url" --prune-before 2027-01-01 -N && expect_status 0 &&
	test_grep "^pm-store: 1 raw payload versions fetched before 2027-01-01 would go in $url" err &&
	test_eq 1 "$(ch_dbq oldprune "SELECT max(version) FROM schema_migrations")" &&
	test_eq 0 "$(ch_dbq oldprune "EXISTS TABLE trades")" &&
	run pm-store --db "$url" --prune-before 2027-01-01 && expect_status 0 &&
	test_grep "^pm-store: 1 raw payload versions fetched before 2027-01-01 removed" err &&
	test_eq 5 "$(ch_dbq oldprune "SELECT max(version) FROM schema_migrations")"
'

test_expect_success 'a migration cut short (one column added) is completed in place' '
	n=$(ch_dbq old "SELECT count() FROM markets") &&
	ch_dbq old "ALTER TABLE markets ADD COLUMN volume_24h Nullable(Float64)" &&
	run pm-store --schema clickhouse --db "clickhouse://127.0.0.1:${CH_HTTP##*:}/old" &&
	expect_status 0 && test_grep "/old: schema version 5$" err &&
	test_eq 5 "$(ch_dbq old "SELECT max(version) FROM schema_migrations")" &&
	for c in volume_24h volume_1wk spread one_day_price_change resolution \
	    resolved_outcome resolved_at; do
		test_eq 1 "$(has_col old markets $c)" || return 1
	done &&
	test_eq 1 "$(has_col old price_history fetched_at)" &&
	test_eq 0 "$(has_col old contracts best_bid)" &&
	for t in trades books latest_prices contract_quotes market_outcomes book_summary run_leases; do
		test_eq 1 "$(ch_dbq old "EXISTS TABLE $t")" || return 1
	done &&
	test_eq "$n" "$(ch_dbq old "SELECT count() FROM markets")" &&
	test_eq 0 "$(ch_dbq old "SELECT count() FROM markets WHERE volume_24h IS NOT NULL OR resolution IS NOT NULL")"
'

test_expect_success 'then stored again: the rows of a fresh database and of SQLite' '
	url=$(ch_newdb old) &&
	run pm-store --db "$url" "$TMP/new.ndjson" && expect_status 0 &&
	test_grep " 0 failed" err &&
	test_eq "resolved	12.5	outcome	Yes" "$(ch_dbq old "SELECT resolution_status, volume_24h, resolution, resolved_outcome FROM markets FINAL WHERE market_id = '\''u1'\''")" &&
	fresh=$(ch_newdb fresh) && pm-store --db "$fresh" "$TMP/new.ndjson" >/dev/null 2>&1 &&
	pm-store --db s.db "$TMP/new.ndjson" >/dev/null 2>&1 &&
	python3 "$ROWS" "$(ch_dburl fresh)" "$(ch_dburl old)" &&
	python3 "$ROWS" s.db "$(ch_dburl old)"
'

test_expect_success 'a newer schema than this pm-store knows is refused' '
	url=$(ch_newdb newer) && pm-store --schema clickhouse --db "$url" 2>/dev/null &&
	ch_dbq newer "INSERT INTO schema_migrations VALUES (99, '\''x'\'', '\''t'\'')" &&
	echo "{\"kind\":\"market\",\"source\":\"polymarket\",\"market_id\":\"1\"}" >m.ndjson &&
	run pm-store --db "$url" m.ndjson && expect_status 3 &&
	test_grep "schema version 99 is newer than this pm-store knows (5)" err &&
	run pm-store --db "$url" --prune-before 2027-01-01 -N && expect_status 3 &&
	test_grep "schema version 99 is newer than this pm-store knows (5)" err
'

test_expect_success 'a cluster upgraded in place: shard and Distributed tables' '
	ch_cluster pmu 2 || { say "$CH_ERR"; return 1; }
	set -- $CH_URLS &&
	h1=${1#clickhouse://} h1=${h1%%/*} h2=${2#clickhouse://} h2=${h2%%/*} &&
	url="$1?cluster=pmu&shards=$h2" &&
	on() { curl -sf --data-binary "$2" "http://$1/"; } &&
	PM_SCHEMA_VERSION=1 run pm-store --db "$url" "$TMP/old.ndjson" && expect_status 0 &&
	test_eq 0 "$(on $h2 "EXISTS TABLE trades_local")" &&
	run pm-store --schema clickhouse --db "$url" && expect_status 0 &&
	test_grep "${h1#*:}/default: schema version 5, cluster pmu" err &&
	test_grep "${h2#*:}/default: schema version 5, cluster pmu" err &&
	for h in $h1 $h2; do
		for t in markets markets_local; do
			test_eq 1 "$(on $h "SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = '\''$t'\'' AND name = '\''resolved_at'\''")" || return 1
		done
		for t in price_history price_history_local; do
			test_eq 1 "$(on $h "SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = '\''$t'\'' AND name = '\''fetched_at'\''")" || return 1
		done
		test_eq 1 "$(on $h "EXISTS TABLE trades_local")" || return 1
	done &&
	run pm-store --db "$url" "$TMP/new.ndjson" && expect_status 0 &&
	test_eq "$(count_kind trade "$TMP/new.ndjson")" "$(on $h1 "SELECT count() FROM trades FINAL")" &&
	test_num "$(on $h2 "SELECT count() FROM trades_local")" -gt 0 &&
	test_eq "$(on $h1 "SELECT count() FROM markets FINAL")" "$(on $h1 "SELECT uniqExact(market_id) FROM markets")" &&
	test_eq 1 "$(on $h1 "SELECT count() FROM market_outcomes WHERE market_id = '\''u1'\''")" &&
	test_eq "0.02	0.022" "$(on $h1 "SELECT best_bid, best_ask FROM book_summary WHERE market_id = '\''u1'\''")" &&
	pm-store --db s.db "$TMP/new.ndjson" >/dev/null 2>&1 &&
	python3 "$ROWS" s.db "http://$h1/?database=default"
'
test_done
