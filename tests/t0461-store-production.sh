#!/bin/bash
# ENVIRONMENT=production: PostgreSQL over TLS only (sslmode=require and
# target_session_attrs=read-write unless the URL says), never SQLite;
# SUPABASE_DB_URL when neither --db nor DATABASE_URL is set (issue 16).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
RUN=$TESTS_DIR/fixtures-store/run.ndjson
pg_start && pg_start_tls

tls_url() { echo "postgresql://postgres@127.0.0.1:$PG_TLS_PORT/$1"; }

test_expect_success 'production over TLS: stored, and the connection is encrypted (pg_stat_ssl)' '
	pg_ready && test -n "$PG_TLS_URL" && pg_newdb tls >/dev/null &&
	mkfifo in && exec 3<>in &&
	{ PGAPPNAME=pm-tls-check ENVIRONMENT=production pm-store --db "$(tls_url tls)" <in >out 2>err 3>&- & } &&
	pid=$! && i=0 &&
	until test "$(psql -X -A -t "$PG_URL" -c "select count(*) from pg_stat_activity where application_name = '"'"'pm-tls-check'"'"'")" = 1; do
		i=$((i + 1)); test $i -lt 300 || { cat err; exit 1; }; sleep 0.1
	done &&
	psql -X -A -t "$PG_URL" -c "select s.ssl from pg_stat_ssl s join pg_stat_activity a using (pid) where a.application_name = '"'"'pm-tls-check'"'"'" >ssl &&
	cat "$RUN" >&3 && exec 3>&- && wait $pid && cat err &&
	echo t >want && test_cmp want ssl &&
	test "$(psql -X -A -t "$(tls_url tls)" -c "select count(*) from processing_runs")" -eq 1
'

test_expect_success 'production refuses a connection without TLS, with one clear message' '
	pg_ready && u=$(pg_newdb plain) &&
	ENVIRONMENT=production run pm-store --db "$u" "$RUN" && expect_status 3 &&
	test "$(wc -l <err)" -eq 1 && grep -q "not encrypted (TLS), as production needs" err &&
	ENVIRONMENT=production run pm-store --db "$(tls_url plain)?sslmode=disable" "$RUN" &&
	expect_status 3 && grep -q "not encrypted (TLS)" err &&
	test "$(psql -X -A -t "$u" -c "select count(*) from pg_tables where tablename = '"'"'processing_runs'"'"'")" -eq 0 &&
	run pm-store --db "$u" "$RUN" && expect_status 0
'

test_expect_success 'production never accepts SQLite: exit 2 naming the setting, nothing created' '
	ENVIRONMENT=production run pm-store --db p.db "$RUN" && expect_status 2 &&
	grep -q "^pm-store: ENVIRONMENT=production: refusing to store in p.db" err &&
	test ! -e p.db &&
	ENVIRONMENT=production DATABASE_URL=sqlite:q.db run pm-store --new-only "$RUN" &&
	expect_status 2 && test ! -e q.db
'

test_expect_success 'SUPABASE_DB_URL is the database when neither --db nor DATABASE_URL is set' '
	pg_ready && pg_newdb supa >/dev/null &&
	(unset DATABASE_URL; SUPABASE_DB_URL=$(tls_url supa) ENVIRONMENT=production \
	    run pm-store "$RUN" && expect_status 0) &&
	test "$(psql -X -A -t "$(tls_url supa)" -c "select count(*) from processing_runs")" -eq 1 &&
	(unset DATABASE_URL; SUPABASE_DB_URL="mysql://u:Secret@h/db" run pm-store "$RUN" &&
	    expect_status 2 && grep -q "^pm-store: SUPABASE_DB_URL: mysql: not" err) &&
	DATABASE_URL=d.db SUPABASE_DB_URL="mysql://u:Secret@h/db" run pm-store "$RUN" &&
	expect_status 0 && test -e d.db
'
test_done
