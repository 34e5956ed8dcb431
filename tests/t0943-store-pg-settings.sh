#!/bin/bash
# pm-store and pm-summary on PostgreSQL set up as DBAs set it up: the
# database's or the role's settings (ALTER DATABASE/ROLE ... SET) differ
# from the defaults, directly and through PgBouncer in transaction mode
# (where a role's settings hold on every server connection).  What is
# stored reads back as the same input stored in SQLite (the oracle), or
# pm says what went wrong.  One server, a database per setting.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/score-data.sh"
pg_start
pgbouncer_start

# Markets and events from the fixtures, a daily run's groups, the
# forecasts pm-summary --score scores, and prices whose shortest exact
# text is 17 digits
{
	jq -c ".[]" "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json | pm-normalize
	jq -c ".[]" "$FIXTURES"/gamma-events-bobaoxu2001-1.json | pm-normalize
	cat "$TESTS_DIR/fixtures-store/run.ndjson" "$TMP/forecasts.ndjson" \
	    "$TMP/resolutions.ndjson"
	printf '%s\n' '{"kind":"price","token_id":"r31","market_id":"r3","outcome":"Yes","side":"buy","price":0.30000000000000004,"ts":"2026-12-01T00:00:00Z"}' \
	    '{"kind":"price","token_id":"r31","market_id":"r3","outcome":"Yes","side":"sell","price":0.12345678901234568,"ts":"2026-12-01T00:00:00Z"}'
} >"$TMP/stream.ndjson"

# reads URL DIR: what pm-store --export and pm-summary --score say of
# the database at URL, into DIR
reads() {
	mkdir "$2" &&
	for k in raw markets events group price result; do
		pm-store --db "$1" --export "$k" >"$2/$k" || return 1
	done &&
	pm-store --db "$1" --export market --all --format csv >"$2/market.csv" &&
	pm-summary --score --db "$1" --json >"$2/score"
}

pm-store --db "$TMP/lite.db" "$TMP/stream.ndjson" >/dev/null 2>&1 &&
    reads "$TMP/lite.db" "$TMP/lite"

# set_db NAME SQL...: database NAME made again, SQL run in it
set_db() {
	local n=$1
	shift
	pg_newdb "$n" >/dev/null &&
	psql -X -q -v ON_ERROR_STOP=1 "$(pg_url_via "$n" direct)" "${@/#/-c}"
}

# stored_same URL: the stream into URL, every record stored, and read
# back as from SQLite
stored_same() {
	run pm-store --db "$1" "$TMP/stream.ndjson" && expect_status 0 &&
	test_grep " 0 failed in postgresql:" err &&
	rm -rf got && reads "$1" got && diff -r "$TMP/lite" got
}

test_expect_success 'the oracle: the stream stored into SQLite, read back' '
	test_line_count "$TMP/lite/raw" 102 && test_line_count "$TMP/lite/price" 4 &&
	test_count market "$TMP/lite/markets" 113 &&
	jq -e ".variants | length == 4" "$TMP/lite/score" >/dev/null
'

