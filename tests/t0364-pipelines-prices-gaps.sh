#!/bin/bash
# pipelines.sh prices after its cron job missed days: the next run asks
# each token's history from its watermark (pm-store --export market's
# history_since), a day a request, so every missed day's points are
# stored; the watermark counts only the points of runs that fetched the
# token's history whole.  The fake server's clock (clock_skew) and the
# flow's (--now) move together: days pass without waiting.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/ch.sh"
. "$TESTS_DIR/fake-polymarket.sh"

P=$TOP/pipelines.sh
fake_start pm --markets 2 --only-synthetic --log "$TMP/api.log"

flow() { run "$P" "$@" --env-file /dev/null; }
DAY=86400
NOW=$(date -u +%s)
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
# the prices flow D days before NOW, the fake server's clock with it
prices_at() {
	fake_control "{\"clock_skew\": $((-$2 * DAY))}" &&
	flow prices --db "$1" --no-dump --now "$(iso $((NOW - $2 * DAY)))"
}
markets() { pm-fetch markets 2>/dev/null | pm-normalize | pm-store --db "$1" >/dev/null 2>&1; }
# per token, the longest time between two of its history points, and
# its first and last point, in epoch seconds
spans() {
	pm-store --db "$1" --export price | jq -rs 'map(select(.kind == "price" and
	    .side == "history")) | group_by(.token_id)[] |
	    [.[].ts | .[0:19] + "Z" | fromdate] | sort | . as $t |
	    "\([range(1; length) | $t[.] - $t[. - 1]] | max) \($t[0]) \($t[-1])"'
}
# every one of the 4 tokens: no gap over an hour (the fidelity) from
# before FROM to after TO
no_gap() {
	spans "$1" >span.txt && test_line_count span.txt 4 &&
	while read -r gap first last; do
		test_num "$gap" -le 3600 && test_num "$first" -le "$2" &&
		test_num "$last" -ge "$3" || return 1
	done <span.txt
}

DB=$TMP/pm.db
markets "$DB"

test_expect_success 'a first run: the last day, as before (no watermark yet)' '
	prices_at "$DB" 25 && expect_status 0 &&
	grep "^GET /prices-history" "$TMP/api.log" >asked && test_line_count asked 4 &&
	test_eq 4 "$(grep -c "interval=1d" asked)" &&
	pm-store --db "$DB" --export market >m &&
	jq_all ".history_since" m
'

test_expect_success 'three days later: every missed day'\''s points are stored' '
	: >"$TMP/api.log" &&
	prices_at "$DB" 22 && expect_status 0 &&
	no_gap "$DB" $((NOW - 25 * DAY)) $((NOW - 22 * DAY - 3600)) &&
	grep "^GET /prices-history" "$TMP/api.log" >asked &&
	not test_grep interval= asked && test_grep "startTs=.*&endTs=$((NOW - 22 * DAY))$" asked &&
	test_line_count asked 16
'

# the market records pass through the flow: stored again, they are as
# they were (the watermark is no part of what the market says)
test_expect_success 'the market records the flow stores again are unchanged' '
	test_eq 0 "$(sqlite3 "$DB" "SELECT count(*) FROM markets WHERE record LIKE
		'\''%history_since%'\'' OR run_id IN (SELECT run_id FROM processing_runs
		WHERE flow = '\''prices'\'')")"
'

test_expect_success 'the watermark: the newest point of a whole run less an hour, the oldest of the market'\''s tokens' '
	pm-store --db "$DB" --export market >m &&
	sqlite3 "$DB" "SELECT market_id, min(ts) FROM (SELECT k.market_id, max(h.ts) AS ts
		FROM contracts k JOIN price_history h ON h.token_id = k.token_id AND
		h.side = '\''history'\'' GROUP BY k.market_id, k.token_id) GROUP BY market_id" >want.raw &&
	test_line_count want.raw 2 &&
	while IFS="|" read -r id ts; do
		test_eq "$(iso $(($(date -u -d "$ts" +%s) - 3600)))" \
		    "$(jq -r "select(.market_id == \"$id\") | .history_since" m)" || return 1
	done <want.raw
'

cp "$DB" "$TMP/refused.db"

# 22 days: over the 15 days the API takes in one window
test_expect_success 'a run whose older windows fail: partial, its points no watermark' '
	fake_control "{\"history_fail_before\": $((NOW - 20 * DAY))}" &&
	test_when_finished fake_control "{\"history_fail_before\": null}" &&
	prices_at "$DB" 0 && expect_status 1 &&
	test_eq partial "$(sqlite3 "$DB" "SELECT status FROM processing_runs
		WHERE flow = '\''prices'\'' ORDER BY started_at DESC LIMIT 1")" &&
	spans "$DB" >span.txt && test_num "$(cut -d" " -f1 span.txt | sort -n | tail -1)" -gt $DAY
