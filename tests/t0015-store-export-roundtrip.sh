#!/bin/bash
# pm-store --export as CSV, TSV and NDJSON rows gives back every value as
# stored, the same bytes from SQLite, PostgreSQL and ClickHouse: a double
# that needs 16 or 17 digits (0.1 + 0.2) is not cut to 15 (-0 is stored
# as 0), nor read a unit in the last place off (ClickHouse 18.16's fast
# parsing of the shortest text); an empty string is no null in CSV
# (PostgreSQL's \copy reads them apart); hostile text (quotes, tabs, CR,
# LF, a leading =, backslashes, emoji, RTL) is read back by Python's csv
# module as it was.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/ch.sh"
pg_start
ch_start exportrt || { say "$CH_ERR"; exit 1; }
ch_query "CREATE DATABASE x" || exit 1
CH=clickhouse://127.0.0.1:${CH_HTTP##*:}/x

Q=$(printf '=1+1, "q"\ttab\nlf\rcr \\ end \\N 😀 عربى')
{
	rec_run_start 20261123T070000Z-prices-ee01 prices
	rec_market m1 question="$Q" close_time=2030-01-01T00:00:00.5Z \
	    active:=true closed:=false volume:=0.30000000000000004 \
	    liquidity:=1e-7 condition_id= slug=s \
	    'tags:=[{"id":"7","slug":"x,y","label":"tab\there"}]' \
	    contracts:="$(rec_yes_no 123456789012345678901 0.30000000000000004 t2 1e-7)"
	rec_market m2 close_time=2030-01-01T00:00:00Z active:=true \
	    closed:=false volume:=-0.0 liquidity:=1234567890.1234567 \
	    contracts:="$(rec_yes_no a 0.1 b 0.9)"
	# numbers ClickHouse 18.16 read a unit in the last place off when
	# sent as their shortest text: 13.971881124897081, ...952e-103
	rec_market m3 close_time=2030-01-01T00:00:00Z active:=true \
	    closed:=false volume:=13.97188112489708 \
	    liquidity:=1.6032007377980954e-103 \
	    contracts:="$(rec_yes_no c 2.6895800563014877e-12 d 7.829495745681799e+291)"
	jq -cn --arg t "$Q" '{kind:"event", source:"polymarket", event_id:"e1",
	    slug:"", title:$t, active:true, closed:false,
	    volume:0.30000000000000004, tags:[{id:"1", slug:"a,b"}],
	    market_ids:["m1"]}'
	p() { printf '{"kind":"price","token_id":"%s","market_id":"m1","side":"history","price":%s,"ts":"%s"}\n' "$@"; }
	p 123456789012345678901 0.30000000000000004 2026-11-24T00:00:00Z
	p t2 1e-7 2026-11-24T00:00:00.250Z
} >"$TMP/in.ndjson"
DBS="$TMP/s.db $(pg_newdb rt) $CH"
for db in $DBS; do
	pm-store --db "$db" "$TMP/in.ndjson" >/dev/null 2>"$TMP/store.err" ||
		{ cat "$TMP/store.err"; exit 1; }
done

for db in $DBS; do
eng=${db%%:*}; case $eng in postgresql|clickhouse) ;; *) eng=sqlite ;; esac

test_expect_success "$eng: CSV read back by Python: the text and the doubles as stored" '
	run pm-store --db "$db" --export market --format csv && expect_status 0 &&
	Q="$Q" python3 -c "
import csv, os
rows = list(csv.DictReader(open(\"out\", newline=\"\", encoding=\"utf-8\")))
m1 = [r for r in rows if r[\"market_id\"] == \"m1\"]
m2 = [r for r in rows if r[\"market_id\"] == \"m2\"]
assert m1[0][\"question\"] == os.environ[\"Q\"], repr(m1[0][\"question\"])
assert float(m1[0][\"volume\"]) == 0.1 + 0.2, m1[0][\"volume\"]
assert float(m1[0][\"price\"]) == 0.1 + 0.2 and float(m1[1][\"price\"]) == 1e-7
assert m1[0][\"token_id\"] == \"123456789012345678901\"
assert float(m2[0][\"liquidity\"]) == 1234567890.1234567, m2[0][\"liquidity\"]
assert m2[0][\"volume\"] == \"0\", m2[0][\"volume\"]
assert m1[0][\"close_time\"] == \"2030-01-01T00:00:00.5Z\"
" &&
	grep "^polymarket,m1,\"\",," out >/dev/null &&
	run pm-store --db "$db" --export price --format tsv && expect_status 0 &&
	printf "%s\n" 0.30000000000000004 1e-07 >want &&
	cut -f6 out | tail -n +2 >got && test_cmp want got &&
	run pm-store --db "$db" --export price && expect_status 0 &&
	jq -r .price out >got && test_cmp want got
'

test_expect_success "$eng: a reader gone before the export: exit 3, nothing said" '
	python3 -c "
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[1:], stdout=w, stderr=subprocess.PIPE)
print(p.returncode, repr(p.stderr))
" pm-store --db "$db" --export market --format csv >got &&
	echo "3 b'"''"'" >want && test_cmp want got
'
done

test_expect_success 'the same bytes from the three engines: market, event and price, CSV and TSV' '
	for k in "market --format csv" "market --format tsv --all" \
	    "price --format csv" "price" "event --format csv"; do
		pm-store --db "$TMP/s.db" --export $k >a &&
		test_line_count a -gt 1 &&
		for db in $DBS; do
			pm-store --db "$db" --export $k >b && test_cmp a b ||
				return 1
		done || return 1
	done
'

test_expect_success 'PostgreSQL \copy of the CSV: an empty string and a null stay apart, the doubles exact; of the TSV with NULL '"''"'' '
	u=$(pg_newdb copyin) &&
	psql -X -q "$u" -c "CREATE TABLE m (source text, market_id text,
	    condition_id text, event_id text, event_slug text, slug text,
	    question text, close_time text, active boolean, closed boolean,
	    resolution_status text, volume double precision,
	    liquidity double precision, outcome_index int, outcome text,
	    token_id text, price double precision, tags jsonb)" &&
	pm-store --db "$TMP/s.db" --export market --format csv >m.csv &&
	psql -X -q "$u" -c "\\copy m FROM m.csv WITH (FORMAT csv, HEADER)" &&
	psql -X -q -A -t "$u" -c "SELECT condition_id IS NULL,
	    event_id IS NULL, volume = 0.1::float8 + 0.2::float8,
	    price = 0.1::float8 + 0.2::float8, question = \$\$$Q\$\$
	    FROM m WHERE market_id = '"'m1'"' AND outcome_index = 0" >got &&
	echo "f|t|t|t|t" >want && test_cmp want got &&
	psql -X -q "$u" -c "TRUNCATE m" &&
	pm-store --db "$TMP/s.db" --export market --format tsv >m.tsv &&
	psql -X -q "$u" -c "\\copy m FROM m.tsv WITH (FORMAT text, HEADER, NULL '"''"')" &&
	psql -X -q -A -t "$u" -c "SELECT condition_id IS NULL,
	    price = 0.1::float8 + 0.2::float8, question = \$\$$Q\$\$
	    FROM m WHERE market_id = '"'m1'"' AND outcome_index = 0" >got &&
	echo "t|t|t" >want && test_cmp want got
'

test_done
