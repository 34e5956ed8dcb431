#!/bin/bash
# pm-summary on a database a newer pm-store wrote (a schema version this
# build does not know): --status and --score read it as it is, never
# changing it; --hold, which marks runs abandoned, refuses it with exit 3
# as pm-store does, nothing written.  On SQLite and PostgreSQL
# (tests/pg.sh).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/records.sh"
. "$TESTS_DIR/pg.sh"
pg_start

newer_msg() {
	echo "pm-summary: $1: database schema version 999 is newer than this pm-summary knows ($(schema_latest))"
}

# one daily run still marked running, then schema version 999
test_expect_success 'SQLite: --status reads it, --hold refuses it, the run not marked' '
	rec_run_start r1 daily | pm-store --db n.db >/dev/null 2>&1 &&
	sqlite3 n.db "UPDATE processing_runs SET status = '"'"'running'"'"';
		INSERT INTO schema_migrations VALUES (999, '"'"'later'"'"', '"'"'x'"'"')" &&
	run pm-summary --status --db n.db && expect_status 5 &&
	test_grep "^  r1 .* running " out &&
	run pm-summary --hold daily --db n.db </dev/null && expect_status 3 &&
	test ! -s out && test_grep -x "$(newer_msg n.db)" err &&
	test_eq running "$(sqlite3 n.db "SELECT status FROM processing_runs")" status
'

test_expect_success 'PostgreSQL: --status reads it, --hold refuses it, the run not marked' '
	pg_ready && url=$(pg_newdb newer) &&
	rec_run_start r1 daily | pm-store --db "$url" >/dev/null 2>&1 &&
	psql -X -Atqc "UPDATE processing_runs SET status = '"'"'running'"'"';
		INSERT INTO schema_migrations VALUES (999, '"'"'later'"'"', '"'"'x'"'"')" "$url" &&
	run pm-summary --status --db "$url" && expect_status 5 &&
	test_grep "^  r1 .* running " out &&
	run pm-summary --hold daily --db "$url" </dev/null && expect_status 3 &&
	test ! -s out &&
	test_grep "database schema version 999 is newer than this pm-summary knows ($(schema_latest))" err &&
	test_eq running "$(psql -X -Atqc "SELECT status FROM processing_runs" "$url")" status &&
	test_eq 0 "$(psql -X -Atqc "SELECT count(*) FROM run_locks" "$url")" locks
'

test_done
