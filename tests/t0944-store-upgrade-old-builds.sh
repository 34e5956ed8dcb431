#!/bin/bash
# Databases written by earlier builds of the main line itself, not DDL as
# shipped (tests/fixtures-store/build-*.sql: how each was made is at its
# head).  Branches merged apart left the main line with databases at
# versions [1,2,3,7] (c51f474: migration 7 before 4, 5 and 6 existed)
# and [1,2,3,4,6,7] (dc6798e: 5 not merged yet): each migration not there
# runs, also below one that is, and a database an earlier pm-store marked
# 8, 10 and 11 over such a gap is mended.  Every reader reads an older
# database as it is, giving what it gives once upgraded; the upgrade gives
# what this build makes of the same old streams; the groups the old build
# processed stay done.  SQLite, PostgreSQL, and ClickHouse's schema 1.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/ch.sh"
pg_start

F=$TESTS_DIR/fixtures-store
RUNS="$F/build-c51f474-run1.ndjson $F/build-c51f474-run2.ndjson $F/build-c51f474-run3.ndjson"
# the experiments of the old daily run, as they were configured
cat >"$TMP/exp.json" <<'EOC'
{"suites":[{"id":"s","research":[{"variant":"r","type":"jq","program":"{output:{n:(.markets|length)}}"}],
 "forecast":[{"variant":"market","type":"builtin","builtin":"market"},
  {"variant":"odd","type":"command","argv":["sh","-c","g=$(cat); case $(printf %s \"$g\" | jq -r .event_key) in *[13579]) exit 3;; esac; printf %s \"$g\" | jq -c \"{probabilities: (.markets | map({key: .market_id, value: {Yes: 0.25, No: 0.75}}) | from_entries)}\""]}]}]}
EOC

sql() {
	case $1 in
	postgres*) psql -X -A -t -q "$1" -c "$2" ;;
	*) sqlite3 "$1" "$2" ;;
	esac
}
versions() {
	sql "$1" "SELECT version FROM schema_migrations ORDER BY version" |
	    paste -sd, -
}
all_versions() {
	pm-store --schema sqlite | sed -n "s/^-- migration \([0-9]*\):.*/\1/p" |
	    paste -sd, -
}
# every table, view, index and its SQL, in one order
shape() {
	sqlite3 "$1" "SELECT type, name, tbl_name, sql FROM sqlite_master
	    ORDER BY type, name"
}

# reads DB DIR: what every reader says of DB (never upgraded by them),
# one file each in DIR; their exit statuses in DIR/rc
reads() {
	local db=$1 d=$2 k
	mkdir -p "$d"
	for k in raw market markets events group retry; do
		pm-store --db "$db" -e "$k" >"$d/$k" 2>>"$d/err"
		echo "$k $?" >>"$d/rc"
	done
	for k in market event price result; do
		pm-store --db "$db" -e "$k" --format csv >"$d/$k.csv" 2>>"$d/err"
		echo "$k.csv $?" >>"$d/rc"
	done
	pm-store --db "$db" -e result >"$d/result" 2>>"$d/err"
	echo "result $?" >>"$d/rc"
	pm-summary --score --json --db "$db" >"$d/score" 2>>"$d/err"
	echo "score $?" >>"$d/rc"
	pm-summary --status --json --now 2026-12-05T00:00:00Z --db "$db" \
	    >"$d/status" 2>>"$d/err"
	echo "status $?" >>"$d/rc"
	pm-store --db "$db" --last-run daily,static >"$d/last-run" 2>>"$d/err"
	echo "last-run $?" >>"$d/rc"
	pm-store --db "$db" --prune-before 2099-01-01 -N 2>&1 |
	    sed "s| in .*||" >"$d/prune"
	# the old daily run's group, its results left out: done but for
	# the variant that failed
	jq -c 'select(.kind == "group") | del(.results)' \
	    "$F/build-c51f474-run1.ndjson" | pm-store -n --db "$db" \
	    >"$d/new-only" 2>>"$d/err"
	echo "new-only $?" >>"$d/rc"
	if grep -e AddressSanitizer -e LeakSanitizer -e "runtime error:" "$d/err"; then
		return 1
	fi
}
# same DIR1 DIR2: every reader said the same
same() {
	diff -r -x err "$1" "$2"
}
# upgraded DB: pm-store brought DB to the newest schema, saying nothing
upgraded() {
	run pm-store --db "$1" </dev/null && expect_status 0 &&
	test_eq "$(all_versions)" "$(versions "$1")" "versions of $1"
}
# replayed DB: this build stores the old build's streams into DB
replayed() {
	local f
	for f in $RUNS; do
		pm-store --db "$1" "$f" >/dev/null 2>&1 || return 1
	done
}

