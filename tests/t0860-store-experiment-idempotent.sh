#!/bin/bash
# Idempotency per experiment, not per event: a variant added to a config
# runs on the events others processed, the same config again adds nothing,
# and a market that joins a processed event is forecast once by every
# variant.  SQLite and PostgreSQL.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/pg.sh"

P=$TOP/pipelines.sh
NOW=2026-06-01T10:00:00Z
# the daily target day (7 days on) has markets i with i % 8 == 7: 20
# markets in events of 2 (fake-polymarket.py --spread-days, --group-size)
fake_start pm --only-synthetic --markets 160 --spread-days 8 \
    --group-size 2 --now "$NOW"
pg_start
# both servers stop at the end, whichever was started last
trap 'fake_stop_all; pg_stop; rm -rf "$TMP"' EXIT

daily() { run "$P" daily --env-file /dev/null --no-dump --now "$NOW" "$@"; }
# the rows a later run must leave alone
kept() {
	db_dump "$1" | grep -E '^\["(experiment_results|research_artifacts|experiment_markets|processed_events|processed_markets|processed_contracts)"'
}
HALF='"builtin:forecast:half"'

cat >"$TMP/exp.json" <<'EOC'
{"suites":[{"id":"builtin",
  "research":[{"variant":"baseline","type":"builtin"}],
  "forecast":[{"variant":"market","type":"builtin"},
    {"variant":"half","type":"jq","version":"1","description":"one half",
     "program":"{probabilities: (.markets | map({key: .market_id, value: 0.5}) | from_entries)}"}]}]}
EOC

# three daily runs on database $1: builtin, a jq variant added, again
three_runs() {
	daily --db "$1" --summary-path s1.json && expect_status 0 &&
	n=$(jq .totals.processed s1.json) && test "$n" -gt 3 &&
	kept "$1" >before &&
	test "$(grep -c "^\[\"experiment_results\"" before)" -eq $((2 * n)) &&
	daily --db "$1" --config "$TMP/exp.json" --summary-path s2.json &&
	expect_status 0 && test "$(jq .totals.processed s2.json)" -eq "$n" &&
	kept "$1" >after &&
	grep -v "$HALF" after >old && test_cmp before old &&
	grep "^\[\"experiment_results\"" after | grep "$HALF" >half &&
	test "$(wc -l <half)" -eq "$n" &&
	jq -e "select(.[15] | test(\"^[0-9a-f]{16}$\")) | .[16] == \"1\"" half >/dev/null &&
	test "$(grep -c "^\[\"experiment_markets\".*$HALF" after)" -eq \
	    "$(grep -c "^\[\"processed_markets\"" after)" &&
	daily --db "$1" --config "$TMP/exp.json" --summary-path s3.json &&
	expect_status 0 && test "$(jq .totals.processed s3.json)" -eq 0 &&
	test "$(jq .totals.skipped s3.json)" -eq "$n" &&
	kept "$1" >again && test_cmp after again
}

# a market joins event $2 of database $1: processed once, by every variant
joined() {
	pm-store --export group --db "$1" | jq -c --arg k "$2" \
	    "select(.event_key == \$k) | del(.results) |
	     .markets += [.markets[0] | .market_id = \"990001\" |
	     .question = \"joined later\"]" >g.ndjson &&
	test -s g.ndjson &&
	for i in 1 2; do
		pm-store --new-only --db "$1" g.ndjson 2>/dev/null |
		pm-experiment --config "$TMP/exp.json" 2>/dev/null |
		pm-store --db "$1" >stored.$i 2>/dev/null || return 1
	done &&
	grep -q "\"stored\":\"updated\"" stored.1 &&
	grep -q "\"why\":\"already_processed\"" stored.2 &&
	db_dump "$1" | grep "^\[\"experiment_markets\".*\"990001\"" >new &&
	test "$(wc -l <new)" -eq 3 &&
	db_dump "$1" | grep "^\[\"experiment_results\"" |
	    grep -c "\"990001\"" >nres && test "$(cat nres)" -eq 3 &&
	db_dump "$1" | grep -c "^\[\"processed_markets\",\"$2\",\"990001\"" >np &&
	test "$(cat np)" -eq 1
}

test_expect_success 'SQLite: a new variant runs on the same events, once' '
	three_runs sqlite:pm.db &&
	key=$(sqlite3 pm.db "SELECT min(event_key) FROM processed_events") &&
	joined sqlite:pm.db "$key"
'

test_expect_success 'PostgreSQL: the same' '
	pg_ready && url=$(pg_newdb idem) &&
	three_runs "$url" &&
	key=$(psql -X -A -t -q "$url" -c "SELECT min(event_key) FROM processed_events") &&
	joined "$url" "$key"
'

test_done
