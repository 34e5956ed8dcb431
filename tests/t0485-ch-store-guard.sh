#!/bin/bash
# pm-store and ClickHouse URLs: production takes clickhouses:// only, the
# password never shows (messages, output, the schema table), --schema
# clickhouse prints the migrations, what ClickHouse does not keep is
# refused with one message, and a dry run needs no server.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/ch.sh"
. "$TESTS_DIR/tls.sh"

ch_start guard || { say "$CH_ERR"; exit 1; }
PORT=${CH_HTTP##*:}

test_expect_success 'production: clickhouse:// refused, clickhouses:// accepted' '
	echo "{}" >in.ndjson &&
	ENVIRONMENT=production run pm-store --db "clickhouse://pm:s3cret@127.0.0.1:$PORT/default" in.ndjson &&
	expect_status 2 && test_grep "production needs ClickHouse over TLS (clickhouses://)" err &&
	test_grep -v s3cret err &&
	p=$(ch_free_port) &&
	ENVIRONMENT=production PM_DB_TIMEOUT=1 run pm-store --db "clickhouses://pm:s3cret@127.0.0.1:$p/default" in.ndjson &&
	expect_status 3 && test_grep "clickhouses://pm@127.0.0.1:$p" err &&
	test_grep -v s3cret err
'

test_expect_success 'a wrong password: exit 3, the server says why, no password' '
	echo "{}" >in.ndjson &&
	run pm-store --db "clickhouse://default:s3cret@127.0.0.1:$PORT/default" in.ndjson &&
	expect_status 3 && test_grep -i "password\|authentic" err &&
	test_grep -v s3cret err out
'

test_expect_success '--schema clickhouse: the migrations as SQL, applied idempotently' '
	run pm-store --schema clickhouse && expect_status 0 &&
	test_grep "^CREATE TABLE IF NOT EXISTS schema_migrations" out &&
	test_grep "^-- migration 1: initial tables" out &&
	test_grep "CREATE TABLE IF NOT EXISTS events (.*ORDER BY (source, event_id)" out &&
	test_grep -v "ON CLUSTER\|CODEC\|DateTime64" out &&
	ch_query "CREATE DATABASE s" &&
	run pm-store --schema clickhouse --db "clickhouse://127.0.0.1:$PORT/s" && expect_status 0 &&
	run pm-store --schema clickhouse --db "clickhouse://127.0.0.1:$PORT/s" && expect_status 0 &&
	test_eq 5 "$(ch_query "SELECT count() FROM s.schema_migrations FINAL")" &&
	test_eq 12 "$(ch_query "SELECT count() FROM system.tables WHERE database = '\''s'\'' AND engine = '\''ReplacingMergeTree'\''")" &&
	run pm-store --schema clickhouse --db s.db && expect_status 2
'

test_expect_success 'groups, group exports, --new-only: refused with one message' '
	rec_group 7 null "$(rec_market 7)" >in.ndjson && rec_market 8 >>in.ndjson &&
	run pm-store --db "$CH_URL" in.ndjson && expect_status 1 &&
	test_grep "group records (experiment results) are not stored in ClickHouse" err &&
	test_eq 1 "$(ch_query "SELECT count() FROM markets FINAL WHERE market_id = '\''8'\''")" &&
	run pm-store --db "$CH_URL" --export group && expect_status 2 &&
	test_grep "export group: not on ClickHouse" err && test_line_count err -eq 1 &&
	run pm-store --db "$CH_URL" --new-only in.ndjson && expect_status 2 &&
	test_line_count err -eq 1 && test ! -s out
'

# a group a dry run for ClickHouse said skipped (exit 0), which storing
# it there fails: it fails so in the dry run too
test_expect_success 'a dry run checks without a server, as ClickHouse would' '
	p=$(ch_free_port) && rec_market 9 >in.ndjson && rec_market 10 volume=x >>in.ndjson &&
	run pm-store --dry-run --db "clickhouse://127.0.0.1:$p/default" in.ndjson &&
	expect_status 1 && test_grep "dry run, nothing written" err &&
	rec_group 7 null "$(rec_market 7)" >in.ndjson && rec_market 8 >>in.ndjson &&
	run pm-store --dry-run --db "clickhouse://127.0.0.1:$p/default" in.ndjson &&
	expect_status 1 && test_grep "1 skipped, 1 failed" err &&
	test_grep "group records (experiment results) are not stored in ClickHouse" err &&
	jq -c "{kind, stored, reason}" out >dry &&
	run pm-store --db "$CH_URL" in.ndjson && expect_status 1 &&
	jq -c "{kind, stored, reason}" out | sed "s/inserted/skipped/" >wet &&
	test_cmp wet dry && test_grep "\"failure\".*bad_record" dry &&
	run pm-store --dry-run --db s.db in.ndjson && expect_status 0
'
# a record it stored then could not write out (the annotation past the
# cap): what it stores is written, one too long for that is not stored
test_expect_success 'a line PM_MAX_LINE less the annotation: stored; longer: reported, not stored' '
	pad=$(rec_market 11 question= | wc -L) &&
	rec_market 11 question="$(printf "%0$((579 - pad))d" 0)" >in.ndjson &&
	rec_market 12 question="$(printf "%0$((600 - pad))d" 0)" >>in.ndjson &&
	test "$(wc -L <in.ndjson)" = 600 &&
	PM_MAX_LINE=600 run pm-store --db "$CH_URL" in.ndjson && expect_status 1 &&
	test "$(wc -L <out)" -le 600 && test_count market out 1 &&
	jq -se ".[1] | .kind == \"failure\" and .input == \"in.ndjson:2\" and
	    (.detail | startswith(\"line longer than 579 bytes (PM_MAX_LINE less 21\"))" out >/dev/null &&
	test_eq 1 "$(ch_query "SELECT count() FROM markets FINAL WHERE market_id IN ('\''11'\'', '\''12'\'')")"
'
test_expect_success 'production over clickhouses://: stored, trusting PM_CA_BUNDLE only' '
	tls_ca ca && tls_cert ca srv IP:127.0.0.1 &&
	# the server runs as the clickhouse user: it must read them
	chmod 755 "$TMP" . ca && chmod 644 ca/* && p=$(ch_free_port) &&
	tlsconf="<https_port>$p</https_port><openSSL><server>" &&
	tlsconf="$tlsconf<certificateFile>$PWD/ca/srv.pem</certificateFile>" &&
	tlsconf="$tlsconf<privateKeyFile>$PWD/ca/srv.key</privateKeyFile>" &&
	tlsconf="$tlsconf</server></openSSL>" &&
	{ CH_EXTRA=$tlsconf ch_start tls || { say "$CH_ERR"; false; }; } &&
	rec_market 41 >in.ndjson && u="clickhouses://127.0.0.1:$p/default" &&
	(unset PM_CA_BUNDLE && ENVIRONMENT=production PM_DB_TIMEOUT=1 run pm-store --db "$u" in.ndjson &&
	    expect_status 3) &&
	PM_CA_BUNDLE=$PWD/ca/ca.pem ENVIRONMENT=production run pm-store --db "$u" in.ndjson &&
	expect_status 0 && test_eq 1 "$(ch_query "SELECT count() FROM markets FINAL WHERE market_id = '\''41'\''")"
'
test_done
