#!/bin/bash
# pm-store --prune-before on ClickHouse: the raw_responses rows fetched
# before the date that no market, event, price, trade or book row names
# go (ALTER TABLE ... DELETE, waited for), as many as SQLite prunes from
# the same stream; -N counts only; a database without tables has nothing
# to prune and is not made; on a cluster each shard's table is pruned.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/ch.sh"

ch_start prune || { say "$CH_ERR"; exit 1; }

# raw NAME DATE: a raw record of payload {"n":"NAME"} fetched at DATE
raw() {
	rec_raw clob book "{\"n\":\"$1\"}" "{\"n\":\"$1\"}" |
	    jq -c --arg d "$2" '.fetched_at = $d'
}
sha() { printf '{"n":"%s"}' "$1" | sha256sum | cut -c1-64; }

# old1, old2: old and named by no row; kept1: old but a market's raw;
# kept2: old but a trade's; new1: fetched after the cut
{
	raw old1 2026-01-01T00:00:00Z
	raw old2 2026-02-01T00:00:00Z
	raw kept1 2026-01-01T00:00:00Z
	raw kept2 2026-01-01T00:00:00Z
	raw new1 2026-06-01T00:00:00Z
	rec_market m1 raw_sha256="$(sha kept1)"
	printf '{"kind":"trade","trade_key":"%s","condition_id":"0x1","side":"BUY","size":1,"price":0.5,"ts":"2026-01-01T00:00:00Z","raw_sha256":"%s"}\n' \
	    "$(sha t1)" "$(sha kept2)"
} >"$TMP/in.ndjson"

test_expect_success '-N counts what would go, as SQLite does, and removes nothing' '
	url=$(ch_newdb p) && pm-store --db "$url" "$TMP/in.ndjson" >/dev/null 2>&1 &&
	pm-store --db s.db "$TMP/in.ndjson" >/dev/null 2>&1 &&
	run pm-store --db s.db --prune-before 2026-03-01 -N && expect_status 0 &&
	test_grep "^pm-store: 2 raw payload versions fetched before 2026-03-01 would go in s.db" err &&
	run pm-store --db "$url" --prune-before 2026-03-01 -N && expect_status 0 &&
	test_grep "^pm-store: 2 raw payload versions fetched before 2026-03-01 would go in clickhouse://127.0.0.1:[0-9]*/p$" err &&
	test_eq 5 "$(ch_dbq p "SELECT count() FROM raw_responses FINAL")"
'

test_expect_success 'the unneeded old fetches go; the needed and the new stay' '
	url=$(ch_newdb p) &&
	run pm-store --db "$url" --prune-before 2026-03-01T00:00:00Z && expect_status 0 &&
	test_grep "2 raw payload versions fetched before 2026-03-01T00:00:00Z removed" err &&
	ch_dbq p "SELECT sha256 FROM raw_responses ORDER BY sha256" >got &&
	for n in kept1 kept2 new1; do sha $n; done | sort >want &&
	test_cmp want got &&
	test_eq 0 "$(ch_dbq p "SELECT count() FROM system.mutations WHERE database = currentDatabase() AND is_done = 0")" &&
	run pm-store --db "$url" --prune-before 2026-03-01 && expect_status 0 &&
	test_grep " 0 raw payload versions" err
'

test_expect_success 'no tables: nothing to prune, nothing made; no server: exit 3' '
	url=$(ch_newdb empty) &&
	run pm-store --db "$url" --prune-before 2026-03-01 && expect_status 0 &&
	test_grep "no tables here: nothing to prune" err &&
	test_eq 0 "$(ch_dbq empty "EXISTS TABLE schema_migrations")" &&
	port=$(ch_free_port) &&
	run pm-store --db "clickhouse://127.0.0.1:$port/p" --prune-before 2026-03-01 &&
	expect_status 3 && test_line_count err -eq 1
'

test_expect_success 'a cluster: every shard pruned, what a row needs kept' '
	ch_cluster pmp 2 || { say "$CH_ERR"; return 1; }
	set -- $CH_URLS &&
	h1=${1#clickhouse://} h1=${h1%%/*} h2=${2#clickhouse://} h2=${h2%%/*} &&
	url="$1?cluster=pmp&shards=$h2" &&
	on() { curl -sf --data-binary "$2" "http://$1/"; } &&
	{ cat "$TMP/in.ndjson"; for i in $(seq 20); do raw "x$i" 2026-01-0${i:0:1}T00:00:00Z; done; } >c.ndjson &&
	pm-store --db "$url" c.ndjson >/dev/null 2>&1 &&
	test_num "$(on $h2 "SELECT count() FROM raw_responses_local")" -gt 0 &&
	run pm-store --db "$url" --prune-before 2026-03-01 && expect_status 0 &&
	test_grep " 22 raw payload versions fetched before 2026-03-01 removed" err &&
	test_eq 3 "$(on $h1 "SELECT count() FROM raw_responses FINAL")"
'
test_done
