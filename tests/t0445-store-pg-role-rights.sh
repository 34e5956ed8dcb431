#!/bin/bash
# PostgreSQL roles with fewer rights than the owner's: one that may read
# and write the pm tables but not create in the schema (the usual
# application role, the schema made by its owner) stores into a database
# at the latest schema, as the owner does; one that may not create makes
# no schema in a new database: said, exit 3; a reader exports.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
RUN=$TESTS_DIR/fixtures-store/run.ndjson
pg_start

stream() {
	jq -c ".[]" "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json | pm-normalize
	cat "$RUN"
}

# as_weak DB: the URL of database DB as role weak
as_weak() { echo "postgresql://weak@/$1?host=$PG_DIR"; }

test_expect_success 'a role without CREATE in a new database: no schema made, said, exit 3' '
	pg_ready && P=$(pg_newdb rights) &&
	psql -X -q "$PG_URL" -c "CREATE ROLE weak LOGIN" && stream >in.ndjson &&
	run pm-store --db "$(as_weak rights)" in.ndjson && expect_status 3 &&
	test_grep "^pm-store: postgresql://weak@/rights?host=.*: migration: permission denied for schema public: the role lacks a right pm needs on it (SQLSTATE 42501 insufficient_privilege)$" err &&
	test_eq "" "$(psql -X -A -t "$P" -c "SELECT to_regclass('\''schema_migrations'\'')")"
'

test_expect_success 'a role that may read and write the tables: stores as the owner does' '
	pg_ready && P=$(pg_newdb rights) && stream >in.ndjson &&
	pm-store --db "$P" in.ndjson >/dev/null 2>&1 &&
	psql -X -q "$P" -c "GRANT USAGE ON SCHEMA public TO weak" \
	    -c "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO weak" \
	    -c "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO weak" &&
	W=$(as_weak rights) &&
	run pm-store --db "$W" in.ndjson && expect_status 0 &&
	test_grep " 0 inserted, 0 updated, .* 0 failed in $W" err &&
	rec_market new1 >new.ndjson &&
	run pm-store --db "$W" new.ndjson && expect_status 0 &&
	test_grep "1 records: 1 inserted" err &&
	run pm-store --db "$W" --export markets && expect_status 0 &&
	test_num "$(wc -l <out)" -eq 110 &&
	run pm-store --db "$W" --prune-before 2000-01-01 && expect_status 0
'

test_expect_success 'a role that may only read: the first refusal stops the run, exit 3' '
	pg_ready && P=$(pg_newdb rights) && stream >in.ndjson &&
	pm-store --db "$P" in.ndjson >/dev/null 2>&1 &&
	psql -X -q "$P" -c "GRANT USAGE ON SCHEMA public TO weak" \
	    -c "GRANT SELECT ON ALL TABLES IN SCHEMA public TO weak" &&
	rows() { psql -X -A -t "$P" -c "SELECT (SELECT count(*) FROM raw_payloads), (SELECT count(*) FROM processing_failures)"; } &&
	n=$(rows) &&
	W=$(as_weak rights) && rec_market new1 >new.ndjson &&
	cat new.ndjson in.ndjson >both.ndjson &&
	run pm-store --db "$W" both.ndjson && expect_status 3 &&
	test_grep "^pm-store: $W: permission denied for table [a-z_]*: the role lacks a right pm needs on it (SQLSTATE 42501 insufficient_privilege)$" err &&
	test_num "$(grep -c "^pm-store: postgresql:.*permission denied" err)" -eq 1 &&
	test_eq "$n" "$(rows)"
'

test_done
