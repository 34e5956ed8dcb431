#!/bin/bash
# A store outgrown, moved to another engine the way pm-store(1) says
# (MOVING A STORE): the raw export, normalized, stored in the new one,
# and the groups by their export.  History made by the real flows
# against the fake server (static, delta, events, prices, trades, a daily
# run with its experiments) and more: a market fetched as A, then B, then
# A again, unicode, numbers past 2^53, a book, a thousand payloads packed
# with a dictionary, a version pruned.  SQLite to PostgreSQL, PostgreSQL
# to ClickHouse, SQLite to a two-shard ClickHouse cluster: every row of
# the market tables and views equal (tests/move-rows.py, exactly), every
# payload byte for byte, what stays behind stays behind, and a move
# killed half way and run again ends the same.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/ch.sh"

fake_start pm --markets 60 --events 4 --spread-days 15
pg_start
ch_cluster pmm 2 || { say "$CH_ERR"; exit 1; }
# shellcheck disable=SC2086 # split on purpose: one URL per shard
set -- $CH_URLS
H1=${1#clickhouse://} H1=${H1%%/*}
H2=${2#clickhouse://} H2=${H2%%/*}
CLUSTER="clickhouse://$H1/default?cluster=pmm&shards=$H2"
# a database of its own on the first shard: a single server
chdb() { curl -sf --data-binary "CREATE DATABASE IF NOT EXISTS $1" "http://$H1/" &&
	echo "clickhouse://$H1/$1"; }
chhttp() { echo "http://$H1/?database=$1"; }
ROWS="python3 $TESTS_DIR/move-rows.py"
SRC=$TMP/src.db
flow() { "$TOP/pipelines.sh" "$@" --db "$SRC" --env-file /dev/null --no-progress >>"$TMP/flows.log" 2>&1; }

# move FROM TO: the supported way, every stage's exit status checked
move() {
	pm-store -d "$1" -e raw | pm-normalize | pm-store -d "$2" >move.out 2>move.err
	test "${PIPESTATUS[*]}" = "0 0 0" || { cat move.err; return 1; }
}
# the raw export of FROM, one fetch per payload: the last, as ClickHouse
# keeps them, sorted (each line as it is: jq would write the payloads anew)
last_fetches() {
	pm-store -d "$1" -e raw | tac |
	    awk '{ match($0, /"sha256":"[0-9a-f]*"/); k = substr($0, RSTART, RLENGTH) }
		!(k in seen) { seen[k] = 1; print }' | LC_ALL=C sort
}

test_expect_success 'the history: the flows, A B A, unicode, long numbers, a book, a dictionary' '
	flow static && fake_touch 7 >/dev/null && flow delta --overlap 1 &&
	flow events && flow prices && flow trades && flow daily &&
	A=$(gamma_market 9001 e9 false "" 0.25 0.75 |
		jq -c ".question = \"Ünïcode ✓ \\\"A\\\" 🚀\" | .volume = 12345678901234567890 | .liquidity = 0.1") &&
	B=$(gamma_market 9001 e9 false "" 0.3 0.7 | jq -c ".question = \"B\"") &&
	C=$(gamma_market 9002 e9 false "" 0.5 0.5 | jq -c ".question = \"old\"") &&
	D=$(gamma_market 9002 e9 false "" 0.5 0.5 | jq -c ".question = \"new\"") &&
	jq -c ".[]" "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json |
	    jq -c "range(11) as \$k | .id = \"\(.id)\(\$k)\" | .slug = \"\(.slug)-\(\$k)\" |
		.clobTokenIds = (.clobTokenIds // \"[]\" | fromjson | map(. + \"\(\$k)\") | tojson)" |
	    while read -r m; do rec_fetched 2026-11-01T00:00:00Z markets "$m"; done >fixture.ndjson &&
	{ rec_fetched 2026-01-01T00:00:00Z markets "$C"
	  rec_fetched 2026-02-01T00:00:00Z markets "$D"
	  rec_fetched 2026-10-01T00:00:00Z markets "$A"
	  rec_fetched 2026-10-02T00:00:00Z markets "$B"
	  rec_fetched 2026-10-03T00:00:00.5Z markets "$A"
	  rec_raw clob book "{\"token_id\":\"90011\",\"market_id\":\"9001\",\"outcome\":\"Yes\"}" \
	    "$(tr -d "\n" <"$FIXTURES/clob-book-estevaogn-1.json")"
	  cat fixture.ndjson; } | pm-normalize | pm-store -d "$SRC" >/dev/null &&
	run pm-store -d "$SRC" --prune-before 2026-03-01 && expect_status 0 &&
	test_grep "1 raw payload versions fetched before" err &&
	sqlite3 "$SRC" "SELECT count(*) FROM raw_dicts" | test_grep -x 1 &&
	test_num "$(sqlite3 "$SRC" "SELECT count(*) FROM raw_payloads WHERE encoding LIKE '\''zstd:%'\''")" -ge 100 &&
	for t in markets events tags price_history trades books experiment_results; do
		test_num "$(sqlite3 "$SRC" "SELECT count(*) FROM $t")" -gt 0 || return 1
	done &&
	test_eq "Ünïcode ✓ \"A\" 🚀" "$(sqlite3 "$SRC" "SELECT question FROM markets WHERE market_id = '\''9001'\''")"
'

test_expect_success 'SQLite to PostgreSQL: every row, every payload byte, A B A as A' '
	url=$(pg_newdb moved) && move "$SRC" "$url" &&
	$ROWS "$SRC" "$url" &&
	for k in raw markets events; do
		pm-store -d "$SRC" -e $k >want && pm-store -d "$url" -e $k >got &&
		test_cmp want got || return 1
	done &&
	test_eq "Ünïcode ✓ \"A\" 🚀	2026-10-03T00:00:00.5Z" "$(psql -XAtq -F "	" "$url" -c "SELECT question, fetched_at FROM markets WHERE market_id = '\''9001'\''")" &&
	test_eq new "$(psql -XAtq "$url" -c "SELECT question FROM markets WHERE market_id = '\''9002'\''")"
'

test_expect_success 'the groups and results move by their export; runs, failures and locks stay' '
	url=$(pg_newdb groups) && move "$SRC" "$url" &&
	run pm-store -d "$url" -e group && expect_status 0 && test_line_count out -eq 0 &&
	pm-store -d "$SRC" -e group | pm-store -d "$url" >/dev/null &&
	pm-store -d "$SRC" -e group >want && pm-store -d "$url" -e group >got && test_cmp want got &&
	$ROWS --groups "$SRC" "$url" &&
	for t in processing_runs processing_failures experiment_runs run_locks status_alerts; do
		test_eq 0 "$(psql -XAtq "$url" -c "SELECT count(*) FROM $t")" "$t" || return 1
	done &&
	run pm-summary --status --db "$url" --json && expect_status 0 &&
	jq -e ".runs.listed == 0 and .markets.total > 1000" out >/dev/null &&
	run pm-summary --score --db "$url" --json && expect_status 0 && mv out got &&
	run pm-summary --score --db "$SRC" --json && expect_status 0 && test_cmp out got
'

# days N: N days ago, RFC 3339
days() { date -u -d "-$1 days" +%Y-%m-%dT%H:%M:%S.000Z; }

test_expect_success 'a daily flow three days old is as old after the move, not fresh' '
	t=$(days 3) &&
	rec_group event:e1 null "$(rec_market m1 close_time=2026-12-31T00:00:00Z)" |
		jq -c --argjson r "$(rec_result market "{\"m1\":{\"Yes\":0.5}}")" \
		".results = [\$r | .started_at = \"$t\" | .finished_at = \"$t\"]" >g.ndjson &&
	pm-store -d old.db g.ndjson >/dev/null 2>&1 &&
	: the store made three days ago &&
	sqlite3 old.db "UPDATE processed_events SET processed_at = '\''$t'\''" &&
	run pm-summary --status --db old.db --flow daily && expect_status 5 &&
	url=$(pg_newdb old) && move old.db "$url" &&
	pm-store -d old.db -e group | pm-store -d "$url" >/dev/null 2>&1 &&
	run pm-summary --status --db "$url" --flow daily && expect_status 5 &&
	test_grep "^status: very_stale: last update $t (processed_events)" out
'

test_expect_success 'PostgreSQL to ClickHouse: the rows PostgreSQL has, the last fetch of each payload' '
	pg=$(pg_newdb moved2) && move "$SRC" "$pg" &&
	url=$(chdb frompg) && move "$pg" "$url" &&
	$ROWS "$pg" "$(chhttp frompg)" &&
	last_fetches "$pg" >want && pm-store -d "$url" -e raw | LC_ALL=C sort >got && test_cmp want got &&
	test_eq "Ünïcode ✓ \"A\" 🚀" "$(curl -sf --data-binary "SELECT question FROM markets FINAL WHERE market_id = '\''9001'\''" "$(chhttp frompg)")" &&
	run pm-summary --status --db "$url" --json && expect_status 0 &&
	jq -e ".runs.listed == 0" out >/dev/null &&
	run pm-summary --score --db "$url" && expect_status 2
'

test_expect_success 'SQLite to a two-shard ClickHouse cluster' '
	run pm-store --schema clickhouse --cluster pmm --db "$CLUSTER" && expect_status 0 &&
	move "$SRC" "$CLUSTER" &&
	$ROWS "$SRC" "$(chhttp default)" &&
	last_fetches "$SRC" >want && pm-store -d "$CLUSTER" -e raw | LC_ALL=C sort >got && test_cmp want got
'

# kill_half TO: pm-store into TO killed (SIGKILL) once it has stored half
# the normalized stream (its input then pauses: the batch is committed
# and written out), then the whole move again
kill_half() {
	pm-store -d "$SRC" -e raw | pm-normalize >norm.ndjson &&
	n=$(wc -l <norm.ndjson) && : >half.out &&
	{ { head -n $((n / 2)) norm.ndjson; sleep 600 & echo $! >sleep.pid; wait; } |
	    pm-store -d "$1" >half.out 2>/dev/null & } && pid=$! &&
	for _ in $(seq 1200); do
		test "$(wc -l <half.out)" -lt $((n / 2)) || break
		sleep 0.05
	done &&
	test_num "$(wc -l <half.out)" -eq $((n / 2)) &&
	kill -9 "$pid" && kill "$(cat sleep.pid)" && { wait "$pid" || :; } &&
	move "$SRC" "$1"
}

test_expect_success 'killed half way and run again: the same rows, nothing twice' '
	kill_half again.db && $ROWS "$SRC" again.db &&
	pm-store -d "$SRC" -e raw >want && pm-store -d again.db -e raw >got && test_cmp want got &&
	url=$(pg_newdb again) && kill_half "$url" && $ROWS "$SRC" "$url" &&
	pm-store -d "$url" -e raw >got && test_cmp want got &&
	url=$(chdb again) && kill_half "$url" && $ROWS "$SRC" "$(chhttp again)" &&
	test_eq 0 "$(curl -sf --data-binary "SELECT count() FROM (SELECT market_id, count() c FROM markets FINAL GROUP BY market_id HAVING c > 1)" "$(chhttp again)")"
'
# peak KiB of memory of the command (GNU time), its output in FILE
peak_kb() {
	local f=$1
	shift
	/usr/bin/time -f %M -o rss "$@" >"$f" && cat rss
}

# 2000 fetches of 32 KiB each, incompressible: 64 MiB to export, at a
# peak a quarter of that above exporting one row (the whole answer held,
# it was 136 MiB; ASan alone takes some 30 MiB, half of the 64)
test_expect_success 'the move streams: a PostgreSQL store of 64 MiB exported in a few' '
	python3 -c "
import base64, hashlib, json, os
for i in range(2000):
    p = json.dumps({\"id\": str(i), \"blob\": base64.b64encode(os.urandom(24000)).decode()}, separators=(\",\", \":\"))
    print(json.dumps({\"kind\": \"raw\", \"source\": \"gamma\", \"endpoint\": \"other\",
        \"url\": \"http://127.0.0.1/x?o=%d\" % i, \"fetched_at\": \"2026-12-01T00:00:00Z\",
        \"sha256\": hashlib.sha256(p.encode()).hexdigest(), \"request\": {}},
        separators=(\",\", \":\"))[:-1] + \",\\\"payload\\\":\" + p + \"}\")
" >fat.ndjson &&
	url=$(pg_newdb fat) && pm-store -d "$url" fat.ndjson >/dev/null 2>&1 &&
	head -n 1 fat.ndjson >one.ndjson &&
	url1=$(pg_newdb thin) && pm-store -d "$url1" one.ndjson >/dev/null 2>&1 &&
	n=$(wc -c <fat.ndjson) && test_num "$n" -gt 60000000 &&
	: ASan keeps what was freed for a while: not here &&
	kb=$(ASAN_OPTIONS=$ASAN_OPTIONS:quarantine_size_mb=0 peak_kb got pm-store -d "$url" -e raw) &&
	test_cmp fat.ndjson got &&
	: what a program peaks at exporting one row, ASan s own 30 MiB among it &&
	kb1=$(ASAN_OPTIONS=$ASAN_OPTIONS:quarantine_size_mb=0 peak_kb got1 pm-store -d "$url1" -e raw) &&
	test_cmp one.ndjson got1 &&
	test_num $((kb - kb1)) -lt $((n / 1024 / 4)) "KiB the export of 64 MiB peaks at over one of a row"
'
test_done
