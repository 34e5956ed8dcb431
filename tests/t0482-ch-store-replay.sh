#!/bin/bash
# pm-store into a real ClickHouse server: a stream of every kind the
# market store keeps (run, raw, market, event, price, failure, a bad
# record) gives the rows SQLite gets from the same stream
# (bench/ch_rows.py, read with FINAL); stored twice, or replayed through
# pipelines.sh, it gives the rows of one store.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/ch.sh"
ROWS=$TOP/bench/ch_rows.py

ch_start replay || { say "$CH_ERR"; exit 1; }
# the flows' run locks on a ClickHouse store go to TMPDIR
# (pm-pipelines(7)): this test's, not the machine's /tmp
mkdir "$TMP/tmp" && export TMPDIR=$TMP/tmp
# one database per case, on the one server

stream() {
	rec_run_start 20261123T070000Z-static-ab12 static
	jq -c ".[]" "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json | pm-normalize
	jq -c ".[]" "$FIXTURES"/gamma-events-bobaoxu2001-1.json |
	    pm-normalize --endpoint events
	printf '%s\n' '{"kind":"price","source":"polymarket","token_id":"123","market_id":"5","outcome":"Yes","side":"buy","price":0.5,"ts":"2026-01-01T00:00:00.123Z"}' \
	    '{"kind":"price","source":"polymarket","token_id":"123","market_id":"5","outcome":"Yes","side":"history","price":0.42,"ts":"2026-03-22T07:00:00Z"}' \
	    '{"kind":"failure","stage":"fetch","reason":"fetch_failed","retriable":true,"url":"http://127.0.0.1/x","detail":"HTTP 503"}'
	rec_market bad1 volume=lots
	# jq would make it 1.797e308: written by hand
	echo '{"kind":"market","source":"polymarket","market_id":"huge1","volume":1e400}'
	rec_market 77 slug=ok volume:=12.5
}

test_expect_success 'a stream stored into ClickHouse: the rows SQLite has' '
	stream >in.ndjson && url=$(ch_newdb same) &&
	run pm-store --db "$url" in.ndjson && expect_status 1 &&
	test_grep "in clickhouse://127.0.0.1:[0-9]*/same" err &&
	test_grep "2 failed" err &&
	test_num "$(grep -c "\"stored\":\"inserted\"" out)" -ge 100 &&
	grep "\"market_id\":\"huge1\"" out | test_grep "\"stored\":\"failed\"" &&
	test_grep "huge1.*volume is not a number\|volume is not a number" err &&
	run pm-store --db s.db in.ndjson && expect_status 1 &&
	test_num "$(ch_dbq same "SELECT count() FROM markets FINAL")" -eq "$(jq -r "select(.kind == \"market\" and .stored != \"failed\") | .market_id" out | sort -u | wc -l)" &&
	test_num "$(ch_dbq same "SELECT count() FROM events FINAL")" -ge 1 &&
	test_num "$(ch_dbq same "SELECT count() FROM tags FINAL")" -ge 1 &&
	test_num "$(ch_dbq same "SELECT count() FROM processing_failures FINAL")" -eq 3 &&
	test_eq partial "$(ch_dbq same "SELECT status FROM processing_runs FINAL")" &&
	python3 "$ROWS" s.db "$(ch_dburl same)"
'

test_expect_success 'stored twice: the rows of one store; the versions of both' '
	stream >in.ndjson && one=$(ch_newdb once) && two=$(ch_newdb twice) &&
	run pm-store --db "$one" in.ndjson &&
	run pm-store --db "$two" in.ndjson && run pm-store --db "$two" in.ndjson &&
	expect_status 1 &&
	python3 "$ROWS" "$(ch_dburl once)" "$(ch_dburl twice)" &&
	n=$(ch_dbq once "SELECT count() FROM markets") && test_num "$n" -gt 100 &&
	test_num "$(ch_dbq twice "SELECT count() FROM markets")" -eq $((2 * n)) &&
	test_num "$(ch_dbq twice "SELECT count() FROM markets FINAL")" -eq "$n" &&
	test_eq 1 "$(ch_dbq twice "SELECT uniqExact(row_version) = count() FROM markets")"
'

