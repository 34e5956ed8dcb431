#!/bin/bash
# A run whose input pm-store did not read to its end (an input file that
# cannot be read, standard output closed by its reader or full, which
# stops the reading) did not store what its flow fetched: its row is
# partial, said on standard error and in its end record, and no
# watermark for the delta flow (--last-run).  Before, it was completed,
# and the next delta run listed only what changed after it.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/ch.sh"
pg_start

ID=20261202T070000Z-static-cut1
# a static run of many markets, its start record first
{
	printf '{"kind":"run","phase":"start","run_id":"%s","flow":"static","run_date":"2026-12-02","target_date":null,"window_days":null,"started_at":"2026-12-02T07:00:00.000Z","git_sha":"x","environment":"test","options":{}}\n' "$ID"
	jq -cn 'range(40000) | {kind: "market", source: "polymarket",
	    market_id: "m\(.)", question: "Q"}'
} >"$TMP/run.ndjson"
head -3 "$TMP/run.ndjson" >"$TMP/short.ndjson"

# check DB: the run is partial, its end record says so, no watermark
check() {
	test_eq partial "$(pm-store --db "$1" -e markets --limit 1 >/dev/null &&
	    case $1 in
	    postgres*) psql -X -A -t -q "$1" -c "SELECT status FROM processing_runs" ;;
	    clickhouse*) ch_query "SELECT argMax(status, row_version) FROM ${1##*/}.processing_runs" ;;
	    *) sqlite3 "$1" "SELECT status FROM processing_runs" ;;
	    esac)" &&
	test_eq "" "$(pm-store --db "$1" --last-run static)"
}

# cases DB: the three ways an input is left unread
cases() {
	local db=$1
	run pm-store --db "$db-1" "$TMP/short.ndjson" "$TMP/nosuch.ndjson" &&
	expect_status 3 &&
	test_grep "^pm-store: $TMP/nosuch.ndjson: No such file or directory\$" err &&
	test_grep -x "pm-store: run $ID: its input was not read to its end: partial" err &&
	jq -r "select(.kind == \"run\" and .phase == \"end\") | .status" out >st &&
	test_eq partial "$(cat st)" &&
	check "$db-1" &&
	{ pm-store --db "$db-2" "$TMP/run.ndjson" 2>err | head -1 >/dev/null; } &&
	test_grep -x "pm-store: run $ID: its input was not read to its end: partial" err &&
	check "$db-2" &&
	{ pm-store --db "$db-3" "$TMP/run.ndjson" >/dev/full 2>err; test $? -eq 3; } &&
	test_grep -x "pm-store: run $ID: its input was not read to its end: partial" err &&
	check "$db-3"
}

test_expect_success 'SQLite: a run whose input was not read whole is partial, no watermark' '
	cases "$TMP/s"
'

test_expect_success 'SQLite: the input read whole is still completed' '
	run pm-store --db w.db "$TMP/short.ndjson" && expect_status 0 &&
	test_eq completed "$(sqlite3 w.db "SELECT status FROM processing_runs")" &&
	test_eq 2026-12-02T07:00:00.000Z "$(pm-store --db w.db --last-run static)"
'

test_expect_success 'PostgreSQL: the same' '
	pg_ready &&
	pg1=$(pg_newdb cut1) && pg2=$(pg_newdb cut2) && pg3=$(pg_newdb cut3) &&
	run pm-store --db "$pg1" "$TMP/short.ndjson" "$TMP/nosuch.ndjson" &&
	expect_status 3 &&
	test_grep -x "pm-store: run $ID: its input was not read to its end: partial" err &&
	check "$pg1" &&
	{ pm-store --db "$pg2" "$TMP/run.ndjson" 2>err | head -1 >/dev/null; } &&
	test_grep -x "pm-store: run $ID: its input was not read to its end: partial" err &&
	check "$pg2" &&
	{ pm-store --db "$pg3" "$TMP/run.ndjson" >/dev/full 2>err; test $? -eq 3; } &&
	check "$pg3"
'

test_expect_success 'ClickHouse: the same' '
	{ ch_start cut || { say "$CH_ERR"; false; }; } &&
	ch_query "CREATE DATABASE c1" && ch_query "CREATE DATABASE c2" &&
	u=clickhouse://127.0.0.1:${CH_HTTP##*:} &&
	run pm-store --db "$u/c1" "$TMP/short.ndjson" "$TMP/nosuch.ndjson" &&
	expect_status 3 &&
	test_grep -x "pm-store: run $ID: its input was not read to its end: partial" err &&
	check "$u/c1" &&
	{ pm-store --db "$u/c2" "$TMP/run.ndjson" >/dev/full 2>err; test $? -eq 3; } &&
	test_grep -x "pm-store: run $ID: its input was not read to its end: partial" err &&
	check "$u/c2"
'

test_done
