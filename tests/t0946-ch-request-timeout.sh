#!/bin/bash
# pm-store against a ClickHouse server that hangs mid-run with a request
# in flight (t0945 has one that never answers at all, from the first
# request): tests/ch-proxy.py passes the first requests on, then holds
# one (HANG), or passes half its answer and stalls (STALL).  Every request
# gets nothing for PM_DB_TIMEOUT at most (a query, which the server
# answers once it is done, PM_DB_QUERY_TIMEOUT before its answer begins):
# then exit 3, naming the request that timed out, nothing said stored that
# was not, and no password shown; an answer that keeps coming (TRICKLE) is
# not cut, however long it takes, nor a query that takes longer than
# PM_DB_TIMEOUT but less than PM_DB_QUERY_TIMEOUT to begin (SLOW).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/ch.sh"

# pw, with a password, that no message may show
cat >"$TMP/users.xml" <<'XML'
<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users>
    <default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default>
    <pw><password>s3cret</password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></pw>
  </users>
  <quotas><default></default></quotas>
</yandex>
XML
chmod 644 "$TMP/users.xml"
CH_USERS=$TMP/users.xml ch_start hang || { say "$CH_ERR"; exit 1; }
PORT=${CH_HTTP##*:}
export PM_DB_TIMEOUT=2 PM_DB_QUERY_TIMEOUT=3
# newdb DB: DB made afresh with pm-store's schema
newdb() {
	ch_query "DROP DATABASE IF EXISTS $1" && ch_query "CREATE DATABASE $1" &&
	pm-store --db "clickhouse://127.0.0.1:$PORT/$1" --schema clickhouse 2>/dev/null
}
# via: $PROXY_URL as pw, and as messages show it
via() { echo "${PROXY_URL/\/\//\/\/pw:s3cret@}"; }
shown() { echo "${PROXY_URL/\/\//\/\/pw@}"; }
count() { ch_query "SELECT count() FROM $1.markets FINAL"; }
# hung ARGS...: pm-store given 30 s, run; then exit 3 it must have been,
# well within 30 s, and no password said
hung() {
	local start
	start=$(date +%s) && run timeout 30 pm-store --db "$(via)" "$@" &&
	expect_status 3 && test_num $(($(date +%s) - start)) -lt 10 &&
	test_grep -v s3cret err out
}

test_expect_success 'an INSERT that gets no answer: exit 3 within PM_DB_TIMEOUT, its records failed, none said inserted' '
	newdb ins && for i in 1 2 3; do rec_market "m$i"; done >in.ndjson &&
	HANG="^INSERT INTO .markets." ch_proxy "" "" ins &&
	hung in.ndjson && test -e hung &&
	test_grep -x "pm-store: $(shown): INSERT INTO markets: no answer within 2 s (PM_DB_TIMEOUT)" err &&
	test_grep -v "\"stored\":\"inserted\"" out &&
	test_eq 3 "$(grep -c "\"reason\":\"store_failed\"" out)" &&
	test_eq 0 "$(count ins)"
'

test_expect_success 'a run whose markets get no answer: its end not recorded, said with the server named once' '
	newdb run && { rec_run_start r1 static; rec_market m1; } >in.ndjson &&
	HANG="^INSERT INTO .markets." ch_proxy "" "" run &&
	hung in.ndjson &&
	test_grep -x "pm-store: $(shown): run r1: cannot record its end: INSERT INTO markets: no answer within 2 s (PM_DB_TIMEOUT)" err &&
	test_grep -v "clickhouse://.*clickhouse://" err &&
	test_eq 1 "$(grep -c "\"reason\":\"store_failed\"" out)"
'

test_expect_success 'a later INSERT that gets no answer: what was stored before said stored, the rest failed' '
	newdb later && for i in $(seq 200); do rec_market "m$i"; done >in.ndjson &&
	HANG="^INSERT INTO .markets." HANG_AFTER=1 ch_proxy "" "" later &&
	mkfifo f && start=$(date +%s) &&
	{ timeout 30 pm-store --db "$(via)" <f >out 2>err & } &&
	pid=$! && exec 7>f && head -n 100 in.ndjson >&7 &&
	for _ in $(seq 100); do
		[ "$(count later)" = 100 ] && break; sleep 0.1
	done && test_eq 100 "$(count later)" &&
	tail -n +101 in.ndjson >&7 && exec 7>&- &&
	status=0 && wait $pid || status=$? &&
	expect_status 3 && test_num $(($(date +%s) - start)) -lt 15 &&
	test_grep -x "pm-store: $(shown): INSERT INTO markets: no answer within 2 s (PM_DB_TIMEOUT)" err &&
	test_eq 100 "$(grep -c "\"stored\":\"inserted\"" out)" &&
	test_eq 100 "$(grep -c "\"reason\":\"store_failed\"" out)" &&
	test_grep "200 records: 100 inserted, 0 updated, 0 unchanged, 0 duplicate, 0 skipped, 100 failed" err &&
	test_grep -v s3cret err out && test_eq 100 "$(count later)"
'

