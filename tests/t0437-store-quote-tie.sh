#!/bin/bash
# The latest fetch wins where price_history's rule left two gaps.
# A contract's quote (best bid, ask, midpoint) of one quoted_at fetched
# twice with other values (a book's server timestamp seen again) keeps
# the later fetch's: yesterday's dump replayed after today's run does
# not put yesterday's quote back; a record without fetched_at replaces
# only a quote without one (SQLite, PostgreSQL directly and through
# PgBouncer; ClickHouse's contract_quotes view reads price_history,
# where the latest fetch wins already); a schema 13 database upgraded
# in place.  And pm-store --export price gives its price records their
# fetched_at, so a store moved by it, then an older dump replayed into
# it, keeps the newer points (SQLite, PostgreSQL directly and through
# PgBouncer, ClickHouse; a database before schema 13, ClickHouse 4,
# gives null).  Its CSV and TSV columns stay as they were.
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
# price TOKEN SIDE PRICE [FETCHED_AT]: a price record of moment QT
price() { rec_price "$1" "$2" "$3" $QT "${4:-}"; }
jq -cn '{kind:"market", source:"polymarket", market_id:"m1", question:"Q",
	contracts:[{outcome:"Yes", token_id:"q1", price:0.5},
		   {outcome:"No", token_id:"q2", price:0.5}]}' >"$TMP/market.ndjson"
# q1: the book of moment QT fetched yesterday and again today; q2: today
# with a fetch time, yesterday without one
{
	price q1 buy 0.52 $T2; price q1 sell 0.56 $T2
	price q2 buy 0.3 $T2; price q2 sell 0.4 $T2
} >"$TMP/new.ndjson"
{
	price q1 buy 0.5 $T1; price q1 sell 0.54 $T1
	price q2 buy 0.1; price q2 sell 0.2
} >"$TMP/old.ndjson"
{ price q1 buy 0.6 $T3; price q1 sell 0.62 $T3; } >"$TMP/newest.ndjson"
NEW="q1|0.52|0.56|0.54|$QT q2|0.3|0.4|0.35|$QT "
quotes() {
	sqlite3 "$1" "SELECT token_id, best_bid, best_ask, midpoint, quoted_at FROM contracts ORDER BY token_id" | tr '\n' ' '
}
# the midpoint as sqlite3 shows it (15 digits)
pquotes() {
	psql -X -A -t "$1" -c "SELECT token_id, best_bid, best_ask, round(midpoint::numeric, 15)::float8, quoted_at FROM contracts ORDER BY token_id" | tr '\n' ' '
}

test_expect_success 'SQLite: a quote fetched again at its quoted_at, then the older fetch: the newer stays' '
	cat "$TMP/market.ndjson" "$TMP/new.ndjson" | pm-store --db a.db >/dev/null 2>&1 &&
	test_eq "$NEW" "$(quotes a.db)" &&
	run pm-store --db a.db "$TMP/old.ndjson" && expect_status 0 &&
	test_eq "$NEW" "$(quotes a.db)" &&
	run pm-store --db a.db "$TMP/newest.ndjson" && expect_status 0 &&
	test_eq "q1|0.6|0.62|0.61|$QT q2|0.3|0.4|0.35|$QT " "$(quotes a.db)"
'

test_expect_success 'SQLite: in either order, or in one stream, the newer fetch'"'"'s quote' '
	cat "$TMP/market.ndjson" "$TMP/old.ndjson" | pm-store --db b.db >/dev/null 2>&1 &&
	pm-store --db b.db "$TMP/new.ndjson" >/dev/null 2>&1 &&
	test_eq "$NEW" "$(quotes b.db)" &&
	cat "$TMP/market.ndjson" "$TMP/new.ndjson" "$TMP/old.ndjson" | pm-store --db c.db >/dev/null 2>&1 &&
	test_eq "$NEW" "$(quotes c.db)" &&
	cat "$TMP/market.ndjson" "$TMP/old.ndjson" "$TMP/new.ndjson" | pm-store --db d.db >/dev/null 2>&1 &&
	test_eq "$NEW" "$(quotes d.db)"
'

test_expect_success 'SQLite: without fetched_at on both sides, the last stored, as before' '
	{ cat "$TMP/market.ndjson"; price q1 buy 0.1; price q1 sell 0.2; } | pm-store --db n.db >/dev/null 2>&1 &&
	{ price q1 buy 0.3; } | pm-store --db n.db >/dev/null 2>&1 &&
	test_eq "q1|0.3|0.2|0.25|$QT q2|||| " "$(quotes n.db)"
'