# float8 in 15 significant digits (0: an old client's setting), or one
# (-15): what was stored read back rounded, silently
for via in direct pgbouncer; do
	for efd in 0 -15; do
		test_expect_success "extra_float_digits = $efd ($via): numbers read back exact" '
			pg_ready && db=efd_${via}_${efd#-} &&
			set_db $db "ALTER DATABASE $db SET extra_float_digits = $efd" &&
			stored_same "$(pg_url_via $db $via)"
		'
	done
done

test_expect_success 'a role'\''s extra_float_digits through PgBouncer: exact, and the pool keeps the DBA'\''s setting' '
	pgb_ready && set_db roleefd "ALTER ROLE postgres IN DATABASE roleefd SET extra_float_digits = 0" &&
	url=$(pg_url_via roleefd pgbouncer) && stored_same "$url" &&
	test_eq 0 "$(psql -X -A -t "$url" -c "SHOW extra_float_digits")" &&
	test_eq 0 "$(psql -X -A -t "$url" -c "SHOW extra_float_digits")"
'

# bytea in the escape form: every raw payload "cannot be read back"
for via in direct pgbouncer; do
	test_expect_success "bytea_output = escape ($via): raw payloads read back byte for byte" '
		pg_ready && set_db esc_$via "ALTER DATABASE esc_$via SET bytea_output = escape" &&
		stored_same "$(pg_url_via esc_$via $via)"
	'
done

# Two pm-store at once into a new database whose transactions are
# serializable: both wait for the migration lock (held here, then let
# go), one makes the schema, and the other, whose snapshot was taken
# before its wait, saw schema_migrations empty: "holds no schema
# version", exit 3
waiters() {
	psql -X -A -t -q "$PG_URL" -c "SELECT count(*) FROM pg_locks
	    WHERE locktype = 'advisory' AND objid = 7370001 AND granted = $1
	    AND database = (SELECT oid FROM pg_database WHERE datname = '$2')"
}

# two_first_stores DB VIA: both pm-store of in.ndjson into database DB
# (its lock held directly), their outputs in o1 e1 s1 (status), o2 e2 s2
two_first_stores() {
	local i=0 url
	url=$(pg_url_via "$1" "$2")
	PGAPPNAME=pmlock psql -X -q "$(pg_url_via "$1" direct)" -c "SELECT pg_advisory_lock(7370001)" \
	    -c "SELECT pg_sleep(30)" >/dev/null 2>&1 &
	until [ "$(waiters true "$1")" -eq 1 ]; do
		i=$((i + 1)) && [ $i -lt 100 ] || return 1
		sleep 0.1
	done
	{ pm-store --db "$url" in.ndjson >o1 2>e1; echo $? >s1; } &
	{ pm-store --db "$url" in.ndjson >o2 2>e2; echo $? >s2; } &
	i=0
	until [ "$(waiters false "$1")" -eq 2 ]; do
		i=$((i + 1)) && [ $i -lt 100 ] || return 1
		sleep 0.1
	done
	psql -X -q "$PG_URL" -c "SELECT pg_terminate_backend(pid) FROM
	    pg_stat_activity WHERE application_name = 'pmlock'" >/dev/null
	wait
}

for via in direct pgbouncer; do
	test_expect_success "default_transaction_isolation = serializable ($via): two first stores at once both store" '
		pg_ready && db=ser_$via &&
		set_db $db "ALTER DATABASE $db SET default_transaction_isolation = serializable" &&
		head -40 "$TMP/stream.ndjson" >in.ndjson &&
		two_first_stores $db $via &&
		test_eq 0 "$(cat s1)" && test_eq 0 "$(cat s2)" &&
		test_count failure o1 0 && test_count failure o2 0
	'
done

# A statement_timeout of a few milliseconds (set for the database once its
# tables are made): statements time out, and one that ran up to it is
# told at the pipeline's Sync, no statement's error.  That error left the
# Sync's answer unread and the connection in pipeline mode, and every
# record after it failed with "synchronous command execution functions
# are not allowed in pipeline mode".  Now each record is stored or fails
# with the timeout (or another server reason), never libpq's.  A timeout
# at the start (reading the schema) is exit 3, and is tried again.  Behind
# PgBouncer a DEALLOCATE the timeout cancelled left its name on a server
# connection, and each later transaction there that prepared the same name
# failed ("prepared statement ... already exists"): every record of the run
# after it; a statement now has a name of its own in each transaction.
python3 "$TOP/bench/gen-markets.py" 5000 2>/dev/null | pm-normalize >"$TMP/many.ndjson" 2>/dev/null
for via in direct pgbouncer; do
	test_expect_success "statement_timeout = 4ms ($via): each record stored or failed with the server's reason" '
		pg_ready && db=stto_$via && set_db $db &&
		pm-store --db "$(pg_url_via $db direct)" </dev/null 2>/dev/null &&
		psql -X -q "$PG_URL" -c "ALTER DATABASE $db SET statement_timeout = 4" &&
		n=0 && for i in 1 2 3 4 5 6 7 8 9 10; do
			run pm-store --db "$(pg_url_via $db $via)" "$TMP/many.ndjson" &&
			test_grep -v "pipeline mode\|cannot exit\|already exists" err || return 1
			test "$status" -eq 3 && continue
			test_num "$status" -le 1 || return 1
			test_line_count out -ge 10000 || return 1
			n=$((n + 1)) && test $n -lt 3 || break
		done && test_num $n -ge 1 &&
		psql -X -q "$PG_URL" -c "ALTER DATABASE $db RESET statement_timeout" \
		    -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\''$db'\''" >/dev/null &&
		run pm-store --db "$(pg_url_via $db $via)" "$TMP/many.ndjson" &&
		expect_status 0 && test_grep " 0 failed in postgresql:" err
	'
done

# The text as UTF-8 sees it: “Yes” in the descriptions, no mojibake
# (â€œYesâ€: each byte taken for a LATIN1 character)
utf8_text() {
	# shellcheck disable=SC1111  # the curly quotes are the data
	test_num "$(PGCLIENTENCODING=UTF8 psql -X -A -t "$(pg_url_via "$1" direct)" \
	    -c "SELECT count(*) FROM markets WHERE description LIKE '%“Yes”%'")" -ge 20 &&
	test_num "$(PGCLIENTENCODING=UTF8 psql -X -A -t "$(pg_url_via "$1" direct)" \
	    -c "SELECT count(*) FROM markets WHERE description LIKE '%â%'")" -eq 0
}

# A client_encoding other than pm's UTF-8 (LATIN1, from the database, the
# role or PGCLIENTENCODING): the server took each byte of a UTF-8
# character for a character of its own and stored mojibake
for via in direct pgbouncer; do
	test_expect_success "client_encoding = LATIN1 set for the database ($via): UTF-8 stored as UTF-8" '
		pg_ready && set_db enc_$via "ALTER DATABASE enc_$via SET client_encoding = LATIN1" &&
		stored_same "$(pg_url_via enc_$via $via)" && utf8_text enc_$via
	'
done

test_expect_success 'client_encoding = LATIN1 for the role through PgBouncer, PGCLIENTENCODING=LATIN1: UTF-8 stored as UTF-8' '
	pgb_ready && set_db encrole "ALTER ROLE postgres IN DATABASE encrole SET client_encoding = LATIN1" &&
	stored_same "$(pg_url_via encrole pgbouncer)" && utf8_text encrole &&
	set_db encenv && PGCLIENTENCODING=LATIN1 stored_same "$(pg_url_via encenv direct)" &&
	utf8_text encenv
'

# A database in LATIN1 cannot hold “: each record with it fails, saying
# why (a failure record each, besides the stream's own), the others are
# stored
test_expect_success 'a LATIN1 database: a record with a character LATIN1 lacks fails and says why, exit 1' '
	pg_ready && psql -X -q "$PG_URL" -c "CREATE DATABASE latin1db ENCODING LATIN1 LC_COLLATE \"C\" LC_CTYPE \"C\" TEMPLATE template0" &&
	url=$(pg_url_via latin1db direct) &&
	run pm-store --db "$url" "$TMP/stream.ndjson" && expect_status 1 &&
	test_grep "character with byte sequence 0xe2 0x80 0x9c in encoding \"UTF8\" has no equivalent in encoding \"LATIN1\"" err &&
	n=$(grep -c "\"stored\":\"failed\"" out) && test_num "$n" -ge 60 &&
	test_count failure out $((n + 1)) &&
	test_num "$(grep -c "\"stored\":\"inserted\"" out)" -ge 100 &&
	test_num "$(PGCLIENTENCODING=UTF8 psql -X -A -t "$url" -c "SELECT count(*) FROM markets WHERE description LIKE '\''%â%'\''")" -eq 0
'

test_done
