#!/bin/bash
# retry-failures of a run with many failed groups through PgBouncer in
# transaction mode with a pool of one: completed.  Its export (pm-store
# --export retry) went into pm-store --new-only, whose first query needs
# a server connection, and on into the slow pm-experiment: the export
# held the pool's only connection until its last row was read, the pipes
# stood full, and pm-store --new-only failed on PgBouncer's
# query_wait_timeout (and the export after it).  The export now goes
# whole to a file of the run first (pipelines.sh spooled), as the prices
# and trades flows' does (t0417).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/pg.sh"
pg_start
# no wait of two minutes (PgBouncer's default) for a failure
PGB_OPTS="query_wait_timeout = 20
default_pool_size = 1" pgbouncer_start

P=$TOP/pipelines.sh
NOW=$(date -u +%Y-%m-%dT%H:00:00Z)
DAY1=$(date -u -d "$NOW + 1 day" +%Y-%m-%dT%H:%M:%SZ)
# a group a market, groups enough that the export fills the pipes
fake_start pm --markets 1500 --spread-days 1 --group-size 1 --now "$DAY1"

# a variant that fails while $TMP/down exists
cat >"$TMP/exp.json" <<EOF
{"suites":[{"id":"s","forecast":[
  {"variant":"market","type":"builtin","builtin":"market"},
  {"variant":"flaky","type":"command","argv":["sh","-c",
   "g=\$(cat); [ -e $TMP/down ] && exit 3; printf %s \"\$g\" | jq -c '{probabilities: (.markets | map({key: .market_id, value: 0.5}) | from_entries)}'"]}]}]}
EOF

test_expect_success 'a daily run (direct) whose variant failed on every group' '
	d=$(pg_newdb retry) && echo "$d" >"$TMP/direct" &&
	touch "$TMP/down" &&
	run "$P" daily --env-file /dev/null --db "$d" --window-days 1 --margin 0 \
	    --no-dump --config "$TMP/exp.json" && expect_status 1 &&
	test_num "$(psql -X -A -t -q "$d" -c "SELECT count(DISTINCT event_key) FROM processing_failures WHERE retriable = 1")" -eq 1500 &&
	psql -X -A -t -q "$d" -c "SELECT run_id FROM processing_runs" >"$TMP/run_id" &&
	test_num "$(pm-store --db "$d" --export retry --run "$(cat "$TMP/run_id")" | wc -c)" -gt 1000000
'
test_expect_success 'retry-failures of it through a pool of one: completed' '
	test_grep -x "default_pool_size = 1" "$PGB_DIR/pgbouncer.ini" &&
	rm -f "$TMP/down" && u=$(pgb_url retry) &&
	run "$P" retry-failures "$(cat "$TMP/run_id")" --env-file /dev/null --db "$u" \
	    --now "$NOW" --no-dump --config "$TMP/exp.json" --summary-path s.json &&
	expect_status 0 &&
	test_eq completed "$(jq -r .run_status s.json)" &&
	test_num "$(jq .totals.grouped s.json)" -eq 1500 &&
	test_num "$(psql -X -A -t -q "$(cat "$TMP/direct")" -c "SELECT count(*) FROM experiment_results WHERE status = '\''failed'\''")" -eq 0
'
test_done