test_expect_success '[1,2,3,7] (c51f474) read as it is: every reader as once upgraded' '
	sqlite3 a.db <"$F/build-c51f474.sql" && test_eq 1,2,3,7 "$(versions a.db)" &&
	cp a.db up.db && upgraded up.db &&
	reads a.db asis && test_eq 1,2,3,7 "$(versions a.db)" &&
	reads up.db upgraded && same asis upgraded &&
	printf "%s 0\n" raw market markets events group retry market.csv \
	    event.csv price.csv result.csv result score >want &&
	printf "status 5\nlast-run 0\nnew-only 0\n" >>want && test_cmp want asis/rc &&
	test_count raw asis/raw 5 && test_count market asis/markets 2 &&
	test_count market asis/market 1 && test_count group asis/group 1 &&
	test_count group asis/retry 1 && test_line_count asis/result 3 &&
	test_eq 1 "$(jq "[.variants[].markets] | add" asis/score)" "markets scored" &&
	test_grep -x "pm-store: 1 raw payload versions fetched before 2099-01-01 would go" asis/prune &&
	test_eq "[\"s:forecast:market\",\"s:research:r\"]" \
	    "$(jq -c "[.stored_results[].experiment_id] | sort" asis/new-only)"
'

test_expect_success '[1,2,3,7] upgraded: what this build makes of the old streams' '
	sqlite3 up.db <"$F/build-c51f474.sql" && upgraded up.db &&
	replayed fresh.db &&
	shape fresh.db >want && shape up.db >got && test_cmp want got &&
	# raw_responses: a payload packed (raw_payloads.encoding) has no
	# text there; --export raw gives them back, the same
	db_dump fresh.db | grep -v "^\[\"raw_responses\"" >want &&
	db_dump up.db | grep -v "^\[\"raw_responses\"" >got && test_cmp want got &&
	# --status: the rows replayed were stored now (last_update)
	reads fresh.db replayed && reads up.db upgraded &&
	rm replayed/status upgraded/status && same replayed upgraded
'

test_expect_success '[1,2,3,7] upgraded: its event stays processed, only the failed variant runs again' '
	sqlite3 up.db <"$F/build-c51f474.sql" && upgraded up.db &&
	jq -c "select(.kind == \"group\") | del(.results)" "$F/build-c51f474-run1.ndjson" |
	    pm-store -n --db up.db 2>/dev/null |
	    pm-experiment --config "$TMP/exp.json" >out 2>err ||
	test $? -eq 1 && test_grep "e3: s:forecast:odd: exit status 3" err &&
	test_eq "[\"s:forecast:odd\"]" \
	    "$(jq -c "select(.kind == \"group\") | [.results[].experiment_id]" out)" &&
	test_count failure out 1
'

test_expect_success '[1,2,3,7] marked 8, 10 and 11 by an earlier pm-store (4, 5, 6 skipped) is mended' '
	sqlite3 up.db <"$F/build-c51f474.sql" && upgraded up.db &&
	sqlite3 d.db <"$F/build-c51f474.sql" &&
	# what an earlier pm-store did to it: migrations 8 (views) and 11
	# run (10 is nothing on SQLite) and recorded, 4, 5 and 6 never (nor
	# 12, which it did not know)
	pm-store --schema sqlite | awk "/^-- migration 8:/ { p = 1 }
	    /^-- migration 10:/ { p = 0 } /^-- migration 11:/ { p = 1 }
	    /^-- migration 12:/ { p = 0 } p" >late.sql &&
	sqlite3 d.db <late.sql &&
	for v in 8 10 11; do
		sqlite3 d.db "INSERT INTO schema_migrations VALUES ($v, '\''m$v'\'',
		    '\''2026-12-03T00:00:00Z'\'')" || return 1
	done &&
	reads d.db damaged && reads up.db upgraded && same damaged upgraded &&
	upgraded d.db &&
	db_dump d.db | grep -v "^\[\"schema_migrations\"" >got &&
	db_dump up.db | grep -v "^\[\"schema_migrations\"" >want && test_cmp want got &&
	test_eq 2 "$(sqlite3 d.db "SELECT count(*) FROM market_outcomes")" &&
	reads d.db mended && same upgraded mended
'

