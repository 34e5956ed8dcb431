#!/bin/bash
# Two writers at once (cron flows overlapping, a replay by hand while a
# flow stores): every pm-store started at the same moment on one database
# stores its records, whatever the others are doing to the schema.  A
# brand-new database, or one an older build made, is created or migrated
# by all of them at once: PostgreSQL (directly and through PgBouncer)
# takes an advisory lock for it; ClickHouse has no lock and no ADD COLUMN
# IF NOT EXISTS, so a column another pm-store added between the question
# and the ALTER is taken as added, not as a failed migration (before: all
# but one pm-store exited 3 with "column with this name already exists",
# their records stored nowhere).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/ch.sh"
pg_start
pgbouncer_start
ch_start concurrent || { say "$CH_ERR"; exit 1; }
mkdir "$TMP/tmp" && export TMPDIR=$TMP/tmp
F=$TESTS_DIR/fixtures-store

jq -c ".[]" "$FIXTURES"/gamma-markets-bobaoxu2001-1.json | pm-normalize \
    >"$TMP/in.ndjson" 2>/dev/null
N=$(wc -l <"$TMP/in.ndjson")

# at_once DB K: K pm-store of the input into DB started together; each
# must exit 0 having stored every record
at_once() {
	local i p bad=0 pids=''
	for i in $(seq "$2"); do
		pm-store --db "$1" "$TMP/in.ndjson" >"o$i" 2>"e$i" &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p" || bad=1; done
	for i in $(seq "$2"); do
		test_grep "^pm-store: $N records: .* 0 failed in" "e$i" &&
		test_line_count "o$i" -eq "$N" || bad=1
	done
	return $bad
}

chdb() {
	ch_query "CREATE DATABASE IF NOT EXISTS $1" &&
	    echo "clickhouse://127.0.0.1:${CH_HTTP##*:}/$1"
}

test_expect_success 'ClickHouse: three pm-store on a new database at once' '
	for r in 1 2 3 4; do
		u=$(chdb new$r) && at_once "$u" 3 || return 1
		test_eq 2 "$(ch_query "SELECT max(version) FROM new$r.schema_migrations")" || return 1
		test_eq 3 "$(ch_query "SELECT count() FROM new$r.markets FINAL")" || return 1
	done
'

test_expect_success 'ClickHouse: three pm-store migrating schema 1 at once' '
	for r in 1 2 3 4; do
		u=$(chdb old$r) &&
		PM_SCHEMA_VERSION=1 pm-store --db "$u" </dev/null 2>/dev/null &&
		test_eq 1 "$(ch_query "SELECT max(version) FROM old$r.schema_migrations")" &&
		at_once "$u" 3 || return 1
		test_eq 2 "$(ch_query "SELECT max(version) FROM old$r.schema_migrations")" || return 1
	done
'

for via in direct pgbouncer; do
	test_expect_success "PostgreSQL ($via): three pm-store migrating an old build's database at once" '
		pgb_ready &&
		for r in 1 2; do
			pg_newdb "old_${via}_$r" >/dev/null &&
			d=$(pg_url_via "old_${via}_$r" direct) &&
			psql -X -q -v ON_ERROR_STOP=1 "$d" -f "$F/build-c51f474-pg.sql" >/dev/null &&
			at_once "$(pg_url_via "old_${via}_$r" "$via")" 3 || return 1
			test_eq "t $(schema_latest)" "$(psql -X -A -t -F" " "$d" -c \
			    "SELECT count(DISTINCT version) = count(*), max(version) FROM schema_migrations")" || return 1
		done
	'
done

test_done
