#!/bin/bash
# pipelines.sh daily end to end: fake Polymarket, SQLite and PostgreSQL.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/pg.sh"

P=$TOP/pipelines.sh
# about 10 markets close on each day: the target day is one day
fake_start pm --markets 4000 --events 10

daily() { run "$P" daily --env-file /dev/null "$@"; }
rows() { sqlite3 "$1" "SELECT count(*) FROM $2"; }

test_expect_success 'daily: groups processed, stored, dumped and summarized' '
	daily --db pm.db --summary-path o/summary.json --dump-dir dumps &&
	expect_status 0 &&
	n=$(jq .totals.processed o/summary.json) && test_num "$n" -gt 5 &&
	test_num "$(rows pm.db processed_events)" -eq "$n" &&
	test_num "$(rows pm.db experiment_results)" -eq $((2 * n)) &&
	test_eq completed "$(sqlite3 pm.db "SELECT status FROM processing_runs")" &&
	ls dumps/*-daily-*.ndjson >dump.list && test_line_count dump.list 1 &&
	test_grep "dump in dumps/" err
'
test_expect_success 'daily twice: the second run processes nothing and says so' '
	daily --db pm.db --no-dump && expect_status 0 &&
	db_dump pm.db >before &&
	daily --db pm.db --no-dump --summary-path s2.json && expect_status 0 &&
	test_num "$(jq .totals.processed s2.json)" -eq 0 &&
	test_num "$(jq .totals.skipped s2.json)" -gt 5 &&
	test_grep "groups already processed" err &&
	db_dump pm.db | grep -v "^\[\"processing_runs\"\|^\[\"raw_responses\"\|^\[\"experiment_runs\"" >after &&
	grep -v "^\[\"processing_runs\"\|^\[\"raw_responses\"\|^\[\"experiment_runs\"" before >before2 &&
	test_cmp before2 after
'
test_expect_success 'dry run: every stage runs, the database is not even created' '
	daily --db dry.db --dry-run --no-dump --summary-path s.json &&
	expect_status 0 && test ! -e dry.db &&
	test_num "$(jq .totals.grouped s.json)" -gt 5 &&
	test_num "$(jq .totals.inserted s.json)" -eq 0 &&
	test_grep "dry run, nothing written to dry.db" err
'
test_expect_success 'dry run on an existing database leaves it as it was' '
	daily --db pm.db --no-dump && db_dump pm.db >before &&
	fake_control "{\"latency_ms\":0}" &&
	daily --db pm.db --dry-run --no-dump && expect_status 0 &&
	db_dump pm.db >after && test_cmp before after
'
test_expect_success 'replay of the dump into a fresh database gives the same rows' '
	daily --db orig.db --dump-dir d && expect_status 0 &&
	run "$P" replay d/*.ndjson --db replayed.db --env-file /dev/null &&
	expect_status 0 &&
	db_dump orig.db >want && db_dump replayed.db >got && test_cmp want got
'
test_expect_success 'an experiment failing on some groups: recorded, the rest stored' '
	cat >exp.json <<-EOF &&
	{"suites":[{"id":"s","forecast":[
	  {"variant":"market","type":"builtin","builtin":"market"},
	  {"variant":"odd","type":"command","argv":["sh","-c",
	   "g=\$(cat); case \$(printf %s \"\$g\" | jq -r .event_key) in *[13579]) exit 3;; esac; printf %s \"\$g\" | jq -c \"{probabilities: (.markets | map({key: .market_id, value: 0.5}) | from_entries)}\""]}]}]}
	EOF
	daily --db f.db --no-dump --config exp.json --summary-path s.json &&
	expect_status 1 &&
	test_num "$(jq .totals.failed s.json)" -gt 0 &&
	test_num "$(rows f.db processing_failures)" -gt 0 &&
	test_num "$(sqlite3 f.db "SELECT count(*) FROM processing_failures WHERE reason = '\''experiment_failed'\''")" -gt 0 &&
	test_num "$(rows f.db processed_events)" -eq "$(jq .totals.processed s.json)" &&
	test_num "$(sqlite3 f.db "SELECT count(*) FROM experiment_results WHERE experiment_id = '\''s:forecast:odd'\'' AND status = '\''ok'\''")" -gt 0
'
test_expect_success 'paths with spaces and quotes' '
	mkdir "a b" &&
	daily --db "a b/it'\''s.db" --dump-dir "a b/du\"mp" --summary-path "a b/s um.json" &&
	expect_status 0 && test -s "a b/it'\''s.db" && ls "a b/du\"mp"/*.ndjson &&
	test -s "a b/s um.json"
'
test_expect_success 'settings: options win over the environment, which wins over .env' '
	printf "DATABASE_URL=fromfile.db\n# a comment\nexport PM_WINDOW_DAYS=3\n" >.env &&
	run "$P" daily --no-dump && expect_status 0 && test -s fromfile.db &&
	DATABASE_URL=fromenv.db run "$P" daily --no-dump && test -s fromenv.db &&
	DATABASE_URL=fromenv.db run "$P" daily --no-dump --db fromopt.db && test -s fromopt.db &&
	sqlite3 fromfile.db "SELECT window_days FROM processing_runs" | test_grep -x 3
'
test_expect_success 'two runs of one flow on one database: the second is refused' '
	fake_control "{\"latency_ms\":1500}" &&
	test_when_finished fake_control "{\"latency_ms\":0}" &&
	("$P" daily --db lock.db --no-dump --env-file /dev/null >/dev/null 2>&1 &
	 echo $! >pid) && sleep 0.5 &&
	daily --db lock.db --no-dump && expect_status 4 &&
	test_grep "another daily run on this database holds" err &&
	fake_control "{\"latency_ms\":0}" && wait_pid=$(cat pid) &&
	while kill -0 "$wait_pid" 2>/dev/null; do sleep 0.2; done
'
test_expect_success 'usage errors exit 2' '
	run "$P" && expect_status 2 &&
	run "$P" nightly && expect_status 2 && test_grep "unknown flow: nightly" err &&
	run "$P" daily --window-days 367 && expect_status 2 &&
	run "$P" daily --target-date someday && expect_status 2 &&
	run "$P" daily --db && expect_status 2 &&
	run "$P" replay && expect_status 2
'
test_expect_success 'a stage that cannot run is named, exit 3' '
	PM_GAMMA_URL=http://127.0.0.1:9 daily --db down.db --no-dump &&
	expect_status 3 && test_grep "daily: pm-fetch failed" err
'
test_expect_success 'PostgreSQL: daily, then its dump replayed into SQLite: same rows' '
	pg_start && pg_newdb daily &&
	daily --db "$PG_URL" --dump-dir pgd && expect_status 0 &&
	run "$P" replay pgd/*.ndjson --db fromdump.db --env-file /dev/null &&
	expect_status 0 &&
	db_dump "$PG_URL" >want && db_dump fromdump.db >got && test_cmp want got
'
test_done
