#!/bin/bash
# A string holding U+0000 is a bad_record, not retriable, saying which
# member, on SQLite and PostgreSQL alike, on the row path and on the COPY
# path of a batch; the good records of the batch are stored.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
pg_start

input() {
	rec_market 1 contracts:="$(rec_yes_no t1 0.5 u1 0.5)"
	rec_market 2 question="a\\u0000b" | sed 's/\\\\u0000/\\u0000/'
	rec_market 3 contracts:="$(rec_yes_no t3 0.5 u3 0.5)"
	printf '%s\n' '{"kind":"price","token_id":"t\u0000","side":"buy","price":0.5,"ts":"2026-01-01T00:00:00Z"}'
	printf '%s\n' '{"kind":"price","token_id":"t1","side":"buy","price":0.5,"ts":"2026-01-01T00:00:00Z"}'
	rec_group "e\\u0000" null "$(rec_market 4)" | sed 's/\\\\u0000/\\u0000/'
	rec_market 5 outcome="x"
}

# $1: a database URL
check() {
	input >in.ndjson &&
	test "$(grep -c "u0000" in.ndjson)" -eq 3 &&
	run pm-store --db "$1" in.ndjson && expect_status 1 &&
	test_count failure out 3 &&
	jq -r "select(.kind == \"failure\") | [.reason, .retriable, .detail] | @tsv" out >got &&
	printf "bad_record\tfalse\t%s\n" "question holds U+0000" "token_id holds U+0000" "event_key holds U+0000" >want &&
	test_cmp want got &&
	test_grep "4 inserted" err &&
	test "$(db_dump "$1" | grep -c "^\[\"markets\"")" -eq 3 &&
	test "$(db_dump "$1" | grep -c "^\[\"price_history\"")" -eq 1
}

test_expect_success 'SQLite: bad_record with its reason' '
	check sqlite:n.db
'

test_expect_success 'PostgreSQL, COPY path and row path: the same' '
	pg_ready && url=$(pg_newdb nul) && check "$url"
'

test_done
