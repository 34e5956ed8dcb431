#!/bin/bash
# PostgreSQL as hosted services deploy it: a transaction-mode pooler that
# takes clients over TLS only (PgBouncer, client_tls_sslmode=require, pool
# of 2).  ENVIRONMENT=production, which refuses any connection that is not
# encrypted, stores through it; the daily flow runs through it end to end,
# its run lock and final status included, with the same rows as directly;
# and the pooler's own view says the clients came over TLS.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/pg.sh"
RUN=$TESTS_DIR/fixtures-store/run.ndjson
pg_start
pgbouncer_start_tls

P=$TOP/pipelines.sh
NOW=$(date -u +%Y-%m-%dT%H:00:00Z)
DAY1=$(date -u -d "$NOW + 1 day" +%Y-%m-%dT%H:%M:%SZ)
fake_start pm --markets 40 --events 2 --spread-days 1 --now "$DAY1"

# the pooler's clients of database NAME that came over TLS, while one
# holds the connection open: SHOW CLIENTS on its admin console
pgb_tls_clients() {
	psql -X -A -t -F ' ' -q "postgresql://pgbouncer@/pgbouncer?host=$PGB_DIR&port=$PGB_TLS_PORT" \
	    -c "SHOW CLIENTS" | awk -v db="$1" '$3 == db' | grep -c "TLSv1"
}

test_expect_success 'production through the TLS pooler: stored, over TLS' '
	pgb_ready && pg_newdb tls >/dev/null && u=$(pgb_tls_url tls) &&
	mkfifo in && exec 3<>in &&
	{ ENVIRONMENT=production pm-store --db "$u" <in >out 2>err 3>&- & } &&
	pid=$! && i=0 &&
	until test "$(pgb_tls_clients tls)" -ge 1; do
		i=$((i + 1)); test $i -lt 300 || { cat err; exit 1; }; sleep 0.1
	done &&
	cat "$RUN" >&3 && exec 3>&- && wait $pid && cat err &&
	test "$(psql -X -A -t "$(pgb_url tls)" -c "select count(*) from processing_runs")" -eq 1 &&
	ENVIRONMENT=production run pm-store --db "$u" "$RUN" && expect_status 0 &&
	grep -q "^pm-store: 8 records: 0 inserted, 0 updated," err
'

test_expect_success 'the pooler refuses a client without TLS; production refuses its unix socket' '
	pgb_ready && pg_newdb plain >/dev/null &&
	run pm-store --db "$(pgb_tls_url plain)?sslmode=disable" "$RUN" && expect_status 3 &&
	ENVIRONMENT=production run pm-store --db "$(pgb_url plain)" "$RUN" &&
	expect_status 3 && grep -q "not encrypted (TLS), as production needs" err &&
	test "$(psql -X -A -t "$(pgb_url plain)" -c "select count(*) from pg_tables where tablename = '"'"'processing_runs'"'"'")" -eq 0
'

test_expect_success 'daily in production through the TLS pooler: completed, fresh, the rows of a direct run' '
	pgb_ready && direct=$(pg_newdb ddirect) && pg_newdb dtls >/dev/null &&
	u=$(pgb_tls_url dtls) &&
	run "$P" daily --env-file /dev/null --now "$NOW" --db "$direct" \
	    --window-days 1 --margin 0 --no-dump --summary-path d1.json &&
	expect_status 0 &&
	ENVIRONMENT=production run "$P" daily --env-file /dev/null --now "$NOW" \
	    --db "$u" --window-days 1 --margin 0 --no-dump --summary-path d2.json &&
	expect_status 0 &&
	jq -e ".run_status == \"completed\" and .totals.processed > 0" d2.json >/dev/null &&
	test "$(jq .totals d1.json)" = "$(jq .totals d2.json)" &&
	psql -X -A -t "$(pgb_url dtls)" -c "select status, flow from processing_runs" >got &&
	echo "completed|daily" >want && test_cmp want got &&
	for t in markets contracts events processed_events experiment_results; do
		test "$(psql -X -A -t "$direct" -c "select count(*) from $t")" = \
		    "$(psql -X -A -t "$(pgb_url dtls)" -c "select count(*) from $t")" ||
		{ echo "$t differs"; exit 1; }
	done &&
	ENVIRONMENT=production run pm-summary --status --db "$u" --flow daily \
	    --json && expect_status 0 &&
	jq -e ".level == \"fresh\"" out >/dev/null
'
test_done
