#!/bin/bash
# Schema 8's views (market_outcomes, forecasts, latest_prices) and
# pm-store --export of markets, events, prices and results as NDJSON, CSV
# and TSV, on SQLite and on PostgreSQL: the same rows from both, CSV read
# back by Python's csv module.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/pg.sh"
pg_start
trap 'fake_stop_all; pg_stop; rm -rf "$TMP"' EXIT
# --spread-days: every day from today on has markets closing on it, so
# the daily run's target day (today + 7) is never an empty day of the
# default spread (a year over 300 markets leaves about one day in four
# empty), and the prices flow after it has markets to price.
fake_start pm --markets 300 --events 5 --spread-days 60

# One database of each engine: a daily run, the prices flow, events, and
# a market whose question and tags need quoting in CSV and TSV.
fill() {
	"$TOP/pipelines.sh" daily --env-file /dev/null --db "$1" --no-dump &&
	"$TOP/pipelines.sh" prices --env-file /dev/null --db "$1" --limit 40 &&
	"$TOP/pipelines.sh" events --env-file /dev/null --db "$1" --limit 5 &&
	{ rec_market hostile "question=a, \"b\"	c
d\\e" close_time=2030-01-01T00:00:00Z active:=true closed:=false \
	    'tags:=[{"id":"7","slug":"x,y","label":"tab\there"}]' \
	    contracts:="$(rec_yes_no t1 0.25 t2 0.75)"; } |
	pm-store --db "$1" >/dev/null &&
	pm-store --db "$1" --export market -w '.market_id == "hostile"' | grep -q .
}
# shellcheck disable=SC2015 # the || catches a failure anywhere in the chain
cd "$TMP" && fill "$TMP/lite.db" >fill.log 2>&1 &&
PGDB=$(pg_newdb views) && fill "$PGDB" >>fill.log 2>&1 ||
	{ cat fill.log; exit 1; }

# q DB SQL: rows as tab-separated text, from either engine
q() {
	case $1 in
	postgresql:*) psql -X -q -A -t -F '	' "$1" -c "$2" ;;
	*) sqlite3 -separator '	' "$1" "$2" ;;
	esac
}

for db in "$TMP/lite.db" "$PGDB"; do
eng=${db%%:*}; [ "$eng" = postgresql ] || eng=sqlite

test_expect_success "$eng: schema 8, the three views" '
	test "$(q "$db" "SELECT max(version) FROM schema_migrations")" -ge 8 &&
	q "$db" "SELECT count(*) FROM market_outcomes" >n &&
	test_eq "$(q "$db" "SELECT count(*) FROM markets")" "$(cat n)" &&
	test "$(cat n)" -gt 1
'

test_expect_success "$eng: market_outcomes: outcomes, token ids, prices in outcome order" '
	q "$db" "SELECT outcomes, token_ids, prices FROM market_outcomes WHERE market_id = '"'hostile'"'" >got &&
	printf "%s\t%s\t%s\n" "[\"Yes\",\"No\"]" "[\"t1\",\"t2\"]" "[0.25,0.75]" >want &&
	tr -d " " <got >got2 && test_cmp want got2 &&
	q "$db" "SELECT market_id, outcomes, token_ids, prices FROM market_outcomes" >all &&
	while IFS="	" read -r id o t p; do
		test "$(jq length <<<"$o")" = "$(jq length <<<"$t")" &&
		test "$(jq length <<<"$o")" = "$(jq length <<<"$p")" ||
		{ echo "$id: $o $t $p"; return 1; }
	done <all
'

test_expect_success "$eng: market_outcomes: the newest price of price_history wins" '
	q "$db" "SELECT c.token_id, h.price FROM contracts c JOIN latest_prices h ON h.token_id = c.token_id LIMIT 1" >tp &&
	test -s tp && IFS="	" read -r tok price <tp &&
	q "$db" "SELECT prices, token_ids FROM market_outcomes WHERE token_ids LIKE '"'%"'$tok'"%'"'" >mp &&
	IFS="	" read -r prices toks <mp &&
	i=$(jq --arg t "$tok" "index(\$t)" <<<"$toks") &&
	test_eq "$(jq -n "$price")" "$(jq ".[$i]" <<<"$prices")"
'

test_expect_success "$eng: latest_prices: one row per token, its newest" '
	test_eq "$(q "$db" "SELECT count(DISTINCT token_id) FROM price_history")" \
	    "$(q "$db" "SELECT count(*) FROM latest_prices")" &&
	test_eq 0 "$(q "$db" "SELECT count(*) FROM latest_prices l WHERE ts <> (SELECT max(ts) FROM price_history h WHERE h.token_id = l.token_id)")"
'

test_expect_success "$eng: forecasts: one row per (event, variant, market, outcome)" '
	q "$db" "SELECT probabilities FROM experiment_results WHERE status = '"'ok'"' AND probabilities IS NOT NULL" |
	    jq -s "map(to_entries[] | .value | length) | add" >want &&
	test "$(cat want)" -gt 0 &&
	test_eq "$(cat want)" "$(q "$db" "SELECT count(*) FROM forecasts")" &&
	q "$db" "SELECT count(*) FROM (SELECT DISTINCT event_key, experiment_id, market_id, outcome FROM forecasts) x" >d &&
	test_eq "$(cat want)" "$(cat d)" &&
	test_eq 0 "$(q "$db" "SELECT count(*) FROM forecasts WHERE probability < 0 OR probability > 1 OR probability IS NULL")"
'

