#!/bin/bash
# A market that comes with fewer outcomes than it had, or an older fetch
# of it with more replayed after a newer one: SQLite deletes the contract
# rows past its count; ClickHouse cannot delete a row, so its contracts
# past the count stayed in contracts FINAL, and market_outcomes, the
# market rows of --export market --format csv and the prices flow's
# newest history read them: a third outcome that the market no longer
# has, with its old price.  They are read as of the market's stored
# version (SCHEMA_CH_CONTRACTS); schema 5 makes market_outcomes so in
# place.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/ch.sh"
ROWS=$TOP/bench/ch_rows.py

ch_start shrink || { say "$CH_ERR"; exit 1; }

# mkt ID FETCHED_AT OUTCOME:TOKEN:PRICE...: a market record ("" FETCHED_AT:
# none)
mkt() {
	local id=$1 at=$2 c cs='' sep=''
	shift 2
	for c in "$@"; do
		cs="$cs$sep{\"outcome\":\"${c%%:*}\",\"token_id\":\"$(echo "$c" | cut -d: -f2)\",\"price\":${c##*:}}"
		sep=,
	done
	printf '{"kind":"market","source":"polymarket","market_id":"%s","question":"q%s","active":true,"closed":false,"contracts":[%s],"tags":[]%s}\n' \
	    "$id" "$id" "$cs" "${at:+,\"fetched_at\":\"$at\"}"
}
T1=2026-11-20T00:00:00.000Z
T2=2026-11-21T00:00:00.000Z

# three stores, as three runs would make them: s1 then s2 then s3
# (s3: an older dump replayed)
{
	mkt m1 "$T1" A:11:0.2 B:12:0.3 C:13:0.5
	mkt m3 "" A:31:0.2 B:32:0.3 C:33:0.5
	mkt m4 "$T1" A:41:0.5 B:42:0.5
} >"$TMP/s1.ndjson"
{
	mkt m1 "$T2" A:11:0.4 B:12:0.6
	mkt m2 "$T2" A:21:0.4 B:22:0.6
	mkt m3 "" A:31:0.4 B:32:0.6
	mkt m4 "$T2" A:41:0.1 B:42:0.9 C:43:0.05
} >"$TMP/s2.ndjson"
mkt m2 "$T1" A:21:0.2 B:22:0.3 C:23:0.5 >"$TMP/s3.ndjson"
store() {
	for f in s1 s2 s3; do
		"$@" "$TMP/$f.ndjson" >/dev/null || return 1
	done
}
want_outcomes="m1	['A','B']	[0.4,0.6]
m2	['A','B']	[0.4,0.6]
m3	['A','B']	[0.4,0.6]
m4	['A','B','C']	[0.1,0.9,0.05]"
outcomes() { ch_dbq "$1" "SELECT market_id, outcomes, prices FROM market_outcomes ORDER BY market_id"; }

test_expect_success 'fewer outcomes, or an older fetch after: the contracts SQLite has' '
	url=$(ch_newdb shrunk) &&
	store pm-store --db "$TMP/s.db" && store pm-store --db "$url" &&
	test_eq 9 "$(sqlite3 "$TMP/s.db" "SELECT count() FROM contracts")" &&
	python3 "$ROWS" "$TMP/s.db" "$(ch_dburl shrunk)" &&
	test_eq "$want_outcomes" "$(outcomes shrunk)" &&
	run pm-store --db "$TMP/s.db" --export market --format csv && expect_status 0 &&
	mv out want && test_line_count want -eq 10 &&
	run pm-store --db "$url" --export market --format csv && expect_status 0 &&
	test_cmp want out &&
	run pm-store --db "$TMP/s.db" --export market && expect_status 0 && mv out want &&
	run pm-store --db "$url" --export market && expect_status 0 &&
	test_cmp want out
'

# the query pm-store(1) gives to read contracts by hand
test_expect_success 'the contracts as pm-store(1) says to read them' '
	sed -n "/^SELECT source, market_id, outcome_index, outcome, token_id, price$/,/^\.Ed$/p" \
	    "$TOP/man/pm-store.1" | grep -v "^\.Ed" >q.sql &&
	test_line_count q.sql -eq 4 &&
	ch_dbq shrunk "SELECT market_id, outcome_index, outcome, token_id, price FROM ($(cat q.sql)) ORDER BY market_id, outcome_index" |
	    tr "\t" "|" >got &&
	sqlite3 "$TMP/s.db" "SELECT market_id, outcome_index, outcome, token_id, price FROM contracts ORDER BY market_id, outcome_index" >want &&
	test_line_count want -eq 9 && test_cmp want got
'

test_expect_success 'stored again: the same' '
	url=$(ch_newdb shrunk) && store pm-store --db "$url" &&
	python3 "$ROWS" "$TMP/s.db" "$(ch_dburl shrunk)" &&
	test_eq "$want_outcomes" "$(outcomes shrunk)"
'

test_expect_success 'a database of schema 4: market_outcomes made so in place' '
	url=$(ch_newdb four) &&
	store env PM_SCHEMA_VERSION=4 pm-store --db "$url" &&
	test_eq 4 "$(ch_dbq four "SELECT max(version) FROM schema_migrations")" &&
	outcomes four | grep "^m1" | test_grep C &&
	n=$(ch_dbq four "SELECT count() FROM contracts") &&
	run pm-store --db "$url" </dev/null && expect_status 0 &&
	test_eq 5 "$(ch_dbq four "SELECT max(version) FROM schema_migrations")" &&
	test_eq "$n" "$(ch_dbq four "SELECT count() FROM contracts")" &&
	test_eq "$want_outcomes" "$(outcomes four)" &&
	python3 "$ROWS" "$TMP/s.db" "$(ch_dburl four)"
'
test_done