for via in direct pgbouncer; do
	test_expect_success "PostgreSQL ($via): the quotes of SQLite" '
		pg_newdb quote_'$via'_a >/dev/null && pg_newdb quote_'$via'_b >/dev/null &&
		a=$(pg_url_via quote_'$via'_a '$via') && b=$(pg_url_via quote_'$via'_b '$via') &&
		cat "$TMP/market.ndjson" "$TMP/new.ndjson" | pm-store --db "$a" >/dev/null 2>&1 &&
		run pm-store --db "$a" "$TMP/old.ndjson" && expect_status 0 &&
		test_eq "$NEW" "$(pquotes "$a")" &&
		cat "$TMP/market.ndjson" "$TMP/new.ndjson" "$TMP/old.ndjson" | pm-store --db "$b" >/dev/null 2>&1 &&
		test_eq "$NEW" "$(pquotes "$b")" &&
		run pm-store --db "$a" "$TMP/newest.ndjson" && expect_status 0 &&
		test_eq "q1|0.6|0.62|0.61|$QT q2|0.3|0.4|0.35|$QT " "$(pquotes "$a")"
	'
done

# A quote stored before schema 14 has no fetch time: a record of its
# quoted_at with one replaces it, then an older fetch does not.
at13() { PM_SCHEMA_VERSION=13 pm-store --db "$1" "$TMP/market.ndjson" >/dev/null 2>&1 || :; }
OLDQ="UPDATE contracts SET best_bid = 0.5, best_ask = 0.54, midpoint = 0.52, quoted_at = '$QT' WHERE token_id = 'q1'"
test_expect_success 'SQLite: a schema 13 database upgraded in place; its quotes replaced by a record of their quoted_at' '
	at13 u.db && test_eq 13 "$(sqlite3 u.db "SELECT max(version) FROM schema_migrations")" &&
	sqlite3 u.db "$OLDQ" &&
	run pm-store --db u.db "$TMP/new.ndjson" && expect_status 0 &&
	test_eq "$(schema_latest)" "$(sqlite3 u.db "SELECT max(version) FROM schema_migrations")" &&
	test_eq "$NEW" "$(quotes u.db)" &&
	run pm-store --db u.db "$TMP/old.ndjson" && expect_status 0 &&
	test_eq "$NEW" "$(quotes u.db)" &&
	pm-store --db f.db </dev/null >/dev/null 2>&1 &&
	test_cmp <(sqlite3 f.db .schema) <(sqlite3 u.db .schema)
'

test_expect_success 'PostgreSQL: a schema 13 database upgraded in place; the columns of a new one' '
	u=$(pg_newdb quote_up) && f=$(pg_newdb quote_fresh) &&
	at13 "$u" && test_eq 13 "$(psql -X -A -t "$u" -c "SELECT max(version) FROM schema_migrations")" &&
	psql -X -q "$u" -c "$OLDQ" &&
	run pm-store --db "$u" "$TMP/new.ndjson" && expect_status 0 &&
	test_eq "$NEW" "$(pquotes "$u")" &&
	run pm-store --db "$u" "$TMP/old.ndjson" && expect_status 0 &&
	test_eq "$NEW" "$(pquotes "$u")" &&
	pm-store --db "$f" </dev/null >/dev/null 2>&1 &&
	cols="SELECT column_name, data_type, collation_name FROM information_schema.columns WHERE table_name = '\''contracts'\'' ORDER BY ordinal_position" &&
	test_cmp <(psql -X -A -t "$f" -c "$cols") <(psql -X -A -t "$u" -c "$cols")
'

CHU=clickhouse://127.0.0.1:${CH_HTTP##*:}
test_expect_success 'ClickHouse: contract_quotes gives the newer fetch'"'"'s quote' '
	ch_query "CREATE DATABASE quote_a" &&
	cat "$TMP/market.ndjson" "$TMP/new.ndjson" | pm-store --db "$CHU/quote_a" >/dev/null 2>&1 &&
	pm-store --db "$CHU/quote_a" "$TMP/old.ndjson" >/dev/null 2>&1 &&
	test_eq "$NEW" "$(ch_dbq quote_a "SELECT token_id, best_bid, best_ask, midpoint, quoted_at FROM contract_quotes ORDER BY token_id" | tr "\t\n" "| ")"
'

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
	test_eq 3 "$(ch_dbq exp_3 "SELECT max(version) FROM schema_migrations")" &&
	ch_dbq exp_3 "INSERT INTO price_history (token_id, side, ts, price, row_version) VALUES ('\''o1'\'', '\''history'\'', '\''$QT'\'', 0.9, 1)" &&
	run pm-store --db "$CHU/exp_3" --export price && expect_status 0 &&
	test_eq "o1 0.9 true null" "$(jq -r "\"\(.token_id) \(.price) \(has(\"fetched_at\")) \(.fetched_at)\"" out)"
'

test_done
