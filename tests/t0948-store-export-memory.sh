#!/bin/bash
# The reading commands at scale: pm-store --export (raw, market, group,
# result, as NDJSON and CSV) holds a row at a time, whatever the size of
# the store, on SQLite, PostgreSQL (directly and through PgBouncer in
# transaction mode) and ClickHouse: its peak RSS for a store of 4N rows
# is hardly more than for N.  ClickHouse's answer was read whole, then
# parsed by a parser as large: an export of raw payloads took twice
# their size in memory (a year of payloads: out of memory); it now waits
# in a temporary file.  Peak RSS,
# not time, with a generous margin; the data is modest (N: 300 markets,
# each fetched as a raw payload of 20 kB, 6 MB in all).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/ch.sh"

G=150		# events of two markets: N
PAD=20000	# bytes of each raw payload
SLACK=10000	# kB more at 4N than at N; reading whole took 20 MB more

python3 "$TESTS_DIR/year-data.py" $G $PAD >"$TMP/n.ndjson"
python3 "$TESTS_DIR/year-data.py" $((4 * G)) $PAD >"$TMP/4n.ndjson"

# bounded SMALL LARGE WHAT...: pm-store --export WHAT from the store
# SMALL (N rows) and LARGE (4N): as many rows more as due, hardly more
# memory
bounded() {
	local small=$1 large=$2 a b na nb
	shift 2
	if ! a=$(peak pm-store --db "$small" --export "$@") ||
	    ! na=$(wc -l <out) ||
	    ! b=$(peak pm-store --db "$large" --export "$@"); then
		sed 's/^/  stderr: /' err | head -5
		return 1
	fi
	nb=$(wc -l <out)
	echo "--export $*: $na lines, $a kB; $nb lines, $b kB"
	test_num "$nb" -ge $((3 * na)) && test_num "$b" -lt $((a + SLACK))
}

# every EXPORT of the two stores, the first time each is made
every() {
	bounded "$1" "$2" raw &&
	bounded "$1" "$2" market --all &&
	bounded "$1" "$2" market --all --format csv
}

test_expect_success 'SQLite: every export holds a row at a time' '
	pm-store --db "$TMP/n.db" "$TMP/n.ndjson" >/dev/null 2>&1 &&
	pm-store --db "$TMP/4n.db" "$TMP/4n.ndjson" >/dev/null 2>&1 &&
	every "$TMP/n.db" "$TMP/4n.db" &&
	bounded "$TMP/n.db" "$TMP/4n.db" group &&
	bounded "$TMP/n.db" "$TMP/4n.db" result --format csv
'

pg_start
test_expect_success 'PostgreSQL: every export holds a row at a time' '
	pg_ready && n=$(pg_newdb n) && l=$(pg_newdb l) &&
	pm-store --db "$n" "$TMP/n.ndjson" >/dev/null 2>&1 &&
	pm-store --db "$l" "$TMP/4n.ndjson" >/dev/null 2>&1 &&
	every "$n" "$l" && bounded "$n" "$l" group &&
	bounded "$n" "$l" result --format csv
'

pgbouncer_start
test_expect_success 'PostgreSQL through PgBouncer (transaction mode): the same' '
	pgb_ready && n=$(pgb_url n) && l=$(pgb_url l) &&
	every "$n" "$l" && bounded "$n" "$l" group
'

ch_start scale || { say "$CH_ERR"; exit 1; }
test_expect_success 'ClickHouse: every export holds a row at a time' '
	ch_query "CREATE DATABASE n" >/dev/null && ch_query "CREATE DATABASE l" >/dev/null &&
	u=clickhouse://127.0.0.1:${CH_HTTP##*:} &&
	# no groups: experiment results are kept in SQL stores only
	grep -v "^{\"kind\": \"group\"" "$TMP/n.ndjson" >n.ndjson &&
	grep -v "^{\"kind\": \"group\"" "$TMP/4n.ndjson" >4n.ndjson &&
	pm-store --db "$u/n" n.ndjson >/dev/null 2>&1 &&
	pm-store --db "$u/l" 4n.ndjson >/dev/null 2>&1 &&
	every "$u/n" "$u/l"
'

test_expect_success 'ClickHouse: the answer waits in TMPDIR; none there: exit 3, nothing written' '
	u=clickhouse://127.0.0.1:${CH_HTTP##*:} &&
	TMPDIR=$TMP/none run pm-store --db "$u/n" --export raw &&
	expect_status 3 && test_line_count out 0 &&
	test_grep "export raw: .*a temporary file for the answer: No such file or directory" err
'

test_done