'

test_expect_success 'the next run fills the gap under the partial run'\''s points, a day a request' '
	: >"$TMP/api.log" &&
	prices_at "$DB" 0 && expect_status 0 &&
	no_gap "$DB" $((NOW - 25 * DAY)) $((NOW - 3600)) &&
	grep "^GET /prices-history" "$TMP/api.log" >asked &&
	test_num "$(wc -l <asked)" -ge $((4 * 22)) &&
	not grep " 400 " "$TMP/api.log"
'

test_expect_success 'a watermark past the run'\''s clock: the last day, as before' '
	: >"$TMP/api.log" &&
	prices_at "$DB" 30 && expect_status 0 &&
	grep "^GET /prices-history" "$TMP/api.log" >asked &&
	test_eq 4 "$(grep -c "interval=1d" asked)"
'

# killed with its pm-store, a run stays running (the next marks it
# abandoned): it stored its newest day only
test_expect_success 'a run killed after its newest day: the next run fills the gap' '
	DB=$TMP/killed.db && markets "$DB" &&
	prices_at "$DB" 6 && expect_status 0 &&
	fake_control "{\"clock_skew\": $((-3 * DAY))}" &&
	{ printf "%s\n" "{\"kind\":\"run\",\"phase\":\"start\",\"run_id\":\"killed-1\",\"flow\":\"prices\",\"run_date\":\"2026-01-01\",\"started_at\":\"2026-01-01T00:00:00Z\"}" &&
	  pm-store --db "$DB" --export market |
	  pm-fetch history --start-ts $((NOW - 4 * DAY)) --end-ts $((NOW - 3 * DAY)); } |
	    pm-normalize | pm-store --db "$DB" >/dev/null 2>&1 &&
	sqlite3 "$DB" "UPDATE processing_runs SET status = '\''running'\'', finished_at = NULL
		WHERE run_id = '\''killed-1'\''" &&
	prices_at "$DB" 3 && expect_status 0 &&
	no_gap "$DB" $((NOW - 6 * DAY)) $((NOW - 3 * DAY - 3600))
'

pg_start
test_expect_success 'PostgreSQL: three days later, every missed day'\''s points' '
	pg_ready && url=$(pg_newdb gap) &&
	markets "$url" &&
	prices_at "$url" 3 && expect_status 0 &&
	pm-store --db "$url" --export market >m && jq_all ".history_since" m &&
	prices_at "$url" 0 && expect_status 0 &&
	no_gap "$url" $((NOW - 3 * DAY)) $((NOW - 3600))
'

if ch_start histgap; then
	test_expect_success 'ClickHouse: three days later, every missed day'\''s points' '
		ch_query "CREATE DATABASE IF NOT EXISTS gap" &&
		url=clickhouse://127.0.0.1:${CH_HTTP##*:}/gap &&
		markets "$url" &&
		prices_at "$url" 3 && expect_status 0 &&
		pm-store --db "$url" --export market >m && jq_all ".history_since" m &&
		prices_at "$url" 0 && expect_status 0 &&
		no_gap "$url" $((NOW - 3 * DAY)) $((NOW - 3600))
	'
else
	say "$CH_ERR"; exit 1
fi

# An older window refused (403 from a proxy: not retried by pm-fetch):
# the failure is retriable (fetch_failed, pm-records(5)), so the newer
# days' points are no watermark, as for a 500.
test_expect_success 'an older window refused (403): the next run fills the gap' '
	fake_control "{\"history_fail_before\": $((NOW - 20 * DAY)), \"history_fail_status\": 403}" &&
	test_when_finished fake_control "{\"history_fail_before\": null, \"history_fail_status\": null}" &&
	prices_at "$TMP/refused.db" 0 && expect_status 1 &&
	test_eq 1 "$(sqlite3 "$TMP/refused.db" "SELECT DISTINCT retriable FROM processing_failures
		WHERE url LIKE '\''%/prices-history%'\''")" &&
	fake_control "{\"history_fail_before\": null}" &&
	prices_at "$TMP/refused.db" 0 && expect_status 0 &&
	no_gap "$TMP/refused.db" $((NOW - 25 * DAY)) $((NOW - 3600))
'

test_done
