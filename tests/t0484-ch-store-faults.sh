#!/bin/bash
# pm-store into ClickHouse when things go wrong: the server down at the
# start (exit 3 at once, no password shown), killed mid-run and
# restarted within PM_DB_TIMEOUT (nothing lost), killed for good (exit 3
# with the cause after PM_DB_TIMEOUT), and rows the server refuses (the
# block split until only they fail; the rest stored).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/ch.sh"

ch_start faults || { say "$CH_ERR"; exit 1; }
PORT=${CH_HTTP##*:}
markets() { for i in $(seq "$1" "$2"); do rec_market "$i" slug="$i"; done; }
killch() { kill -9 "$(cat "$CH_PIDFILE")"; }
count() { ch_query "SELECT count() FROM $1.markets FINAL"; }

test_expect_success 'server down at the start: exit 3 at once, no password' '
	p=$(ch_free_port) && start=$(date +%s) &&
	markets 1 3 >in.ndjson &&
	PM_DB_TIMEOUT=60 run pm-store --db "clickhouse://pm:s3cret@127.0.0.1:$p/default" in.ndjson &&
	expect_status 3 && test_num $(($(date +%s) - start)) -lt 10 &&
	test_grep "clickhouse://pm@127.0.0.1:$p" err &&
	test_grep -v s3cret err out && test ! -s out
'

test_expect_success 'killed mid-run, restarted within PM_DB_TIMEOUT: nothing lost' '
	url=$(ch_newdb back) && markets 1 3000 >in.ndjson &&
	mkfifo f && { PM_DB_TIMEOUT=60 pm-store --db "$url" <f >out 2>err & } &&
	pid=$! && exec 7>f &&
	head -n 1000 in.ndjson >&7 &&
	for _ in $(seq 100); do
		[ "$(count back)" = 1000 ] && break; sleep 0.2
	done && test_eq 1000 "$(count back)" &&
	killch && tail -n +1001 in.ndjson >&7 && sleep 3 &&
	ch_restart && exec 7>&- &&
	status=0 && wait $pid || status=$? &&
	expect_status 0 && test_eq 3000 "$(count back)" &&
	test_eq 3000 "$(grep -c "\"stored\":\"inserted\"" out)"
'

test_expect_success 'killed for good: exit 3 with the cause after PM_DB_TIMEOUT' '
	url=$(ch_newdb gone) && markets 1 500 >in.ndjson &&
	mkfifo f && { PM_DB_TIMEOUT=2 pm-store --db "$url" <f >out 2>err & } &&
	pid=$! && exec 7>f && head -n 100 in.ndjson >&7 &&
	for _ in $(seq 100); do
		[ "$(count gone)" = 100 ] && break; sleep 0.2
	done && test_eq 100 "$(count gone)" &&
	killch && tail -n +101 in.ndjson >&7 && exec 7>&- &&
	status=0 && wait $pid || status=$? &&
	ch_restart && expect_status 3 &&
	test_grep "within 2 s (PM_DB_TIMEOUT)" err &&
	test_grep -v "clickhouse://.*clickhouse://" err &&
	test_eq 400 "$(grep -c "\"reason\":\"store_failed\"" out)" &&
	test_eq 100 "$(count gone)"
'

test_expect_success 'rows the server refuses: split out, failed, the rest stored' '
	url=$(ch_newdb bisect) &&
	run pm-store --schema clickhouse --db "$url" && expect_status 0 &&
	ch_query "ALTER TABLE bisect.markets MODIFY COLUMN slug Nullable(Int64)" &&
	{ markets 1 400; rec_market x1 slug=one; markets 401 700;
	  rec_market x2 slug=two; rec_market x3 slug=three; markets 701 997; } >in.ndjson &&
	run pm-store --db "$url" in.ndjson && expect_status 1 &&
	test_grep "997 inserted, 0 updated, 0 unchanged, 0 duplicate, 0 skipped, 3 failed" err &&
	test_eq 997 "$(count bisect)" &&
	jq -r "select(.stored == \"failed\") | .market_id" out | sort >got &&
	printf "x1\nx2\nx3\n" >want && test_cmp want got &&
	test_eq 3 "$(grep -c "\"kind\":\"failure\".*\"detail\":\"markets: " out)" &&
	test_eq 3 "$(ch_query "SELECT count() FROM bisect.processing_failures FINAL WHERE reason = '\''bad_record'\'' AND detail LIKE '\''markets: %'\''")"
