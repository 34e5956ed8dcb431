#!/bin/bash
# pm-summary --status on PostgreSQL at a year of data: every check of a
# monitoring probe must stay quick.  The daily flow's freshness (each
# event no fresher than its newest result) was a correlated subquery
# that both engines inlined, the results of each event looked up nine
# times, and PostgreSQL's plan of a few thousand events cost enough for
# JIT with inlining and optimization: 2,000 markets 0.5 s, 8,000 markets
# 4 s, most of it compiling.  Counted, not timed: with jit_above_cost 0
# for the database (every statement of a new session would be compiled),
# pg_stat_statements says that no statement of the status was (it sets
# jit off for its own transaction, SET LOCAL), and that the blocks its
# statements read are about those the database holds, at N and at 4N
# markets, directly and through PgBouncer in transaction mode (where a
# setting made for the session would stay on the pool's connection).
# The report is the same as SQLite's.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
PG_OPTS="-c shared_preload_libraries=pg_stat_statements"
pg_start
pgbouncer_start

G=250	# events of two markets each, one result each: N = 500 markets
NOW=2026-11-25T00:00:00Z

psq() {
	psql -X -A -t -q -v ON_ERROR_STOP=1 "$1" -c "$2"
}

# the statements of this database that pg_stat_statements counted, but
# its own, PgBouncer's check of a server connection (select 1) and what
# db_open asks of a new connection (no table: its cost is nothing, and
# compiled only here, where the threshold is 0)
STMTS="FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database
    WHERE datname = current_database()) AND query NOT LIKE
    '%pg_stat_statements%' AND lower(query) <> 'select \$1' AND
    query NOT LIKE 'SELECT pg_backend_pid()%'"

# store G: database yG (direct URL printed) of G events, 2G markets, and
# lG.db with the same records; every statement of a new session of yG
# compiled (JIT)
store() {
	local url
	url=$(pg_newdb "y$1") &&
	python3 "$TESTS_DIR/year-data.py" "$1" >"y$1.ndjson" &&
	pm-store --db "$url" "y$1.ndjson" >/dev/null 2>&1 &&
	pm-store --db "l$1.db" "y$1.ndjson" >/dev/null 2>&1 &&
	psq "$url" "CREATE EXTENSION pg_stat_statements" &&
	psq "$url" "ALTER DATABASE y$1 SET jit_above_cost = 0" &&
	echo "$url"
}

# same URL G: the status of URL, text and JSON, the same as SQLite's but
# for the end of each run (when pm-store stored it)
same() {
	local s
	for j in "" --json; do
		s=0
		pm-summary --status $j --now $NOW --db "l$2.db" >want 2>&1 ||
		    s=$?
		run pm-summary --status $j --now $NOW --db "$1" &&
		expect_status $s &&
		test_cmp <(unended <want) <(unended <out) || return 1
	done
}

unended() {
	sed -e 's/ \.\. [0-9T:.-]*Z$/ .. END/' \
	    -e 's/"finished_at":"[^"]*"/"finished_at":"END"/g'
}

test_expect_success 'PostgreSQL: the status of N and 4N markets is that of SQLite' '
	pg_ready && a=$(store $G) && b=$(store $((4 * G))) &&
	jq -e ".markets.total == $((8 * G)) and
		([.flows[] | select(.flow == \"daily\")][0].last_update ==
		\"2026-11-23T07:00:01Z\")" <(pm-summary --status --json \
		--now $NOW --db "$b") >/dev/null &&
	same "$a" $G && same "$b" $((4 * G))
'

test_expect_success 'JIT is there: a statement of a new session is compiled' '
	pg_ready && url=$(pg_url_via y$G direct) &&
	psq "$url" "SELECT pg_stat_statements_reset()" >/dev/null &&
	psq "$url" "SELECT count(*) FROM markets WHERE closed = 1" >/dev/null &&
	n=$(psq "$url" "SELECT sum(jit_functions) $STMTS") &&
	test_num "${n:-0}" -gt 0 "functions compiled (JIT)"
'

# counted URL: "JIT BLOCKS HELD": of the statements of one --status
# --json of URL, the functions compiled (JIT) and the blocks read (hit
# or not); and the blocks the database holds (tables and indexes)
counted() {
	psq "$1" "SELECT pg_stat_statements_reset()" >/dev/null &&
	run pm-summary --status --json --now $NOW --db "$1" &&
	psq "$1" "SELECT coalesce(sum(jit_functions), 0) || ' ' ||
	    coalesce(sum(shared_blks_hit + shared_blks_read), 0) || ' ' ||
	    (SELECT sum(pg_relation_size(oid))::bigint / 8192 FROM pg_class WHERE
	    relnamespace = 'public'::regnamespace AND relkind IN ('r', 'i'))
	    $STMTS"
}

# cheap VIA: the status of N and 4N markets through VIA compiles nothing
# and reads each block of the database about once (the markets, twice)
cheap() {
	local a b
	a=$(counted "$(pg_url_via y$G "$1")") &&
	b=$(counted "$(pg_url_via y$((4 * G)) "$1")") || return 1
	# shellcheck disable=SC2086 # six numbers
	set -- $a $b
	echo "JIT functions, blocks read, blocks held: $1 $2 $3 at $((2 * G)) markets, $4 $5 $6 at $((8 * G))"
	test_num "$1" -eq 0 "functions compiled (JIT) at N" &&
	test_num "$4" -eq 0 "functions compiled (JIT) at 4N" &&
	test_num "$2" -lt $((2 * $3)) "blocks read at N" &&
	test_num "$5" -lt $((2 * $6)) "blocks read at 4N" &&
	test_num "$5" -lt $((6 * $2)) "blocks read at 4N against N"
}

test_expect_success 'PostgreSQL: the status compiles nothing, reads each block about once' '
	pg_ready && cheap direct
'

test_expect_success 'PostgreSQL through PgBouncer (transaction mode): the same' '
	pg_ready && pgb_ready && cheap pgbouncer
'

# once URL: how often the text status of URL read the markets for their
# freshness, and the events processed
once() {
	psq "$1" "SELECT pg_stat_statements_reset()" >/dev/null &&
	run pm-summary --status --now $NOW --db "$1" &&
	psq "$1" "SELECT coalesce(sum(calls) FILTER (WHERE query LIKE
	    '%FROM markets WHERE%'), 0) || ' ' || coalesce(sum(calls) FILTER
	    (WHERE query LIKE '%FROM processed_events%'), 0) $STMTS"
}

# static and delta ask the same of the markets, daily and retry-failures
# of the events processed; and the text report was read twice, once more
# for its sparkline: each was read four times
test_expect_success 'the text status reads the markets and the events processed once' '
	pg_ready && pgb_ready &&
	test_eq "1 1" "$(once "$(pg_url_via y$G direct)")" direct &&
	test_eq "1 1" "$(once "$(pgb_url y$G)")" "through PgBouncer"
'

test_expect_success 'through PgBouncer: jit left as it was for the pool' '
	pg_ready && pgb_ready && url=$(pgb_url y$G) &&
	run pm-summary --status --json --now $NOW --db "$url" &&
	# two transactions at once: one on each server connection of the pool
	on=$(for _ in 1 2; do
		psql -X -A -t -q -v ON_ERROR_STOP=1 "$url" -c "BEGIN" \
		    -c "SHOW jit" -c "SELECT pg_sleep(0.5)" -c "COMMIT" &
	done; wait) &&
	test_num "$(echo "$on" | grep -c "^on\$")" -eq 2 "connections with jit on"
'

test_done
