#!/bin/bash
# PostgreSQL schemas and database names a deployment may have: pm's tables
# in a schema of their own named by options=-csearch_path=... (upper
# case, blanks, quotes), a database name with a blank and non-ASCII, a
# table of pm's name in public.  Each store holds its own rows, a rerun
# changes nothing, and --export reads what was stored.  A search_path
# without pm's tables is no pm store: --export says so (before, it wrote
# nothing and said nothing, as if the store were empty, where a missing
# SQLite file is said), and pm-store refuses to make them nowhere, in
# the server's words without the statement it quotes ("LINE 1: CREATE
# TABLE ..." and a caret: pm's SQL, nothing a user can act on).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
RUN=$TESTS_DIR/fixtures-store/run.ndjson
pg_start
pgbouncer_start
# what the markets stored from RUN export as, on SQLite
pm-store --db "$TMP/lite.db" "$RUN" >/dev/null 2>&1
pm-store --db "$TMP/lite.db" --export markets >"$TMP/want"

enc() {
	python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"
}

# URL of database $1 with search_path the schema $2, quoted as SQL
# wants and its blanks escaped as options wants
sp_url() {
	local id
	id=\"$(printf '%s' "$2" | sed 's/"/""/g')\"
	echo "postgresql://postgres@/$(enc "$1")?host=$PG_DIR&options=$(enc "-csearch_path=${id// /\\ }")"
}

test_expect_success 'pm tables in odd schemas: each its own, reruns change nothing' '
	pg_ready && u=$(pg_newdb sp) &&
	psql -X -q -v ON_ERROR_STOP=1 "$u" -c "CREATE SCHEMA \"PM\"" \
	    -c "CREATE SCHEMA \"my \"\"odd\"\" schema\"" \
	    -c "CREATE TABLE public.markets (x int)" &&
	for s in PM "my \"odd\" schema"; do
		url=$(sp_url sp "$s") &&
		run pm-store --db "$url" "$RUN" && expect_status 0 &&
		test_grep " 7 inserted, " err &&
		run pm-store --db "$url" "$RUN" && expect_status 0 &&
		test_grep " 0 inserted, 0 updated, 3 unchanged, " err &&
		run pm-store --db "$url" --export markets && expect_status 0 &&
		test_cmp "$TMP/want" out || return 1
	done &&
	psql -X -A -t "$u" -c "SELECT schemaname, count(*) FROM pg_tables
	    WHERE tablename IN (\$\$markets\$\$, \$\$schema_migrations\$\$)
	    GROUP BY 1 ORDER BY 1" >got &&
	printf "%s\n" "PM|2" "my \"odd\" schema|2" "public|1" >expect &&
	test_cmp expect got
'

test_expect_success 'a database name with a blank and non-ASCII: stored and exported' '
	pg_ready && psql -X -q -v ON_ERROR_STOP=1 "$PG_URL" \
	    -c "CREATE DATABASE \"pm db-Ü\"" &&
	url="postgresql://postgres@/$(enc "pm db-Ü")?host=$PG_DIR" &&
	run pm-store --db "$url" "$RUN" && expect_status 0 &&
	run pm-store --db "host=$PG_DIR dbname='"'"'pm db-Ü'"'"' user=postgres" \
	    --export markets && expect_status 0 && test_cmp "$TMP/want" out
'

test_expect_success 'a search_path without pm tables: --export says so, a store is refused' '
	pg_ready && u=$(pg_newdb nosp) && pm-store --db "$u" "$RUN" >/dev/null 2>&1 &&
	url="$u&options=$(enc -csearch_path=nosuch)" &&
	run pm-store --db "$url" --export markets && expect_status 0 &&
	test_line_count out -eq 0 &&
	test_grep "^pm-store: postgresql://postgres@/nosp?host=[^ ]*: no pm-store tables here: nothing to export$" err &&
	run pm-store --db "$url" "$RUN" && expect_status 3 &&
	test_grep ": migration: no schema has been selected to create in$" err &&
	not grep -q "LINE 1" err &&
	run pm-store --db "$u" --export markets && expect_status 0 &&
	test_cmp "$TMP/want" out
'

# PgBouncer refuses the options startup parameter; pm-store(1) says to
# give the role its search_path instead, which its pooled connections have.
test_expect_success 'through PgBouncer: options refused, said; the role'"'"'s search_path works' '
	pg_ready && pgb_ready && u=$(pg_newdb bsp) &&
	psql -X -q -v ON_ERROR_STOP=1 "$u" -c "CREATE SCHEMA pm" \
	    -c "ALTER ROLE postgres IN DATABASE bsp SET search_path = pm" &&
	run pm-store --db "$(pgb_url bsp)&options=$(enc -csearch_path=pm)" "$RUN" &&
	expect_status 3 && test_grep "unsupported startup parameter" err &&
	run pm-store --db "$(pgb_url bsp)" "$RUN" && expect_status 0 &&
	run pm-store --db "$(pgb_url bsp)" --export markets && expect_status 0 &&
	test_cmp "$TMP/want" out &&
	psql -X -A -t "$u" -c "SELECT schemaname FROM pg_tables
	    WHERE tablename = \$\$markets\$\$" >got &&
	echo pm >expect && test_cmp expect got
'

test_done
