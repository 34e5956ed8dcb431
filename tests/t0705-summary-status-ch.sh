#!/bin/bash
# pm-summary --status on ClickHouse (tests/ch.sh): the same stream stored
# into SQLite and into ClickHouse gives the same report, text and JSON,
# and the same exit status; rows stored twice and not merged yet count
# once; a server that is down is exit 3; --score and --notify refused.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/ch.sh"

ch_start status || { say "$CH_ERR"; exit 1; }
trap 'ch_stop_all; rm -rf "$TMP"' EXIT

# the minute N after the runs' start (rec_run_start's started_at)
at() { date -u -d "2026-11-23T07:00:00Z + $1 min" +%Y-%m-%dT%H:%M:%SZ; }

# now, to the second: pm-store records a failure when it stores it, and a
# report at a minute of the runs (at) sees none of the failures stored
# since: the cases that list failures take this one
wall() { date -u +%Y-%m-%dT%H:%M:%SZ; }

# mk ID CLOSED ACTIVE [MIN]: a market fetched at minute MIN (0)
mk() {
	rec_market "$1" event_id=e1 close_time=2026-11-24T00:00:00Z active:="$3" \
		closed:="$2" fetched_at="$(at "${4:-0}")" tags:='[]' \
		contracts:="$(rec_yes_no "${1}1" 0.5 "${1}2" 0.5)"
}
# run ID FLOW MIN: a run record started at minute MIN
run_at() { rec_run_start "$1" "$2" | jq -c --arg t "$(at "$3")" '.started_at = $t'; }
# price TOKEN MIN: a history point, the prices flow's own data
price() {
	jq -cn --arg t "$1" --arg ts "$(at "$2")" '{kind:"price", token_id:$t,
		market_id:"1", outcome:"Yes", side:"history", ts:$ts, price:0.5}'
}
bad() { echo '{"kind":"raw","source":"gamma","payload":{}}'; }

