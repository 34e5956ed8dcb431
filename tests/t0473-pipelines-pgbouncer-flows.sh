#!/bin/bash
# The daily, static and replay flows through PgBouncer in transaction mode
# (pool of 2) store the same rows as directly (issue 16), the run lock and
# the final run status included.  Run ids, wall-clock times (with
# milliseconds), latencies and lead times (from the wall clock) differ
# between two runs and are masked.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/pg.sh"
pg_start
pgbouncer_start

P=$TOP/pipelines.sh
NOW=$(date -u +%Y-%m-%dT%H:00:00Z)
# The markets close tomorrow, at hours 0 to 23: the target day
# (--window-days 1) holds them all whatever the hour of the run, and
# --margin 0 leaves none out.  Today's would hold none after 23:30 UTC.
DAY1=$(date -u -d "$NOW + 1 day" +%Y-%m-%dT%H:%M:%SZ)
fake_start pm --markets 60 --events 3 --spread-days 1 --now "$DAY1"
flow() { run "$P" "$@" --env-file /dev/null --now "$NOW"; }
# db_dump URL SUMMARY: the rows, this run's id and wall-clock times masked
# price_history's raw_sha256 names the prices request a token went in;
# which tokens share a request follows the order the listing's partitions
# answer in, which no two runs share (pm-fetch(1)): those requests and
# their hashes are masked like times, the prices they gave are compared.
masked() {
	db_dump "$1" | sed -e "s/$(jq -r .run_id "$2")/RUN/g" \
	    -e 's/20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:]\{8\}\.[0-9]\{3\}Z/TS/g' \
	    -e 's/\(lead_h[^0-9]*\)[0-9][0-9.e+-]*/\1L/g' \
	    -e 's/\(latency_ms[^0-9]*\)[0-9][0-9.e+-]*/\1L/g' \
	    -e 's/"TS","TS","[0-9][0-9.e+-]*"/"TS","TS","L"/g' \
	    -e '/^\["experiment_markets"/s/,"[0-9][0-9.e+-]*"\]$/,"L"]/' \
	    -e '/^\["price_history"/s/,"[0-9a-f]\{64\}","RUN"\]$/,"SHA","RUN"]/' \
	    -e '/^\["raw_responses","[0-9a-f]*","clob","prices"/d'
}

test_expect_success 'daily: direct and through the pooler, the same rows' '
	pgb_ready && direct=$(pg_newdb ddirect) && pg_newdb dpooled >/dev/null &&
	pooled=$(pgb_url dpooled) &&
	flow daily --db "$direct" --window-days 1 --margin 0 --dump-dir "$TMP/dd" --summary-path d1.json &&
	expect_status 0 &&
	flow daily --db "$pooled" --window-days 1 --margin 0 --no-dump --summary-path d2.json &&
	expect_status 0 &&
	test_num "$(jq .totals.processed d2.json)" -gt 0 &&
	jq -e ".run_status == \"completed\"" d2.json >/dev/null &&
	masked "$direct" d1.json >one && masked "$pooled" d2.json >two && test_cmp one two &&
	echo "$direct" >"$TMP/direct"
'
test_expect_success 'replay of the direct run'"'"'s dump through the pooler: the same rows' '
	pg_newdb rpooled >/dev/null && rp=$(pgb_url rpooled) &&
	direct=$(cat "$TMP/direct") &&
	flow replay "$TMP"/dd/*.ndjson --db "$rp" && expect_status 0 &&
	db_dump "$direct" >one && db_dump "$rp" >two && test_cmp one two
'
test_expect_success 'static: direct and through the pooler, the same rows' '
	direct=$(pg_newdb sdirect) && pg_newdb spooled >/dev/null && pooled=$(pgb_url spooled) &&
	flow static --db "$direct" --summary-path s1.json && expect_status 0 &&
	flow static --db "$pooled" --summary-path s2.json && expect_status 0 &&
	test_num "$(jq .totals.fetched s2.json)" -gt 60 &&
	masked "$direct" s1.json >one && masked "$pooled" s2.json >two && test_cmp one two &&
	test_eq completed "$(psql -X -A -t -q "$pooled" -c "SELECT status FROM processing_runs")"
'
test_done