'
# found by a proxy that garbled ClickHouse's answers on purpose: a row of
# too few columns was read past its end (a crash), a count that was no
# number was taken for 0 (nothing pruned, success said), and an answer
# that was no number left the message without its reason
test_expect_success 'an export answer that is no row of the table: exit 3, said' '
	url=$(ch_newdb ansdb) && markets 1 5 >in.ndjson &&
	pm-store --db "$url" in.ndjson >/dev/null 2>&1 &&
	ch_proxy "^SELECT (source, (market_id|endpoint)|record)" "{\"source\":\"x\"}
" ansdb &&
	for e in "market --format csv" "market --format tsv" market raw; do
		run pm-store --db "$PROXY_URL" --export $e && expect_status 3 &&
		test_grep "export ${e%% *}: .*line 1 of the answer: not a row of the table" err &&
		test_grep -v "^x\|\"x\"" out || return 1
	done
'

test_expect_success 'a count that is no number: nothing said pruned, exit 3 with the answer' '
	url=$(ch_newdb ansdb) && markets 1 5 >in.ndjson &&
	rec_raw gamma markets "{}" "{\"id\":\"1\"}" >>in.ndjson &&
	pm-store --db "$url" in.ndjson >/dev/null 2>&1 &&
	ch_proxy "^SELECT count\\(\\) FROM raw_responses" "Code: 241, e.displayText() = DB::Exception: Memory limit
" ansdb &&
	run pm-store --db "$PROXY_URL" --prune-before 2999-01-01 && expect_status 3 &&
	test_grep "Code: 241, e.displayText() = DB::Exception: Memory limit" err &&
	test_grep -v "removed" err &&
	test_eq 1 "$(ch_query "SELECT count() FROM ansdb.raw_responses")"
'

test_expect_success 'a migration check answered with nothing: exit 3, and why' '
	ch_query "DROP DATABASE IF EXISTS ansdb" && url=$(ch_newdb ansdb) &&
	ch_proxy "^EXISTS TABLE" "" ansdb &&
	run pm-store --schema clickhouse --db "$PROXY_URL" && expect_status 3 &&
	test_grep "a number was due, the answer was empty" err
'
# 18.16 fails a read of system.tables or system.columns with "Table
# db.market_outcomes doesn't exist" when another pm-store drops that view
# (migration 5) while it reads: one of three pm-store started at once on
# a new database exited 3 so (t0434, once).  The read is made again.
test_expect_success 'a read of system.columns failing once with UNKNOWN_TABLE: read again, stored' '
	ch_query "DROP DATABASE IF EXISTS sysdb" && url=$(ch_newdb sysdb) &&
	pm-store --db "$url" </dev/null 2>/dev/null &&
	MATCH_TIMES=1 ch_proxy "^SELECT table, name FROM system.columns" "Code: 60, e.displayText() = DB::Exception: Table sysdb.market_outcomes doesn'"'"'t exist., e.what() = DB::Exception
" sysdb &&
	markets 1 5 >in.ndjson &&
	run pm-store --db "$PROXY_URL" in.ndjson && expect_status 0 &&
	test_grep " 0 failed in" err &&
	test_eq 5 "$(ch_query "SELECT count() FROM sysdb.markets FINAL")"
'
# pm-summary --status reads ClickHouse as TabSeparated: a proxy's page
# in a 200 was a row whose count read as 0, so the tables' check said
# "no pm-store tables" (exit 5, no data) for a database full of them
test_expect_success 'pm-summary --status answered with a page, not a table: exit 3, said' '
	url=$(ch_newdb stdb) && markets 1 5 >in.ndjson &&
	pm-store --db "$url" in.ndjson >/dev/null 2>&1 &&
	ch_proxy "^SELECT count\\(\\) FROM system.tables" "<html><body>Service Unavailable</body></html>
" stdb &&
	run pm-summary --status --db "$PROXY_URL" && expect_status 3 &&
	test_grep "schema version: an answer that is no TabSeparated table" err &&
	test_grep -v "no pm-store tables" out err
'

test_expect_success 'pm-summary --status: the runs answered with no table: exit 3, nothing written' '
	ch_proxy "FROM processing_runs" "garbage
" stdb &&
	run pm-summary --status --json --db "$PROXY_URL" && expect_status 3 &&
	test_grep "no TabSeparated table" err && test ! -s out
'
test_done
