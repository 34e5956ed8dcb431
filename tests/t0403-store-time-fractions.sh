#!/bin/bash
# Stored times keep the fraction a record gave them (pm-records(5): 0 to
# 9 digits), and --prune-before and --closed-since compared them as text
# with the bound padded to nine digits: "23:59:59.999Z" sorts after
# "23:59:59.999900000Z" ('Z' after the digits), so a fetch at .999 was
# kept by a prune before .9999, and a market fetched at 23.629 was taken
# as closed since 23.6291.  Now exact, on SQLite, PostgreSQL and
# ClickHouse.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/ch.sh"
pg_start
ch_start fractions || { say "$CH_ERR"; exit 1; }

CUT=2026-02-28T23:59:59.9999Z
# before the cut, then at or after it, each written as a record may be
BEFORE=(2026-02-28T23:59:59.999Z 2026-02-28T23:59:59Z 2026-02-28T23:59:59.99989Z
    2026-02-28T23:59:58.99999Z)
AFTER=(2026-02-28T23:59:59.9999Z 2026-02-28T23:59:59.999900000Z 2026-02-28T23:59:59.99991Z
    2026-03-01T00:00:00Z)

# $1: a database URL: a fetch at each time, pruned before the cut
prune_check() {
	for t in "${BEFORE[@]}" "${AFTER[@]}"; do
		rec_fetched "$t" markets "{\"t\":\"$t\"}"
	done | pm-store --db "$1" >/dev/null 2>&1 &&
	run pm-store --db "$1" -N --prune-before "$CUT" && expect_status 0 &&
	test_grep "^pm-store: 4 raw payload versions fetched before $CUT would go" err &&
	run pm-store --db "$1" --prune-before "$CUT" && expect_status 0 &&
	test_grep "^pm-store: 4 raw payload versions fetched before $CUT removed" err &&
	pm-store --db "$1" --export raw | jq -r .fetched_at | sort >got &&
	printf "%s\n" "${AFTER[@]}" | sort >want &&
	test_cmp want got
}

# $1: a database URL: a closed market fetched at each time
since_check() {
	i=0 &&
	for t in "${BEFORE[@]}" "${AFTER[@]}"; do
		i=$((i + 1)) &&
		rec_market "m$i-$t" closed:=true active:=false fetched_at:="\"$t\"" ||
		    return 1
	done | pm-store --db "$1" >/dev/null 2>&1 &&
	run pm-store --db "$1" --export market --closed-since "$CUT" &&
	expect_status 0 && jq -r .fetched_at out | sort >got &&
	printf "%s\n" "${AFTER[@]}" | sort >want &&
	test_cmp want got
}

test_expect_success 'a fetch before the cut in its second goes, whatever the fraction lengths: SQLite, PostgreSQL, ClickHouse' '
	prune_check sqlite:p.db && prune_check "$(pg_newdb prune)" &&
	ch_query "CREATE DATABASE p" &&
	prune_check "clickhouse://127.0.0.1:${CH_HTTP##*:}/p"
'

test_expect_success 'a market closed and fetched before --closed-since in its second is left out: SQLite, PostgreSQL, ClickHouse' '
	since_check sqlite:s.db && since_check "$(pg_newdb since)" &&
	ch_query "CREATE DATABASE s" &&
	since_check "clickhouse://127.0.0.1:${CH_HTTP##*:}/s"
'

test_expect_success 'a bound with nine digits, or nine and an offset, is taken' '
	rec_fetched "$CUT" markets "{}" | pm-store --db n.db >/dev/null 2>&1 &&
	run pm-store --db n.db -N --prune-before 2026-02-28T23:59:59.999900000Z &&
	expect_status 0 &&
	test_grep "^pm-store: 0 raw payload versions fetched before" err &&
	run pm-store --db n.db -N --prune-before 2026-03-01T00:59:59.999900001+01:00 &&
	expect_status 0 &&
	test_grep "^pm-store: 1 raw payload versions fetched before" err
'

test_done
