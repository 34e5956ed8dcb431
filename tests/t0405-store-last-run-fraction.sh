#!/bin/bash
# --last-run --now T counts the runs started before T, to the last digit
# of either fraction, whatever the number of digits each is written with
# (pm-records(5): 0 to 9): as text, "07:00:00Z" sorts after
# "07:00:00.500Z" and "07:00:00.000Z" after "07:00:00.000100000Z", so a
# run that started before T was taken as not before it, and of two runs
# of one second the earlier was taken as the newest.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/ch.sh"
pg_start

# runs FLOW STARTED...: a completed run of FLOW for each start time
runs() {
	local flow=$1 t i=0
	shift
	for t; do
		i=$((i + 1))
		printf '{"kind":"run","phase":"start","run_id":"r-%s-%d","flow":"%s","run_date":"2026-12-02","target_date":null,"window_days":null,"started_at":"%s","git_sha":"x","environment":"test","options":{}}\n' \
		    "$flow" "$i" "$flow" "$t"
	done
}
runs static 2026-12-02T07:00:00Z >"$TMP/in.ndjson"
runs delta 2026-12-02T07:00:00.000Z >>"$TMP/in.ndjson"
runs prices 2026-12-02T07:00:00Z 2026-12-02T07:00:00.5Z >>"$TMP/in.ndjson"

# check DB: what each flow's watermark is
check() {
	test_eq 2026-12-02T07:00:00Z \
	    "$(pm-store --db "$1" --last-run static --now 2026-12-02T07:00:00.5Z)" &&
	test_eq "" \
	    "$(pm-store --db "$1" --last-run static --now 2026-12-02T07:00:00Z)" &&
	test_eq 2026-12-02T07:00:00.000Z \
	    "$(pm-store --db "$1" --last-run delta --now 2026-12-02T07:00:00.0001Z)" &&
	test_eq "" \
	    "$(pm-store --db "$1" --last-run delta --now 2026-12-02T07:00:00.000000000Z)" &&
	test_eq 2026-12-02T07:00:00.5Z \
	    "$(pm-store --db "$1" --last-run prices --now 2026-12-02T07:00:01Z)" &&
	test_eq 2026-12-02T07:00:00Z \
	    "$(pm-store --db "$1" --last-run prices --now 2026-12-02T07:00:00.4Z)"
}

test_expect_success 'SQLite: runs started before --now within its second count' '
	run pm-store --db s.db "$TMP/in.ndjson" && expect_status 0 &&
	check s.db
'

test_expect_success 'PostgreSQL: the same' '
	pg_ready && url=$(pg_newdb lastrun) &&
	run pm-store --db "$url" "$TMP/in.ndjson" && expect_status 0 &&
	check "$url"
'

test_expect_success 'ClickHouse: the same' '
	{ ch_start lastrun || { say "$CH_ERR"; false; }; } &&
	ch_query "CREATE DATABASE l" &&
	u=clickhouse://127.0.0.1:${CH_HTTP##*:}/l &&
	run pm-store --db "$u" "$TMP/in.ndjson" && expect_status 0 &&
	check "$u"
'

test_done
