#!/bin/bash
# pipelines.sh prices and a market that closes between two of its runs (a
# static or delta run storing it closed first): the next run still asks
# its history, from its watermark to its close, and no further; a market
# created and closed in one gap (never seen open) gets its last day
# before the close.  Only the markets closed since the last prices run
# are asked: the run after does not ask them again.  A closed market has
# no order book, so its quotes are not asked (the CLOB would answer 404
# "No orderbook exists"): no failure, the run completed.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/ch.sh"
. "$TESTS_DIR/fake-polymarket.sh"

P=$TOP/pipelines.sh
# four markets an engine: A stays open, B closes in an hourly gap, C in a
# three-day outage, D is stored for the first time closed (in that outage)
fake_start pm --markets 12 --only-synthetic --log "$TMP/api.log"

flow() { run "$P" "$@" --env-file /dev/null; }
DAY=86400
NOW=$(date -u +%s)
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
mid() { echo $((10000000 + $1)); }
# the markets named as a static or delta run stores them: open or closed
store_ids() {
	local db=$1
	shift
	pm-fetch markets --closed any 2>/dev/null | pm-normalize 2>/dev/null |
	    jq -c --arg ids " $* " 'select(.kind == "market") |
		.market_id as $m | select($ids | contains(" " + $m + " "))' |
	    pm-store --db "$db" >/dev/null 2>&1
}
# the prices flow S seconds ago, the fake server's clock with it; or now
prices_at() {
	fake_control "{\"clock_skew\": $((-$2))}" &&
	flow prices --db "$1" --no-dump --now "$(iso $((NOW - $2)))"
}
prices_now() {
	fake_control '{"clock_skew": 0}' &&
	flow prices --db "$1" --no-dump
}
# markets close S seconds ago (Gamma's closedTime; the CLOB's history
# ends there)
close_ago() {
	local ago=$1 m
	shift
	fake_control "{\"clock_skew\": $((-ago))}" &&
	for m; do
		curl -sf -d "{\"id\": \"$m\"}" "$FAKE_URL/_close" >/dev/null || return 1
	done &&
	fake_control '{"clock_skew": 0}'
}
closed_at() {
	pm-store --db "$1" --export market --all | jq -r --arg m "$2" \
	    'select(.market_id == $m) | .closed_time | .[0:19] + "Z" | fromdate'
}
tokens_of() {
	pm-store --db "$1" --export market --all | jq -r --arg m "$2" \
	    'select(.market_id == $m) | .contracts[].token_id'
}
# per token of a market: its first and last history point (epoch seconds),
# the longest time between two, and how many
hist() {
	pm-store --db "$1" --export price | jq -rs --arg m "$2" 'map(select(
	    .kind == "price" and .side == "history" and .market_id == $m)) |
	    group_by(.token_id)[] | [.[].ts | .[0:19] + "Z" | fromdate] | sort |
	    . as $t | "\($t[0]) \($t[-1]) \([range(1; length) |
	    $t[.] - $t[. - 1]] | max // 0) \(length)"'
}
# every token of market M: points from at or before FROM to the last
# hourly grid point at or before CLOSE, none over an hour apart
reaches_close() {
	local db=$1 m=$2 from=$3 close=$4 first last gap n
	hist "$db" "$m" >h.txt && test_line_count h.txt 2 &&
	while read -r first last gap n; do
		test_num "$first" -le "$from" && test_num "$gap" -le 3600 &&
		test_eq $((close / 3600 * 3600)) "$last" || return 1
	done <h.txt
}
# the /prices-history requests of a market's tokens in the log
asked_for() {
	tokens_of "$1" "$2" >toks && test_line_count toks 2 &&
	{ grep "^GET /prices-history" "$TMP/api.log" | grep -F -f toks || :; }
}
# an hourly cron: run 1 an hour ago, B closes half an hour ago and a
# delta stores it closed, run 2 now, run 3 after it
hourly() {
	local db=$1 a b close
	a=$(mid "$2") b=$(mid $(($2 + 1)))
	store_ids "$db" "$a" "$b" &&
	prices_at "$db" 3600 && expect_status 0 &&
	close_ago 1800 "$b" && store_ids "$db" "$a" "$b" &&
	close=$(closed_at "$db" "$b") && test_num "$close" -gt $((NOW - 3600)) &&
	: >"$TMP/api.log" &&
	prices_now "$db" && expect_status 0 &&
	reaches_close "$db" "$b" $((NOW - 3600)) "$close" &&
	asked_for "$db" "$b" >asked && test_line_count asked 2 &&
	: >"$TMP/api.log" &&
	prices_now "$db" && expect_status 0 &&
	asked_for "$db" "$b" >asked && test_line_count asked 0 &&
	asked_for "$db" "$a" >asked && test_line_count asked 2
}