# --export markets hangs, --export events stalls half-way, --export raw
# trickles for longer than PM_DB_TIMEOUT (five seconds)
test_expect_success '--export: an answer that never comes or stops half-way is exit 3, nothing written; one slow but coming is whole' '
	newdb exp && for i in 1 2 3 4 5 6; do rec_market "m$i"; done >in.ndjson &&
	echo "{\"kind\":\"event\",\"source\":\"polymarket\",\"event_id\":\"e1\",\"title\":\"E\"}" >>in.ndjson &&
	rec_raw gamma markets "{}" "{\"id\":\"1\"}" >>in.ndjson &&
	pm-store --db "clickhouse://127.0.0.1:$PORT/exp" in.ndjson >/dev/null 2>&1 &&
	HANG="^SELECT source, market_id, record, " \
	    STALL="^SELECT source, event_id, record " \
	    TRICKLE="^SELECT source, endpoint, " ch_proxy "" "" exp &&
	hung --export markets && test_line_count out 0 &&
	test_grep -x "pm-store: --export markets: $(shown): SELECT ... FROM markets: no answer within 3 s (PM_DB_QUERY_TIMEOUT)" err &&
	hung --export events && test_line_count out 0 &&
	test_grep -x "pm-store: --export events: $(shown): SELECT ... FROM events: the answer stopped coming, nothing more within 2 s (PM_DB_TIMEOUT)" err &&
	start=$(date +%s) && run pm-store --db "$(via)" --export raw &&
	expect_status 0 && test_count raw out 1 &&
	test_num $(($(date +%s) - start)) -ge 4 "seconds the answer took"
'

# a query that takes four seconds to answer: over PM_DB_TIMEOUT, under a
# PM_DB_QUERY_TIMEOUT of 6, it is waited for; under one of 3 it is not
test_expect_success '--export: a query the server works on for longer than PM_DB_TIMEOUT is waited for, PM_DB_QUERY_TIMEOUT at most' '
	newdb slow && for i in 1 2 3; do rec_market "m$i"; done >in.ndjson &&
	pm-store --db "clickhouse://127.0.0.1:$PORT/slow" in.ndjson >/dev/null 2>&1 &&
	SLOW="^SELECT source, market_id, record, " ch_proxy "" "" slow &&
	start=$(date +%s) &&
	PM_DB_QUERY_TIMEOUT=6 run pm-store --db "$(via)" --export markets &&
	expect_status 0 && test_count market out 3 &&
	test_num $(($(date +%s) - start)) -ge 4 "seconds the answer took" &&
	hung --export markets && test_line_count out 0 &&
	test_grep -x "pm-store: --export markets: $(shown): SELECT ... FROM markets: no answer within 3 s (PM_DB_QUERY_TIMEOUT)" err
'

test_expect_success '--last-run, --prune-before: a count or a deletion that gets no answer is exit 3, nothing said removed' '
	newdb runs && { rec_run_start r1 static; rec_market m1;
	  rec_raw gamma markets "{}" "{\"id\":\"1\"}"; } >in.ndjson &&
	pm-store --db "clickhouse://127.0.0.1:$PORT/runs" in.ndjson >/dev/null 2>&1 &&
	HANG="SELECT argMax[(]started_at|^ALTER TABLE" ch_proxy "" "" runs &&
	hung --last-run static && test_line_count out 0 &&
	test_grep -x "pm-store: $(shown): SELECT ... FROM processing_runs: no answer within 3 s (PM_DB_QUERY_TIMEOUT)" err &&
	hung --prune-before 2999-01-01 &&
	test_grep -x "pm-store: $(shown): ALTER TABLE raw_responses: no answer within 3 s (PM_DB_QUERY_TIMEOUT)" err &&
	test_grep -v "removed" err &&
	test_eq 1 "$(ch_query "SELECT count() FROM runs.raw_responses")"
'

# last: the server itself stopped (SIGSTOP) after a first batch, on the
# connection the run keeps alive; a fraction of a second said as it is
test_expect_success 'the server stopped mid-run: exit 3 within PM_DB_TIMEOUT, the first batch said stored' '
	newdb stop && for i in $(seq 200); do rec_market "m$i"; done >in.ndjson &&
	mkfifo f && { PM_DB_TIMEOUT=1.5 timeout 30 pm-store --db "clickhouse://127.0.0.1:$PORT/stop" <f >out 2>err & } &&
	pid=$! && exec 7>f && head -n 100 in.ndjson >&7 &&
	for _ in $(seq 100); do
		[ "$(count stop)" = 100 ] && break; sleep 0.1
	done && test_eq 100 "$(count stop)" &&
	kill -STOP "$(cat "$CH_PIDFILE")" &&
	test_when_finished "kill -CONT $(cat "$CH_PIDFILE")" &&
	start=$(date +%s) && tail -n +101 in.ndjson >&7 && exec 7>&- &&
	status=0 && wait $pid || status=$? &&
	expect_status 3 && test_num $(($(date +%s) - start)) -lt 10 &&
	test_grep -x "pm-store: clickhouse://127.0.0.1:$PORT/stop: INSERT INTO markets: no answer within 1.5 s (PM_DB_TIMEOUT)" err &&
	test_eq 100 "$(grep -c "\"stored\":\"inserted\"" out)" &&
	test_eq 100 "$(grep -c "\"reason\":\"store_failed\"" out)"
'

test_done
