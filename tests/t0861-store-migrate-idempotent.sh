#!/bin/bash
# A database made before fingerprints (schema 2) is upgraded in place, and
# the events it processed count as done for the variants with results
# there; a new variant reuses the research stored there.  SQLite and
# PostgreSQL.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
# the newest schema version this pm-store knows
latest() { pm-store --schema sqlite | sed -n "s/^-- migration \([0-9]*\):.*/\1/p" | tail -1; }
pg_start

F=$TESTS_DIR/fixtures-store
group() {
	jq -c 'select(.event_key == "16183") | del(.results)' "$F/run.ndjson"
}
cat >"$TMP/exp.json" <<'EOC'
{"suites":[{"id":"builtin",
  "research":[{"variant":"baseline","type":"builtin"}],
  "forecast":[{"variant":"market","type":"builtin"},
    {"variant":"echo","type":"jq","depends_on":"baseline",
     "program":"(if .research.baseline.legacy then 0.25 else 0.5 end) as $p | {probabilities: (.markets | map({key: .market_id, value: $p}) | from_entries)}"}]}]}
EOC

# $1: the database URL, made by schema 2 with the legacy rows in it
check() {
	group | pm-store --new-only --db "$1" 2>/dev/null | pm-experiment >out 2>err &&
	test "$(wc -l <out)" -eq 1 &&
	grep -q "\"event_key\":\"16183\",\"why\":\"already_processed\"" out &&
	pm-store --db "$1" </dev/null >/dev/null 2>&1 &&
	group | pm-store --new-only --db "$1" 2>/dev/null | pm-experiment >out2 2>err &&
	test_cmp out out2 &&
	group | pm-store --new-only --db "$1" 2>/dev/null |
	    pm-experiment --config "$TMP/exp.json" >out3 2>err &&
	jq -c "[.results[].experiment_id]" out3 >ids &&
	test "$(cat ids)" = "[\"builtin:forecast:echo\"]" &&
	test "$(jq -c "[.results[0].probabilities[].Yes] | unique" out3)" = "[0.25]" &&
	pm-store --db "$1" out3 >/dev/null 2>&1 &&
	group | pm-store --new-only --db "$1" 2>/dev/null |
	    pm-experiment --config "$TMP/exp.json" >out4 2>err &&
	grep -q already_processed out4
}

test_expect_success 'SQLite: upgraded in place, its events done for its variants' '
	sqlite3 old.db <"$F/schema-v2-sqlite.sql" &&
	sqlite3 old.db <"$F/legacy-v2-rows.sql" &&
	check sqlite:old.db &&
	test "$(sqlite3 old.db "SELECT max(version) FROM schema_migrations")" = "$(schema_latest)" &&
	test "$(sqlite3 old.db "SELECT count(*) FROM experiment_markets WHERE fingerprint = \"\"")" -eq 8
'

test_expect_success 'PostgreSQL: the same' '
	pg_ready && url=$(pg_newdb legacy) &&
	psql -X -q -v ON_ERROR_STOP=1 "$url" -f "$F/schema-v2-sqlite.sql" >/dev/null &&
	psql -X -q -v ON_ERROR_STOP=1 "$url" -f "$F/legacy-v2-rows.sql" >/dev/null &&
	check "$url" &&
	test "$(psql -X -A -t -q "$url" -c "SELECT max(version) FROM schema_migrations")" = "$(schema_latest)"
'

test_done