# a three-day outage: run 1 three days ago, C and D close two days ago
# (D stored for the first time then, closed), run 2 now
outage() {
	local db=$1 a c d close dclose end
	a=$(mid "$2") c=$(mid $(($2 + 2))) d=$(mid $(($2 + 3)))
	store_ids "$db" "$a" "$c" &&
	prices_at "$db" $((3 * DAY)) && expect_status 0 &&
	close_ago $((2 * DAY)) "$c" "$d" && store_ids "$db" "$a" "$c" "$d" &&
	close=$(closed_at "$db" "$c") && dclose=$(closed_at "$db" "$d") &&
	: >"$TMP/api.log" &&
	prices_now "$db" && expect_status 0 &&
	reaches_close "$db" "$c" $((NOW - 3 * DAY)) "$close" &&
	# D: the day before its close
	hist "$db" "$d" >h.txt && test_line_count h.txt 2 &&
	while read -r first last gap n; do
		test_num "$first" -le $((dclose + 7200 - DAY)) &&
		test_num "$gap" -le 3600 &&
		test_eq $((dclose / 3600 * 3600)) "$last" || return 1
	done <h.txt &&
	# no window after the close (and its hour of margin) is asked
	asked_for "$db" "$c" >asked && test_line_count asked 4 &&
	asked_for "$db" "$d" >>asked &&
	sed "s/.*endTs=//" asked >ends && test_line_count ends 6 &&
	while read -r end; do
		test_num "$end" -le $((dclose + 3600)) || return 1
	done <ends &&
	: >"$TMP/api.log" &&
	prices_now "$db" && expect_status 0 &&
	asked_for "$db" "$c" >asked && test_line_count asked 0 &&
	asked_for "$db" "$d" >asked && test_line_count asked 0
}

test_expect_success 'an hourly gap: the history of a market closed in it reaches its close' '
	hourly "$TMP/hourly.db" 0
'

test_expect_success 'a three-day outage: the history of the markets closed in it reaches their close' '
	outage "$TMP/outage.db" 0
'

test_expect_success 'a closed market has no book: pm-fetch prices does not ask its quotes' '
	pm-store --db "$TMP/outage.db" --export market --all >m &&
	test_eq 3 "$(jq -s "length" m)" &&
	for e in prices book midpoint price last-trade-price; do
		: >"$TMP/api.log" &&
		run pm-fetch prices --endpoint "$e" m && expect_status 0 &&
		test_eq 0 "$(count_kind failure out)" &&
		test_eq 3 "$(count_kind market out)" || return 1
	done &&
	test_line_count "$TMP/api.log" 2
'

pg_start
test_expect_success 'PostgreSQL: an hourly gap and a three-day outage' '
	pg_ready && hourly "$(pg_newdb hourly)" 4 && outage "$(pg_newdb outage)" 4
'

if ch_start lastprices; then
	test_expect_success 'ClickHouse: an hourly gap and a three-day outage' '
		ch_query "CREATE DATABASE IF NOT EXISTS hourly" &&
		ch_query "CREATE DATABASE IF NOT EXISTS outage" &&
		hourly clickhouse://127.0.0.1:${CH_HTTP##*:}/hourly 8 &&
		outage clickhouse://127.0.0.1:${CH_HTTP##*:}/outage 8
	'
else
	say "$CH_ERR"; exit 1
fi

test_done