test_expect_success '[1,2,3,4,6,7] (dc6798e): 5 runs below 6 and 7; read as it is as upgraded' '
	sqlite3 b.db <"$F/build-dc6798e.sql" &&
	test_eq 1,2,3,4,6,7 "$(versions b.db)" &&
	cp b.db up.db && upgraded up.db &&
	pm-store --db new.db </dev/null 2>/dev/null &&
	shape new.db >want && shape up.db >got && test_cmp want got &&
	reads b.db asis && reads up.db upgraded && same asis upgraded &&
	test_grep -x "status 5" asis/rc && test_grep -v " [1-9]\$" asis/rc | grep -v status &&
	test_count market asis/markets 2 &&
	test_eq null "$(jq -c "select(.market_id == \"40\") | .volume_24h" asis/markets)"
'

test_expect_success 'schema 2 (6936e21, the first day): read as it is as upgraded' '
	sqlite3 c.db <"$F/build-6936e21.sql" && test_eq 1,2 "$(versions c.db)" &&
	cp c.db up.db && upgraded up.db &&
	reads c.db asis && reads up.db upgraded &&
	# --score refuses a database before lead times (pm-summary(1))
	test_grep -x "score 3" asis/rc &&
	test_grep "schema version 2: pm-store upgrades it" asis/err &&
	rm asis/score upgraded/score && sed -i "/^score /d" asis/rc upgraded/rc &&
	same asis upgraded && test_line_count asis/result 3 &&
	test_line_count asis/result.csv 4
'

test_expect_success 'schema 2 upgraded, a variant added since: the store moved has each result once' '
	sqlite3 m.db <"$F/build-6936e21.sql" && upgraded m.db &&
	pm-store --db m.db --export group >g.ndjson && test_count group g.ndjson 1 &&
	jq -c ".markets[0].market_id as \$m | .results = [.results[0] |
	    .experiment_id = \"s:forecast:new\" | .variant = \"new\" |
	    .fingerprint = \"abcdefabcdefabcd\" | .market_ids = [\$m]]" \
	    g.ndjson >new.ndjson &&
	pm-store --db m.db new.ndjson >/dev/null 2>&1 &&
	keys="SELECT event_key, experiment_id, fingerprint, markets, status FROM experiment_results ORDER BY 1, 2, 3, 4" &&
	sqlite3 m.db "$keys" >want && test_line_count want -eq 4 &&
	pm-store --db m.db --export group >moved.ndjson && test_count group moved.ndjson 2 &&
	pm-store --db moved.db moved.ndjson >/dev/null 2>&1 &&
	sqlite3 moved.db "$keys" >got && test_cmp want got &&
	pm-store --db moved.db --export group >again.ndjson &&
	test_cmp moved.ndjson again.ndjson
'

test_expect_success 'PostgreSQL [1,2,3,7]: read as it is, upgraded in place, as on SQLite' '
	pg_ready && url=$(pg_newdb old7) &&
	psql -X -q -v ON_ERROR_STOP=1 "$url" -f "$F/build-c51f474-pg.sql" >/dev/null &&
	test_eq 1,2,3,7 "$(versions "$url")" &&
	reads "$url" asis && upgraded "$url" &&
	reads "$url" upgraded && same asis upgraded &&
	sqlite3 up.db <"$F/build-c51f474.sql" && upgraded up.db &&
	db_dump "$url" >got && db_dump up.db >want && test_cmp want got &&
	reads up.db sqlite &&
	# the old build wrote the raw rows in another order than on SQLite,
	# and the rows were stored at other times (--status: last_update)
	sort asis/raw >want && sort sqlite/raw >got && test_cmp want got &&
	rm asis/raw sqlite/raw asis/status sqlite/status && same sqlite asis
'

test_expect_success 'ClickHouse schema 1: --export market and markets read it as it is' '
	ch_start old || { say "$CH_ERR"; return 1; } &&
	ch_query "CREATE DATABASE old1" && url=clickhouse://127.0.0.1:${CH_HTTP##*:}/old1 &&
	for f in $RUNS; do
		jq -c "select(.kind != \"group\" and .kind != \"failure\")" "$f" |
		    PM_SCHEMA_VERSION=1 pm-store --db "$url" >/dev/null 2>&1 || return 1
	done &&
	for k in market markets; do
		run pm-store --db "$url" -e $k && expect_status 0 &&
		mv out ch-$k || return 1
	done &&
	test_count market ch-market 1 && test_count market ch-markets 2 &&
	run pm-store --db "$url" </dev/null && expect_status 0 &&
	for k in market markets; do
		run pm-store --db "$url" -e $k && expect_status 0 &&
		test_cmp ch-$k out || return 1
	done
'

test_done