# newch: a new ClickHouse database for the case, its URL in $CH
newch() {
	CH=${CH_URL%/*}/c$test_n
	ch_query "CREATE DATABASE c$test_n"
}

# store FILE: into s.db and into $CH, pm-store exiting alike
store() {
	local a=0 b=0
	pm-store --db s.db <"$1" >/dev/null 2>&1 || a=$?
	pm-store --db "$CH" <"$1" >/dev/null 2>ch.err || b=$?
	[ "$a" = "$b" ] && [ "$a" -lt 3 ] && return 0
	say "pm-store: $a on SQLite, $b on ClickHouse"; cat ch.err
	return 1
}

# same ARGS: pm-summary --status --json ARGS on s.db and on $CH, the same
# report and exit status ($status, out: ClickHouse's) but for the times
# pm-store stamps as it stores (a run's end, a failure's recording)
mask='del(.runs.last[]?.finished_at, .failures.recent[]?.recorded_at)'
same() {
	local lite
	run pm-summary --status --json --db s.db "$@" && lite=$status &&
	jq -S "$mask" out >lite.json &&
	run pm-summary --status --json --db "$CH" "$@" && jq -S "$mask" out >ch.json &&
	test_cmp lite.json ch.json && test_eq "$lite" "$status"
}
# sametext ARGS: the text report, the same on both but for those times
# (a run line's end, a failure line's start)
tmask='s/ [.][.] .*//; s/^  20[0-9-]*T[0-9:.]*Z /  TIME /'
sametext() {
	run pm-summary --status --db s.db "$@" && sed "$tmask" out >lite.txt &&
	run pm-summary --status --db "$CH" "$@" && sed "$tmask" out >ch.txt &&
	test_cmp lite.txt ch.txt
}

test_expect_success 'fresh, stale, very stale: the report SQLite gives, exit 0, 4 and 5' '
	newch &&
	{ run_at r1 static 0; mk 1 false true; mk 2 false true; mk 3 true false; } >st &&
	{ run_at p1 prices 1; price 11 2; price 12 3; } >pr &&
	store st && store pr &&
	same --now "$(at 10)" && expect_status 0 &&
	jq -e ".level == \"fresh\" and .markets == {total:3, active:2, resolved:1} and
		.runs.listed == 2 and .runs.completed == 2 and
		[.flows[].flow] == [\"static\", \"delta\", \"prices\"] and
		.flows[2].last_update == \"$(at 3)\" and .runs.last[0].counts.inserted == 2" out >/dev/null &&
	sametext --now "$(at 10)" && test_grep "^markets: 3 total, 2 active, 1 resolved$" out &&
	same --now "$(at 30)" && expect_status 4 &&
	sametext --now "$(at 30)" && test_grep "^status: stale: " out &&
	same --now "$(at 120)" && expect_status 5 &&
	jq -e ".level == \"very_stale\"" out >/dev/null &&
	same --now "$(at 30)" --flow prices --runs 1 --failures 1 && expect_status 4 &&
	same --now "$(at 10)" --flow static --fresh 5m --stale 8m && expect_status 5 &&
	same --now "$(at 10)" --flow trades && expect_status 5 &&
	jq -e ".level == \"no_data\" and .flows[0].data_from == \"trades\"" out >/dev/null
'

test_expect_success 'no data: an empty store, a database pm-store never wrote; neither written' '
	newch && : >empty && store empty &&
	same --now "$(at 10)" && expect_status 5 &&
	jq -e ".level == \"no_data\" and .markets.total == 0 and .runs.listed == 0 and
		.flows == []" out >/dev/null &&
	ch_query "CREATE DATABASE bare$test_n" &&
	run pm-summary --status --db "${CH_URL%/*}/bare$test_n" && expect_status 5 &&
	test_grep "^status: no data (no pm-store tables)$" out &&
	run pm-summary --status --db "${CH_URL%/*}/bare$test_n" --json && expect_status 5 &&
	jq -e ".level == \"no_data\" and .last_update == null and .flows == [] and
		.markets.total == 0 and .runs.listed == 0 and .runs.success_rate == null and
		.failures == {last_day:0, recent:[]}" out >/dev/null &&
	test_eq 0 "$(ch_query "SELECT count() FROM system.tables WHERE database = '\''bare$test_n'\''")"
'

test_expect_success 'failed runs: counted, in a row, with their failures; no data, exit 5' '
	newch &&
	for i in 1 2; do { run_at f$i static "$i"; bad; } >f$i && store f$i; done &&
	same --now "$(wall)" && expect_status 5 &&
	jq -e ".level == \"no_data\" and .runs.failed == 2 and .failures.last_day == 2 and
		.flows[0].consecutive_failed_runs == 2 and .flows[0].last_run_status == \"failed\" and
		(.failures.recent | length) == 2 and .failures.recent[0].run_id == \"f2\"" out >/dev/null &&
	{ run_at r3 static 3; mk 1 false true 3; } >r3 && store r3 &&
	{ run_at f4 static 4; bad; } >f4 && store f4 &&
	same --now "$(at 10)" && expect_status 0 &&
	jq -e ".flows[0].runs == 4 and .flows[0].failed_runs == 3 and
		.flows[0].consecutive_failed_runs == 1" out >/dev/null &&
	sametext --now "$(wall)" --failures 3 && test_grep " bad_record" out
'

test_expect_success 'stored text comes back as stored: quotes, backslashes, tabs, newlines, controls' '
	newch && {
		run_at "r'\''1\\x" static 0; mk "m'\''1" false true
		printf "%s\n" "{\"kind\":\"failure\",\"stage\":\"fetch\",\"reason\":\"http_error\",\"retriable\":false,\"market_id\":\"9\\u001b[31m\",\"input\":\"x:1\",\"detail\":\"a\\tb\\nc\\\\d'\''e\\\"f\\rg h \\u00e9 \\\\N\"}"
	} >st && store st &&
	same --now "$(at 10)" && expect_status 0 &&
	same --now "$(wall)" && expect_status 5 &&
	jq -e ".runs.last[0].run_id == \"r'\''1\\\\x\" and
		(.failures.recent[0].detail | startswith(\"a\\tb\\nc\\\\d'\''e\\\"f\\rg\"))" out >/dev/null &&
	sametext --now "$(wall)" && test_grep " http_error" out &&
	same --now "$(at 10)" --flow "x'\''y\\z?1" && expect_status 2 &&
	test_grep "^pm-summary: --flow: not a flow: " err
'

test_expect_success 'runs of several flows: each flow its own data, runs and level' '
	newch &&
	{ run_at s1 static 0; mk 1 false true 0; } >s1 &&
	{ run_at e1 events 5; jq -cn --arg t "$(at 6)" "{kind:\"event\", source:\"polymarket\",
		event_id:\"e1\", fetched_at:\$t}"; } >e1 &&
	{ run_at p1 prices 7; price 11 8; } >p1 &&
	{ run_at t1 trades 9; printf "%s\n" "{\"kind\":\"trade\",\"trade_key\":\"$(printf %064d 1)\",\"condition_id\":\"0x1\",\"token_id\":\"11\",\"side\":\"BUY\",\"size\":1,\"price\":0.5,\"ts\":\"$(at 10)\",\"count\":1}"; } >t1 &&
	{ run_at d1 delta 11; mk 2 false true 11; } >d1 &&
	for f in s1 e1 p1 t1 d1; do store $f; done &&
	same --now "$(at 35)" && expect_status 4 &&
	jq -e "[.flows[] | [.flow, .level, .runs]] == [[\"static\", \"stale\", 1],
		[\"delta\", \"stale\", 1], [\"events\", \"stale\", 1], [\"prices\", \"stale\", 1],
		[\"trades\", \"stale\", 1]] and .runs.listed == 5 and .runs.last[0].run_id == \"d1\"" out >/dev/null &&
	same --now "$(at 35)" --runs 2 && same --now "$(at 35)" --flow events &&
	same --now "$(at 25)" --flow trades && expect_status 0 &&
	same --now "$(at 30)" && expect_status 4 &&
	jq -e ".last_update_from == \"events\" and .last_update == \"$(at 6)\"" out >/dev/null &&
	sametext --now "$(at 35)"
'

test_expect_success 'the same stream stored twice, versions not merged: counted once' '
	newch && {
		run_at r1 static 0; mk 1 false true; mk 2 false true; mk 3 true false
		printf "%s\n" "{\"kind\":\"failure\",\"stage\":\"fetch\",\"reason\":\"http_error\",\"retriable\":true,\"market_id\":\"9\",\"input\":\"x:1\",\"detail\":\"d\"}"
	} >st && { run_at p1 prices 1; price 11 2; } >pr &&
	store st && store pr &&
	# the server merges no part from now on: every version stays
	ch_query "SYSTEM STOP MERGES" && test_when_finished "ch_query \"SYSTEM START MERGES\"" &&
	store st && store pr &&
	test_num "$(ch_query "SELECT count() FROM c$test_n.markets")" -eq 6 &&
	test_num "$(ch_query "SELECT count() FROM c$test_n.processing_failures")" -eq 2 &&
	test_num "$(ch_query "SELECT count() FROM c$test_n.processing_runs WHERE flow = '\''static'\''")" -ge 2 &&
	same --now "$(at 10)" && expect_status 0 &&
	jq -e ".markets == {total:3, active:2, resolved:1} and .runs.listed == 2 and
		.flows[0].runs == 1" out >/dev/null &&
	same --now "$(wall)" && expect_status 5 &&
	jq -e ".failures.last_day == 1 and (.failures.recent | length) == 1" out >/dev/null &&
	sametext --now "$(wall)"
'

test_expect_success 'a failure stored again later (a replay): its first time, as on SQLite' '
	newch && {
		run_at r1 static 0; mk 1 false true
		printf "%s\n" "{\"kind\":\"failure\",\"stage\":\"fetch\",\"reason\":\"http_error\",\"retriable\":true,\"market_id\":\"9\",\"input\":\"x:1\",\"detail\":\"d\"}"
	} >st && store st &&
	# a second between the first storing and the report, one more to
	# the second: a report then saw the failure, and it was first
	# recorded before it on both
	sleep 1.1 && w=$(wall) && sleep 1.1 && store st &&
	same --now "$w" && expect_status 5 &&
	jq -e ".failures.last_day == 1 and (.failures.recent | length) == 1" out >/dev/null &&
	run pm-summary --status --json --db "$CH" &&
	jq -e --arg w "$w" ".failures.recent[0].recorded_at < \$w" out >/dev/null
'

# raw TIME: Gamma's markets 1 and 2 as a static run lists them, fetched
# at TIME, normalized
raw_markets() {
	{ rec_fetched "$T" markets/keyset "$(gamma_market 1 e1 false "" 0.5 0.5)"
	  rec_fetched "$T" markets/keyset "$(gamma_market 2 e1 false "" 0.25 0.75)"
	} | pm-normalize 2>/dev/null
}
test_expect_success 'fetched again, unchanged: fresh, as on SQLite' '
	newch && T=$(at 0) && { run_at r1 static 0; raw_markets; } >a &&
	T=$(at 50) && { run_at r2 static 50; raw_markets; } >b &&
	store a && store b &&
	run pm-summary --status --json --db "$CH" --flow static --now "$(at 55)" &&
	expect_status 0 &&
	jq -e ".level == \"fresh\" and .last_update == \"$(at 50)\"" out >/dev/null &&
	run pm-summary --status --json --db s.db --flow static --now "$(at 55)" &&
	expect_status 0 && jq -e ".last_update == \"$(at 50)\"" out >/dev/null
'

test_expect_success 'a ClickHouse server that is down or hung: exit 3, said, for status and pipelines.sh' '
	port=$(ch_free_port) &&
	run pm-summary --status --db "clickhouse://127.0.0.1:$port/default" && expect_status 3 &&
	test_grep "^pm-summary: clickhouse://127.0.0.1:$port/default: .*" err &&
	test_line_count err -eq 1 &&
	run "$TOP/pipelines.sh" status --env-file /dev/null --db "clickhouse://127.0.0.1:$port/default" &&
	expect_status 3 &&
	kill -STOP "$(cat "$CH_PIDFILE")" &&
	test_when_finished "kill -CONT \$(cat \"\$CH_PIDFILE\")" &&
	PM_DB_TIMEOUT=1 run pm-summary --status --db "$CH_URL" && expect_status 3 &&
	test_grep "no answer within 1 s (PM_DB_TIMEOUT)" err && test_line_count err -eq 1
'

test_expect_success 'an answer cut or garbled on its way: exit 3, no report made of it' '
	newch && { run_at r1 static 0; mk 1 false true; } >st && store st &&
	PORT=${CH_HTTP##*:} &&
	ch_proxy "^SELECT COUNT\\(\\*\\), COALESCE" "$(printf "3\t2\t1\n4")" "c$test_n" &&
	run pm-summary --status --db "$PROXY_URL" --now "$(at 10)" && expect_status 3 &&
	test_grep "markets: an answer that is no TabSeparated table (cut on its way?)" err &&
	test ! -s out
'

test_expect_success 'pipelines.sh status --db clickhouse://: 0 fresh, 6 very stale, with --flow' '
	newch && { run_at r1 static 0; mk 1 false true; } >st && store st &&
	run "$TOP/pipelines.sh" status --env-file /dev/null --db "$CH" --now "$(at 5)" --json &&
	expect_status 0 && jq -e ".level == \"fresh\" and .runs.listed == 1" out >/dev/null &&
	run "$TOP/pipelines.sh" status --env-file /dev/null --db "$CH" --now "$(at 300)" &&
	expect_status 6 && test_grep "^status: very_stale: " out &&
	run "$TOP/pipelines.sh" status --env-file /dev/null --db "$CH" --flow prices --now "$(at 5)" &&
	expect_status 6 && test_grep "^status: no data (nothing stored by this flow)$" out
'

test_expect_success '--score and --notify: refused on ClickHouse, exit 2, one message' '
	run pm-summary --score --db "$CH_URL" && expect_status 2 &&
	test_grep "score is not available on ClickHouse, which keeps no forecasts" err &&
	test_line_count err -eq 1 &&
	run pm-summary --status --db "$CH_URL" --notify http://127.0.0.1:9/ && expect_status 2 &&
	test_grep -- "--notify with --status is not available on ClickHouse" err &&
	test_line_count err -eq 1 && test ! -s out &&
	PM_NOTIFY_URL=http://127.0.0.1:9/ run pm-summary --status --db "$CH_URL" &&
	expect_status 2 && test_grep "PM_NOTIFY_URL with --status" err &&
	PM_NOTIFY_URL= run pm-summary --status --db "$CH_URL" && expect_status 5
'

# last: the cluster's servers, started in the case, stop with it, and
# the others with them (ch.sh)
test_expect_success 'a cluster: read through its first shard, every shard'"'"'s rows counted once' '
	ch_cluster pmst 2 || { say "$CH_ERR"; return 1; }
	# shellcheck disable=SC2086 # split on purpose: one URL per shard
	set -- $CH_URLS &&
	h2=${2#clickhouse://} h2=${h2%%/*} && CH="$1?cluster=pmst&shards=$h2" &&
	run pm-store --schema clickhouse --db "$CH" && expect_status 0 &&
	{ run_at r1 static 0; for i in $(seq 1 40); do mk "$i" false true; done; bad; } >st &&
	{ run_at p1 prices 1; price 11 2; price 12 3; } >pr &&
	store st && store st && store pr &&
	test_num "$(curl -sf --data-binary "SELECT count() FROM markets_local" "http://$h2/")" -gt 0 &&
	same --now "$(at 10)" && expect_status 0 &&
	jq -e ".markets.total == 40 and .runs.listed == 2" out >/dev/null &&
	same --now "$(wall)" && expect_status 5 &&
	jq -e ".failures.last_day == 1" out >/dev/null &&
	sametext --now "$(wall)"
'

test_done
