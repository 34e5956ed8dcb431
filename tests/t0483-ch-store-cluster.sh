#!/bin/bash
# pm-store into a two-shard ClickHouse cluster of two local servers
# (tests/ch.sh ch_cluster, no ZooKeeper): --schema clickhouse --cluster
# prints and applies local tables plus Distributed ones on each shard;
# records go in through the Distributed tables, every version of a row
# on one shard, and every market comes back exactly once.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/ch.sh"

ch_cluster pmc 2 || { say "$CH_ERR"; exit 1; }
# shellcheck disable=SC2086 # split on purpose: one URL per shard
set -- $CH_URLS
S1=$1 S2=$2
H1=${S1#clickhouse://} H1=${H1%%/*}
H2=${S2#clickhouse://} H2=${H2%%/*}
URL="$S1?cluster=pmc&shards=$H2"
on() { curl -sf --data-binary "$2" "http://$1/"; }

stream() {
	rec_run_start 20261123T070000Z-static-cc01 static
	jq -c ".[]" "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json | pm-normalize
	for i in $(seq 1000 1299); do rec_market "$i" slug="m$i"; done
}

test_expect_success '--schema clickhouse --cluster: local and Distributed tables' '
	run pm-store --schema clickhouse --cluster pmc && expect_status 0 &&
	test_grep "CREATE TABLE IF NOT EXISTS markets_local (" out &&
	test_grep "ENGINE = Distributed('\''pmc'\'', currentDatabase(), '\''markets_local'\'', cityHash64(source, market_id))" out &&
	run pm-store --schema clickhouse && expect_status 0 &&
	test_grep -v "Distributed\|_local" out &&
	test_grep "ENGINE = ReplacingMergeTree(row_version)" out &&
	# a name is never cut: a cut one is another cluster
	c=$(printf "c%0126d" 0) &&
	run pm-store --schema clickhouse --cluster "$c" && expect_status 0 &&
	test_grep "ENGINE = Distributed('\''$c'\''," out &&
	run pm-store --schema clickhouse --cluster "${c}1" && expect_status 2 &&
	test_grep "cluster: longer than 127 bytes" err && test ! -s out
'

test_expect_success 'applied to each shard in turn; the shard count checked' '
	run pm-store --schema clickhouse --db "$URL" && expect_status 0 &&
	test_grep "127.0.0.1:${H1#*:}/default: schema version 5, cluster pmc" err &&
	test_grep "127.0.0.1:${H2#*:}/default: schema version 5, cluster pmc" err &&
	for h in $H1 $H2; do
		test_eq 1 "$(on $h "EXISTS TABLE markets_local")" || return 1
		test_eq 1 "$(on $h "EXISTS TABLE markets")" || return 1
	done &&
	run pm-store --schema clickhouse --cluster pmc --db "$S1" && expect_status 3 &&
	test_grep "cluster pmc has 2 shards in system.clusters, 1 given" err
'

test_expect_success 'every market exactly once, stored twice, over both shards' '
	stream >in.ndjson &&
	n=$(jq -r "select(.kind == \"market\") | .market_id" in.ndjson | sort -u | wc -l) &&
	test_num "$n" -ge 400 &&
	run pm-store --db "$URL" in.ndjson && expect_status 0 &&
	run pm-store --db "$URL" in.ndjson && expect_status 0 &&
	test_eq "$n" "$(on $H1 "SELECT count() FROM markets FINAL")" &&
	test_eq "$n" "$(on $H2 "SELECT uniqExact(market_id) FROM markets")" &&
	a=$(on $H1 "SELECT count() FROM markets_local FINAL") &&
	b=$(on $H2 "SELECT count() FROM markets_local FINAL") &&
	test_num "$a" -gt 50 && test_num "$b" -gt 50 &&
	test_num $((a + b)) -eq "$n" &&
	test_eq "$(on $H1 "SELECT count() FROM markets_local")" $((2 * a)) &&
	test_eq 0 "$(on $H1 "SELECT count() FROM (SELECT market_id, count() c FROM markets FINAL GROUP BY market_id HAVING c > 1)")" &&
	run pm-store --db "$URL" --export market && expect_status 0 &&
	test_eq "$(on $H1 "SELECT count() FROM markets FINAL WHERE active = 1 AND (closed IS NULL OR closed = 0)")" "$(wc -l <out)"
'

test_expect_success 'shards= without cluster=, an unknown parameter (a usage error): refused' '
	run pm-store --db "$S1?shards=$H2" </dev/null && expect_status 3 &&
	test_grep "shards= without cluster=" err &&
	run pm-store --db "$S1?foo=1" </dev/null && expect_status 2 &&
	test_grep "unknown URL parameter foo" err
'
test_done