test_expect_success 'replay flow: a dump into ClickHouse, twice, as into SQLite' '
	stream >dump.ndjson && url=$(ch_newdb replayed) &&
	DATABASE_URL=$url run "$TOP/pipelines.sh" replay dump.ndjson --env-file /dev/null &&
	expect_status 1 &&
	DATABASE_URL=$url run "$TOP/pipelines.sh" replay dump.ndjson --env-file /dev/null &&
	run "$TOP/pipelines.sh" replay dump.ndjson --db r.db --env-file /dev/null &&
	python3 "$ROWS" r.db "$(ch_dburl replayed)"
'

# a dump cut short (its run killed before its end), replayed into the
# database its run wrote: the run stays as it ended, not "completed" now
test_expect_success 'a dump without its end, stored again: the run ended as it ended' '
	url=$(ch_newdb cut) &&
	{ rec_run_start r9 static; rec_market c1; } >cut.ndjson &&
	{ cat cut.ndjson; echo "{\"kind\":\"run\",\"phase\":\"end\",\"run_id\":\"r9\",\"flow\":\"static\",\"finished_at\":\"2026-11-23T07:05:00Z\",\"status\":\"failed\",\"counts\":{\"records\":1}}"; } >whole.ndjson &&
	run pm-store --db "$url" whole.ndjson && expect_status 0 &&
	run pm-store --db "$url" cut.ndjson && expect_status 0 &&
	head -1 out | test_grep "\"stored\":\"unchanged\"" &&
	tail -1 out | test_grep "\"finished_at\":\"2026-11-23T07:05:00Z\",\"status\":\"failed\"" &&
	test_eq "failed	2026-11-23T07:05:00Z	{\"records\":1}" "$(ch_dbq cut "SELECT status, finished_at, counts FROM processing_runs FINAL")" &&
	test_eq 1 "$(ch_dbq cut "SELECT count() FROM processing_runs FINAL")"
'

# an end record need not hold counts: the run ended so, its start replayed
# alone wrote its end record with a null pointer for them (a crash); now
# with this input's, as SQLite (whose markets say unchanged, not inserted)
test_expect_success 'a dump without its end, of a run ended without counts: its end record, as on SQLite' '
	url=$(ch_newdb nocounts) &&
	{ rec_run_start r9 static; rec_market c1; } >cut.ndjson &&
	{ cat cut.ndjson; echo "{\"kind\":\"run\",\"phase\":\"end\",\"run_id\":\"r9\",\"flow\":\"static\",\"finished_at\":\"2026-11-23T07:05:00Z\",\"status\":\"failed\"}"; } >whole.ndjson &&
	run pm-store --db "$url" whole.ndjson && expect_status 0 &&
	run pm-store --db "$url" cut.ndjson && expect_status 0 && mv out ch.out &&
	pm-store --db s.db whole.ndjson >/dev/null 2>&1 &&
	run pm-store --db s.db cut.ndjson && expect_status 0 &&
	tail -1 out | jq -c "del(.counts)" >want && tail -1 ch.out | jq -c "del(.counts)" >got &&
	test_cmp want got &&
	tail -1 ch.out | test_grep "\"finished_at\":\"2026-11-23T07:05:00Z\",\"status\":\"failed\",\"counts\":{\"records\":1,"
'

# a dump marked to end with its end record (pipelines.sh's), cut before
# it (its writer killed), into a fresh database: partial, as on SQLite
test_expect_success 'a marked dump without its end, into a fresh database: partial, not completed' '
	url=$(ch_newdb killed) &&
	{ rec_run_start r8 daily | jq -c ".end_record = true"; rec_market k1; } >killed.ndjson &&
	run pm-store --db "$url" killed.ndjson && expect_status 0 &&
	tail -1 out | test_grep "\"status\":\"partial\"" &&
	test_grep "^pm-store: run r8: the input ended before its end record" err &&
	test_eq partial "$(ch_dbq killed "SELECT status FROM processing_runs FINAL")" &&
	run pm-store --db k.db killed.ndjson && expect_status 0 &&
	test_eq partial "$(sqlite3 k.db "SELECT status FROM processing_runs")"
'

