#!/bin/bash
# The latest fetch wins where price_history's rule left a gap:
# pm-store --export price gives its price records their fetched_at, so
# a store moved by it, then an older dump replayed into it, keeps the
# newer points (SQLite, PostgreSQL directly and through PgBouncer,
# ClickHouse; a database before schema 13, ClickHouse 4, gives null).
# Its CSV and TSV columns stay as they were.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/ch.sh"
pg_start
pgbouncer_start
ch_start quote || { say "$CH_ERR"; exit 1; }
mkdir "$TMP/tmp" && export TMPDIR=$TMP/tmp

T1=2026-12-03T10:00:00.000Z
T2=2026-12-04T10:00:00.000Z
T3=2026-12-05T10:00:00.000Z
QT=2026-12-02T00:00:00.000Z
chdb() { echo "$CH_HTTP/?database=$1"; }
cq() { curl -sf --data-binary "$2" "$(chdb "$1")"; }
CHU=clickhouse://127.0.0.1:${CH_HTTP##*:}
# A store moved by its price export, then yesterday's dump replayed
# into it: today's points stay (h1 revised today).
ph() {
	jq -cn --arg p "$1" --arg f "$2" '{kind:"price", source:"polymarket",
	    token_id:"h1", market_id:"m1", outcome:"Yes", side:"history",
	    price:($p|tonumber), ts:"2026-12-01T00:00:00Z", fetched_at:$f}'
}
ph 0.61 $T2 >"$TMP/hnew.ndjson"
ph 0.4 $T1 >"$TMP/hold.ndjson"
hrow() { sqlite3 "$1" "SELECT price, fetched_at FROM price_history WHERE token_id = 'h1'"; }

test_expect_success 'SQLite: --export price gives each record its fetched_at; a moved store keeps the newer point' '
	pm-store --db "$TMP/e.db" "$TMP/hnew.ndjson" >/dev/null 2>&1 &&
	run pm-store --db "$TMP/e.db" --export price && expect_status 0 &&
	test_eq "$T2" "$(jq -r "select(.token_id == \"h1\") | .fetched_at" out)" &&
	pm-store --db "$TMP/e.db" --export price | pm-store --db moved.db >/dev/null 2>&1 &&
	test_eq "0.61|$T2" "$(hrow moved.db)" &&
	run pm-store --db moved.db "$TMP/hold.ndjson" && expect_status 0 &&
	test_eq "unchanged" "$(jq -r .stored out)" &&
	test_eq "0.61|$T2" "$(hrow moved.db)"
'

test_expect_success 'SQLite: --export price as CSV and TSV: the columns as before; --where reads fetched_at' '
	run pm-store --db "$TMP/e.db" --export price --format csv && expect_status 0 &&
	test_eq "token_id,market_id,outcome,side,ts,price" "$(head -1 out)" &&
	test_eq "h1,m1,Yes,history,2026-12-01T00:00:00Z,0.61" "$(sed -n 2p out)" &&
	run pm-store --db "$TMP/e.db" --export price --format tsv && expect_status 0 &&
	test_eq "token_id	market_id	outcome	side	ts	price" "$(head -1 out)" &&
	run pm-store --db "$TMP/e.db" --export price --format csv --where ".fetched_at > \"$T1\"" && expect_status 0 &&
	test_eq 2 "$(wc -l <out)" &&
	run pm-store --db "$TMP/e.db" --export price --format csv --where ".fetched_at < \"$T1\"" && expect_status 0 &&
	test_eq 1 "$(wc -l <out)"
'

test_expect_success 'SQLite: --export price of a schema 12 database: fetched_at null' '
	{ PM_SCHEMA_VERSION=12 pm-store --db s12.db </dev/null >/dev/null 2>&1 || :; } &&
	test_eq 12 "$(sqlite3 s12.db "SELECT max(version) FROM schema_migrations")" &&
	sqlite3 s12.db "INSERT INTO price_history (token_id, side, ts, price) VALUES ('\''o1'\'', '\''history'\'', '\''$QT'\'', 0.9)" &&
	run pm-store --db s12.db --export price && expect_status 0 &&
	test_eq "o1 0.9 true null" "$(jq -r "\"\(.token_id) \(.price) \(has(\"fetched_at\")) \(.fetched_at)\"" out)" &&
	test_eq 12 "$(sqlite3 s12.db "SELECT max(version) FROM schema_migrations")"
'

for via in direct pgbouncer; do
	test_expect_success "PostgreSQL ($via): --export price as from SQLite" '
		pg_newdb exp_'$via' >/dev/null && u=$(pg_url_via exp_'$via' '$via') &&
		pm-store --db "$u" "$TMP/hnew.ndjson" >/dev/null 2>&1 &&
		pm-store --db "$TMP/e.db" --export price >want &&
		run pm-store --db "$u" --export price && expect_status 0 &&
		test_cmp want out && test_eq "$T2" "$(jq -r .fetched_at out)"
	'
done

test_expect_success 'ClickHouse: --export price as from SQLite; of a schema 3 database, fetched_at null' '
	ch_query "CREATE DATABASE exp_a" && ch_query "CREATE DATABASE exp_3" &&
	pm-store --db "$CHU/exp_a" "$TMP/hnew.ndjson" >/dev/null 2>&1 &&
	pm-store --db "$TMP/e.db" --export price >want &&
	run pm-store --db "$CHU/exp_a" --export price && expect_status 0 &&
	test_cmp want out && test_eq "$T2" "$(jq -r .fetched_at out)" &&
	run pm-store --db "$CHU/exp_a" --export price --format csv && expect_status 0 &&
	test_eq "token_id,market_id,outcome,side,ts,price" "$(head -1 out)" &&
	{ PM_SCHEMA_VERSION=3 pm-store --db "$CHU/exp_3" </dev/null >/dev/null 2>&1 || :; } &&
	test_eq 3 "$(cq exp_3 "SELECT max(version) FROM schema_migrations")" &&
	cq exp_3 "INSERT INTO price_history (token_id, side, ts, price, row_version) VALUES ('\''o1'\'', '\''history'\'', '\''$QT'\'', 0.9, 1)" &&
	run pm-store --db "$CHU/exp_3" --export price && expect_status 0 &&
	test_eq "o1 0.9 true null" "$(jq -r "\"\(.token_id) \(.price) \(has(\"fetched_at\")) \(.fetched_at)\"" out)"
'

test_done
