#!/bin/bash
# Schema 12: raw_observations indexed on the endpoint and the fetch time,
# so that pm-summary --status finds each flow's newest fetch without
# reading every fetch ever kept (a row per answer).  A database of schema
# 11 is read as it is, the same as once upgraded; pm-store upgrades it in
# place, the index made and every row as it was.  On PostgreSQL the
# status reads raw_observations through the index, never by a scan.
# SQLite, PostgreSQL directly and through PgBouncer.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
pg_start
pgbouncer_start

T0=2026-12-04T10:00:00.000Z
T50=2026-12-04T10:50:00.000Z
N55=2026-12-04T10:55:00Z
fetches_at() {
	rec_run_start "r$1" static
	rec_fetched "$1" markets/keyset "$(gamma_market 1 e1 false "" 0.5 0.5)"
	rec_fetched "$1" markets/keyset "$(gamma_market 2 e1 false "" 0.25 0.75)"
	rec_fetched "$1" events/keyset '{"id":"e1","title":"E"}'
	rec_fetched "$1" trades "[]" data
}
fetches_at $T0 | pm-normalize >"$TMP/t0.ndjson"
fetches_at $T50 | pm-normalize >"$TMP/t50.ndjson"

sql() {
	case $1 in
	postgres*) psql -X -A -t -q "$1" -c "$2" ;;
	*) sqlite3 "${1#sqlite:}" "$2" ;;
	esac
}
has_index() {
	case $1 in
	postgres*) sql "$1" "SELECT indexdef FROM pg_indexes WHERE indexname = 'raw_observations_fetched'" ;;
	*) sql "$1" "SELECT sql FROM sqlite_master WHERE name = 'raw_observations_fetched'" ;;
	esac
}
# status URL NAME: every flow's status at N55, JSON, into NAME
status() {
	run pm-summary --status --db "$1" --now $N55 --json && expect_status 0 && mv out "$2"
}

upgrade() {
	PM_SCHEMA_VERSION=11 pm-store --db "$1" "$TMP/t0.ndjson" >/dev/null 2>&1 &&
	PM_SCHEMA_VERSION=11 pm-store --db "$1" "$TMP/t50.ndjson" >/dev/null 2>&1 &&
	test_eq 11 "$(sql "$1" "SELECT max(version) FROM schema_migrations")" &&
	test_eq "" "$(has_index "$1")" &&
	status "$1" asis &&
	jq -e "[.flows[] | select(.flow != \"prices\") | .last_update == \"$T50\" and
		.data_from == \"raw_observations\"] | length == 4 and all" asis >/dev/null &&
	db_dump "$1" | grep -v "^\[\"schema_migrations\"" >before &&
	run pm-store --db "$1" </dev/null && expect_status 0 &&
	test_eq "$(schema_latest)" "$(sql "$1" "SELECT max(version) FROM schema_migrations")" &&
	test_grep "(endpoint, COALESCE(fetched_at, stored_at))" <(has_index "$1" | tr -s "\n " " ") &&
	db_dump "$1" | grep -v "^\[\"schema_migrations\"" >after &&
	test_cmp before after &&
	status "$1" upgraded && test_cmp asis upgraded
}

test_expect_success 'SQLite: schema 11 read as it is as upgraded; upgraded in place' '
	upgrade "sqlite:$TMP/a.db"
'

test_expect_success 'PostgreSQL: the same' '
	pg_ready && upgrade "$(pg_newdb fetchidx)"
'

test_expect_success 'PostgreSQL through PgBouncer: the same' '
	pg_ready && pgb_ready && pg_newdb fetchidx_pgb >/dev/null &&
	upgrade "$(pgb_url fetchidx_pgb)"
'

# reads URL: the rows of raw_observations read by scans of the table,
# and by index scans, as the server counted them
reads() {
	sql "$1" "SELECT seq_tup_read || ' ' || idx_tup_fetch FROM
	    pg_stat_user_tables WHERE relname = 'raw_observations'"
}

test_expect_success 'PostgreSQL: of a big raw_observations the status reads a few rows through the index' '
	pg_ready && url=$(pg_newdb fetchscan) &&
	pm-store --db "$url" "$TMP/t0.ndjson" >/dev/null 2>&1 &&
	pm-store --db "$url" "$TMP/t50.ndjson" >/dev/null 2>&1 &&
	sql "$url" "INSERT INTO raw_observations (sha256, source, endpoint, url,
	    fetched_at, run_id, stored_at) SELECT md5(i::text), s, e, '\''u'\'' || i,
	    to_char(TIMESTAMP '\''2026-12-01'\'' + i * INTERVAL '\''1 second'\'',
	    '\''YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'\''), '\''old'\'', '\''2026-12-04T00:00:00Z'\''
	    FROM generate_series(1, 40000) i, (VALUES ('\''gamma'\'', '\''markets/keyset'\''),
	    ('\''gamma'\'', '\''events/keyset'\''), ('\''clob'\'', '\''prices'\''),
	    ('\''data'\'', '\''trades'\'')) v(s, e)" &&
	sql "$url" "ANALYZE raw_observations" &&
	before=$(reads "$url") &&
	status "$url" st &&
	jq -e "[.flows[] | select(.flow != \"prices\") | .last_update == \"$T50\"] | all" st >/dev/null &&
	i=0 && after=$before &&
	while [ "$after" = "$before" ] && [ $i -lt 50 ]; do
		sleep 0.1 && i=$((i + 1)) && after=$(reads "$url") || return 1
	done &&
	test_eq "${before% *}" "${after% *}" "rows read by scans" &&
	# seven endpoints asked (static, delta: two; events: two; trades):
	# a row or so each, not the 40000 of each endpoint
	test_num $((${after#* } - ${before#* })) -gt 0 &&
	test_num $((${after#* } - ${before#* })) -lt 100
'

test_done