# a dump with a bad line: the run was not stored whole by that input,
# whatever its end record says (before: completed); where it had ended,
# it stays as it ended; the whole dump again completes it; as on SQLite
test_expect_success 'a dump with a bad line: partial, as on SQLite; then whole: completed' '
	url=$(ch_newdb badline) &&
	{ rec_run_start r7 static | jq -c ".end_record = true"; rec_market b1
	  echo "{\"kind\":\"market\",\"source\":\"polym"; rec_market b2
	  rec_run_start r7 static | jq -c ".end_record = true | .phase = \"end\" |
	    .finished_at = \"2026-11-23T07:05:00Z\" | .status = \"completed\" |
	    .counts = {records: 3}"
	} >bad.ndjson && grep -v "source.:.polym\$" bad.ndjson >whole.ndjson &&
	test_line_count whole.ndjson 4 &&
	for db in "$url" bl.db; do
		run pm-store --db "$db" bad.ndjson && expect_status 1 &&
		test_grep "^pm-store: run r7: 1 of its records in this input not stored; its end record says completed: partial$" err &&
		tail -1 out | test_grep "\"status\":\"partial\"" &&
		run pm-store --db "$db" bad.ndjson && expect_status 1 &&
		tail -1 out | test_grep "\"status\":\"partial\".*\"stored\":\"unchanged\"" || return 1
	done &&
	test_eq partial "$(ch_dbq badline "SELECT status FROM processing_runs FINAL")" &&
	test_eq partial "$(sqlite3 bl.db "SELECT status FROM processing_runs")" &&
	for db in "$url" bl.db; do
		run pm-store --db "$db" whole.ndjson && expect_status 0 &&
		tail -1 out | test_grep "\"status\":\"completed\"" || return 1
	done &&
	test_eq "completed	2026-11-23T07:05:00Z" "$(ch_dbq badline "SELECT status, finished_at FROM processing_runs FINAL")" &&
	test_eq "completed|2026-11-23T07:05:00Z" "$(sqlite3 bl.db "SELECT status, finished_at FROM processing_runs")"
'

test_expect_success 'an export of the active markets, as SQLite gives it' '
	url=$(ch_newdb same) &&
	stream >in.ndjson && run pm-store --db s.db in.ndjson &&
	run pm-store --db s.db --export market && expect_status 0 && mv out want &&
	test_line_count want -gt 10 &&
	run pm-store --db "$url" --export market && expect_status 0 &&
	test_cmp want out
'

# a line that is no record (not JSON, not UTF-8) is one of the records
# the summary counts, as on SQLite (it said 1 records, 2 failed)
test_expect_success 'bad lines: the summary counts them as SQLite does' '
	url=$(ch_newdb badlines) &&
	{ rec_market b1; echo "{not json"; printf "\\377\\n"; } >bad.ndjson &&
	run pm-store --db b.db bad.ndjson && expect_status 1 &&
	test_grep -x "pm-store: 3 records: 1 inserted, .* 2 failed in b.db" err &&
	sed -n "s/ in b.db\$//p" err >want &&
	run pm-store --db "$url" bad.ndjson && expect_status 1 &&
	sed -n "s| in clickhouse://127.0.0.1:[0-9]*/badlines\$||p" err >got &&
	test_line_count want -eq 1 && test_cmp want got
'
# numbers at the edges of a double: the largest (its digits were read
# as inf, stored null) and the smallest subnormal (5e-324 was read as 0)
# stored as SQLite keeps them, in markets and prices
test_expect_success 'the largest and the smallest doubles: the values SQLite keeps' '
	url=$(ch_newdb edges) &&
	{ rec_market e1 volume:=1.7976931348623157e308 liquidity:=5e-324 \
	    spread:=-1.7976931348623157e308 best_bid:=-5e-324 \
	    best_ask:=1e-300 last_trade_price:=1e300 \
	    volume_24h:=9007199254740993 \
	    contracts:="[{\"outcome\":\"Yes\",\"token_id\":\"1\",\"price\":5e-324}]"
	  rec_price 1 buy 1.7976931348623157e308 2026-11-23T07:00:00Z
	  rec_price 1 sell 5e-324 2026-11-23T07:00:00Z
	} >edges.ndjson &&
	run pm-store --db e.db edges.ndjson && expect_status 0 &&
	run pm-store --db "$url" edges.ndjson && expect_status 0 &&
	python3 "$ROWS" e.db "$(ch_dburl edges)" &&
	test_eq "1.7976931348623157e308	5e-324" "$(ch_dbq edges "SELECT toString(volume), toString(liquidity) FROM markets FINAL")" &&
	test_eq "-1.7976931348623157e308	-5e-324" "$(ch_dbq edges "SELECT toString(spread), toString(best_bid) FROM markets FINAL")" &&
	ch_dbq edges "SELECT side, toString(price) FROM price_history FINAL ORDER BY side" >got &&
	printf "buy\t1.7976931348623157e308\nsell\t5e-324\n" >want &&
	test_cmp want got
'
test_done
