#!/bin/bash
# Schema 11: processed_events.n_markets counts the markets that joined a
# processed group later.  A database of schema 10 (where a joined market
# left the count as the first run wrote it) is upgraded in place: the
# counts made right, every other row as it was; a group that grows from
# then on counts its new markets at once.  SQLite and PostgreSQL.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
pg_start

m() { rec_market "$1" event_id=e1 close_time=2026-12-01T00:00:00Z; }
{
	rec_run_start r1 daily
	rec_group k1 '{"event_id":"e1"}' "$(m 1)" "$(m 2)"
	rec_group k2 '{"event_id":"e2"}' "$(m 5)"
} >"$TMP/first.ndjson"
{
	rec_run_start r2 daily
	rec_group k1 '{"event_id":"e1"}' "$(m 1)" "$(m 2)" "$(m 3)"
} >"$TMP/joined.ndjson"
{
	rec_run_start r3 daily
	rec_group k1 '{"event_id":"e1"}' "$(m 1)" "$(m 2)" "$(m 3)" "$(m 4)"
} >"$TMP/again.ndjson"

sql() {
	case $1 in
	postgres*) psql -X -A -t -q "$1" -c "$2" ;;
	*) sqlite3 "${1#sqlite:}" "$2" ;;
	esac
}
counts() {
	sql "$1" "SELECT event_key || ' ' || n_markets || ' ' || (SELECT count(*)
	    FROM processed_markets m WHERE m.event_key = e.event_key)
	    FROM processed_events e ORDER BY 1"
}

upgrade() {
	PM_SCHEMA_VERSION=10 pm-store --db "$1" "$TMP/first.ndjson" >/dev/null 2>&1 &&
	PM_SCHEMA_VERSION=10 pm-store --db "$1" "$TMP/joined.ndjson" >/dev/null 2>&1 &&
	# schema 10 as it was: the joined market not counted
	sql "$1" "UPDATE processed_events SET n_markets = 2 WHERE event_key = 'k1'" &&
	counts "$1" >c10 && printf "k1 2 3\nk2 1 1\n" >want && test_cmp want c10 &&
	db_dump "$1" | grep -v "^\[\"\(schema_migrations\|processed_events\)\"" >before &&
	run pm-store --db "$1" </dev/null && expect_status 0 &&
	test "$(sql "$1" "SELECT max(version) FROM schema_migrations")" = "$(schema_latest)" &&
	counts "$1" >c11 && printf "k1 3 3\nk2 1 1\n" >want && test_cmp want c11 &&
	db_dump "$1" | grep -v "^\[\"\(schema_migrations\|processed_events\)\"" >after &&
	test_cmp before after &&
	run pm-store --db "$1" "$TMP/again.ndjson" && expect_status 0 &&
	counts "$1" >c && printf "k1 4 4\nk2 1 1\n" >want && test_cmp want c
}

test_expect_success 'SQLite: schema 10 upgraded, n_markets counts joined markets' '
	upgrade "sqlite:$TMP/a.db"
'

test_expect_success 'PostgreSQL: the same' '
	pg_ready && upgrade "$(pg_newdb nm)"
'

test_done