test_expect_success "$eng: --export market --format csv: one row per outcome of an active market, read by Python" '
	run pm-store --db "$db" --export market --format csv && expect_status 0 &&
	python3 -c "
import csv, json, sys
rows = list(csv.DictReader(open(\"out\", newline=\"\")))
h = [r for r in rows if r[\"market_id\"] == \"hostile\"]
assert [r[\"outcome\"] for r in h] == [\"Yes\", \"No\"], h
assert h[0][\"question\"] == \"a, \\\"b\\\"\tc\nd\\\\e\", repr(h[0][\"question\"])
assert json.loads(h[0][\"tags\"])[0][\"slug\"] == \"x,y\"
assert h[1][\"price\"] == \"0.75\" and h[0][\"active\"] == \"true\"
print(len(rows))
" >n &&
	test_eq "$(q "$db" "SELECT count(*) FROM markets m JOIN contracts c ON c.source = m.source AND c.market_id = m.market_id WHERE m.active = 1 AND (m.closed IS NULL OR m.closed = 0)")" "$(cat n)"
'

test_expect_success "$eng: --all: every market; without it only the active ones" '
	run pm-store --db "$db" --export market --format csv --all && expect_status 0 &&
	test "$(python3 -c "import csv; print(len(list(csv.reader(open(\"out\")))) - 1)")" -eq \
	    "$(q "$db" "SELECT count(*) FROM markets m LEFT JOIN contracts c ON c.source = m.source AND c.market_id = m.market_id")" &&
	run pm-store --db "$db" --export market && expect_status 0 &&
	jq_all "(.active == true) and (.closed != true)" out
'

test_expect_success "$eng: --format tsv: escapes, as many fields on every line" '
	run pm-store --db "$db" --export market --format tsv && expect_status 0 &&
	awk -F "\t" "{ print NF }" out | sort -u >nf && test_line_count nf 1 &&
	test_grep -F "a, \"b\"\\tc\\nd\\\\e" out
'

test_expect_success "$eng: events, prices and results in the three formats" '
	for k in event price result; do
		run pm-store --db "$db" --export $k && expect_status 0 &&
		jq -e . out >/dev/null && n=$(grep -c . out) && test "$n" -gt 0 &&
		run pm-store --db "$db" --export $k --format csv && expect_status 0 &&
		test_eq "$n" "$(python3 -c "import csv; print(len(list(csv.DictReader(open(\"out\", newline=\"\")))))")" &&
		run pm-store --db "$db" --export $k --format tsv && expect_status 0 &&
		test_eq "$((n + 1))" "$(grep -c . out)" || return 1
	done &&
	run pm-store --db "$db" --export price && test_count price out -gt 0 &&
	run pm-store --db "$db" --export result --format csv &&
	python3 -c "
import csv, json
for r in csv.DictReader(open(\"out\", newline=\"\")):
    if r[\"probabilities\"]:
        json.loads(r[\"probabilities\"])
"
'

test_expect_success "$eng: --where on an export row, --run" '
	run pm-store --db "$db" --export price --format csv -w ".side == \"history\"" &&
	expect_status 0 && cut -d, -f4 out | sort -u >sides &&
	printf "history\nside\n" >want && test_cmp want sides &&
	run pm-store --db "$db" --export result --run no-such-run && expect_status 0 &&
	test_line_count out 0
'
done

test_expect_success 'the same exports and views from SQLite and PostgreSQL' '
	for k in "market --format csv" "price --format tsv" "event --format csv"; do
		pm-store --db "$TMP/lite.db" --export $k | sort >a &&
		pm-store --db "$PGDB" --export $k | sort >b || return 1
		# the run ids and the times differ; nothing else may
		m="s/[0-9]{8}T[0-9]{6}Z-[a-z]+-[0-9a-f]{4}/RUN/g; s/[0-9-]{10}T[0-9:.]+Z/TIME/g" &&
		sed -E "$m" a | sort >a2 && sed -E "$m" b | sort >b2 &&
		test_line_count a2 -gt 1 && test_cmp a2 b2 || return 1
	done &&
	q "$TMP/lite.db" "SELECT market_id, outcome, probability FROM forecasts ORDER BY 1, 2" >fa &&
	q "$PGDB" "SELECT market_id, outcome, probability FROM forecasts ORDER BY 1, 2" >fb &&
	test_cmp fa fb
'

# The prices, trades and retry-failures flows export while their own
# pm-store makes a new database: an export that came first found no file
# and failed the run (exit 3, "unable to open database file").
test_expect_success 'a database not made yet, or with no tables yet: every export is empty, exit 0' '
	sqlite3 other.db "CREATE TABLE other (x)" &&
	for k in raw market event price result group retry \
	    "market --format csv" "market --all" "market --closed-since 2026-01-01T00:00:00Z"; do
		run pm-store --db nothere.db --export $k && expect_status 0 &&
		test_line_count out -eq 0 && test_grep "no database here" err &&
		test ! -e nothere.db &&
		run pm-store --db other.db --export $k && expect_status 0 &&
		test_line_count out -eq 0 || return 1
	done &&
	test "$(sqlite3 other.db "SELECT count(*) FROM sqlite_master")" = 1
'

test_expect_success 'usage: --format and --all need an export they apply to' '
	run pm-store --db x.db --export raw --format csv && expect_status 2 &&
	run pm-store --db x.db --export price --all && expect_status 2 &&
	run pm-store --db x.db --format csv && expect_status 2 &&
	run pm-store --db x.db --export market --format xml && expect_status 2 &&
	test_grep "format: not ndjson, csv or tsv: xml" err &&
	test ! -e x.db
'

test_done
