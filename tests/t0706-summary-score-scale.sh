#!/bin/bash
# pm-summary --score on a store of many markets: each market scored is
# looked up by its key (source, market_id), not by a scan of every
# market.  A result names its markets by id alone, and the look-up by
# market_id alone read the whole markets table (SQLite) or its whole
# primary key (PostgreSQL) once per market scored: time grew with the
# square of the markets (SQLite: 2,000 markets 1.8 s, 8,000 27 s; a year
# of forecasts on 100k markets, hours).  Counted, not timed: the blocks
# of markets and its indexes that PostgreSQL reads for the report, at N
# and at 4N markets, grow as the markets do, not as their square.
# PostgreSQL's answer of the results was held whole (a year of daily
# forecasts, hundreds of MB), as the look-ups of their markets share the
# connection: they are read through a cursor, a page at a time, directly
# and through PgBouncer in transaction mode.  Peak RSS, at N and 4N
# results, with a generous margin.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
pg_start

G=250	# events of two markets each, one result each

test_expect_success 'scores as before: every market resolved and scored' '
	python3 "$TESTS_DIR/year-data.py" $G >year.ndjson &&
	pm-store --db d.db year.ndjson >/dev/null 2>&1 &&
	run pm-summary --score --db d.db --json && expect_status 0 &&
	jq -e ".variants[0] | .forecasts == $G and .markets == 2 * $G and
		.pending == 0 and .reference.markets == 2 * $G" out >/dev/null
'

# blocks G: the blocks of markets (table and indexes) pm-summary --score
# reads from a store of G events, its report the same as SQLite's
blocks() {
	local url n i
	url=$(pg_newdb "year$1") &&
	python3 "$TESTS_DIR/year-data.py" "$1" >year.ndjson &&
	pm-store --db "$url" year.ndjson >/dev/null 2>&1 &&
	pm-store --db lite.db year.ndjson >/dev/null 2>&1 &&
	pm-summary --score --db lite.db --json >want &&
	psql -X -A -t -q "$url" -c "SELECT pg_stat_reset()" >/dev/null &&
	pm-summary --score --db "$url" --json >got && test_cmp want got || return 1
	# the backend's counts reach the views once it has ended
	for i in $(seq 50); do
		n=$(psql -X -A -t -q "$url" -c "SELECT heap_blks_hit +
			coalesce(heap_blks_read, 0) + idx_blks_hit +
			coalesce(idx_blks_read, 0) FROM pg_statio_user_tables
			WHERE relname = 'markets'")
		[ "${n:-0}" -gt 0 ] && [ "$n" = "${last:-}" ] && break
		last=$n
		sleep 0.2
	done
	echo "$n"
}

test_expect_success 'PostgreSQL: the blocks of markets read grow as the markets do' '
	pg_ready &&
	a=$(blocks $G) && b=$(blocks $((4 * G))) &&
	echo "blocks of markets read: $a for $((2 * G)) markets, $b for $((8 * G))" &&
	test_num "$b" -lt $((6 * a))
'

M=1000		# results (events of two markets) for the peak RSS: N
KEYLEN=250	# bytes of each event key and market id: rows of about 1 kB
SLACK=2000	# kB more at 4N than at N; holding every result took 4.5 MB more

# held SMALL LARGE: pm-summary --score of the stores SMALL (N results)
# and LARGE (4N): every result scored, hardly more memory; the report of
# LARGE in out
held() {
	local a b
	if ! a=$(peak pm-summary --score --db "$1" --json) ||
	    ! jq -e ".variants[0].forecasts == $M" out >/dev/null ||
	    ! b=$(peak pm-summary --score --db "$2" --json) ||
	    ! jq -e ".variants[0].forecasts == 4 * $M" out >/dev/null; then
		sed 's/^/  stderr: /' err | head -5
		return 1
	fi
	echo "peak RSS of pm-summary --score: $a kB for $M results, $b kB for $((4 * M))"
	test_num "$b" -lt $((a + SLACK))
}

test_expect_success 'PostgreSQL: pm-summary --score holds a page of results, not all' '
	pg_ready && n=$(pg_newdb rn) && l=$(pg_newdb rl) &&
	python3 "$TESTS_DIR/year-data.py" $M 0 $KEYLEN >n.ndjson &&
	python3 "$TESTS_DIR/year-data.py" $((4 * M)) 0 $KEYLEN >l.ndjson &&
	pm-store --db "$n" n.ndjson >/dev/null 2>&1 &&
	pm-store --db "$l" l.ndjson >/dev/null 2>&1 &&
	held "$n" "$l" && mv out "$TMP/direct.json"
'

pgbouncer_start
test_expect_success 'PostgreSQL through PgBouncer (transaction mode): the same, the same report' '
	pgb_ready && held "$(pgb_url rn)" "$(pgb_url rl)" &&
	test_cmp "$TMP/direct.json" out
'

test_done
