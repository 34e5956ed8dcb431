#!/bin/bash
# pipelines.sh retry-failures: only the groups that failed retriably run
# again, their failed results are replaced, the rest stays as it was.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/pg.sh"

P=$TOP/pipelines.sh
fake_start pm --markets 900
DB=$TMP/pm.db
q() { sqlite3 "$DB" "$1"; }

# a forecast that fails while $TMP/down exists, for odd event keys only
# and one that never fails, each of its runs a line in $TMP/steady.log
cat >"$TMP/exp.json" <<EOF
{"suites":[{"id":"s","forecast":[
  {"variant":"market","type":"builtin","builtin":"market"},
  {"variant":"steady","type":"command","argv":["sh","-c",
   "g=\$(cat); printf '%s\\\\n' \"\$g\" | jq -r .event_key >>$TMP/steady.log; printf %s \"\$g\" | jq -c '{probabilities: (.markets | map({key: .market_id, value: 0.5}) | from_entries)}'"]},
  {"variant":"flaky","type":"command","argv":["sh","-c",
   "g=\$(cat); case \$(printf %s \"\$g\" | jq -r .event_key) in *[13579]) [ -e $TMP/down ] && exit 3;; esac; printf %s \"\$g\" | jq -c '{probabilities: (.markets | map({key: .market_id, value: 0.5}) | from_entries)}'"]}]}]}
EOF

test_expect_success 'a daily run where a variant fails on some groups' '
	touch "$TMP/down" &&
	run "$P" daily --db "$DB" --config "$TMP/exp.json" --dump-dir "$TMP/dumps" \
	    --env-file /dev/null && expect_status 1 &&
	test_num "$(q "SELECT count(*) FROM experiment_results WHERE status = '\''failed'\''")" -gt 0 &&
	test_num "$(q "SELECT count(*) FROM processing_failures WHERE reason = '\''experiment_failed'\'' AND retriable = 1")" -gt 0 &&
	q "SELECT run_id FROM processing_runs" >"$TMP/run_id"
'
test_expect_success 'retry-failures runs only the failed groups; their results become ok' '
	rm -f "$TMP/down" &&
	failed=$(q "SELECT count(DISTINCT event_key) FROM experiment_results WHERE status = '\''failed'\''") &&
	q "SELECT event_key, experiment_id, status FROM experiment_results WHERE status = '\''ok'\''" | LC_ALL=C sort >ok_before &&
	run "$P" retry-failures "$(cat "$TMP/run_id")" --db "$DB" --no-dump \
	    --config "$TMP/exp.json" --summary-path s.json --env-file /dev/null &&
	expect_status 0 &&
	test_num "$(jq .totals.grouped s.json)" -eq "$failed" &&
	test_num "$(q "SELECT count(*) FROM experiment_results WHERE status = '\''failed'\''")" -eq 0 &&
	q "SELECT event_key, experiment_id, status FROM experiment_results WHERE status = '\''ok'\''" | LC_ALL=C sort >ok_after &&
	LC_ALL=C comm -23 ok_before ok_after >lost && test ! -s lost &&
	# the market rows of a retried result are of the retry run, its lead times
	test_num "$(q "SELECT count(*) FROM experiment_results r JOIN experiment_markets m
		USING (event_key, experiment_id, fingerprint, markets)
		WHERE m.run_id <> r.run_id")" -eq 0 &&
	# what was ok is not run (nor paid for) again: steady ran once a group
	test_num "$(sort "$TMP/steady.log" | uniq -d | wc -l)" -eq 0 &&
	test_num "$(wc -l <"$TMP/steady.log")" -eq "$(q "SELECT count(*) FROM processed_events")"
'
test_expect_success 'a group that has stored_results already gets those stored now, not a second key' '
	# the first record of the event (a retried event has a second, its
	# rows as stored now: pm-store(1) --export group)
	pm-store --db "$DB" --export group --limit 1 |
		jq -cn "input + {stored_results: [{experiment_id: \"stale\", market_ids: []}]}" >g.ndjson &&
	test_line_count g.ndjson 1 &&
	run pm-store --db "$DB" -n g.ndjson && expect_status 0 &&
	test_num "$(grep -o "\"stored_results\"" out | wc -l)" -eq 1 &&
	jq -e "(.stored_results | length) == 3 and
		all(.stored_results[]; .experiment_id != \"stale\")" out >/dev/null
'
test_expect_success 'replaying the first run afterwards changes nothing' '
	db_dump "$DB" | grep -v "^\[\"processing_runs\"" >before &&
	run "$P" replay "$TMP"/dumps/*.ndjson --db "$DB" --env-file /dev/null &&
	db_dump "$DB" | grep -v "^\[\"processing_runs\"" >after &&
	test_cmp before after
'
test_expect_success 'retry-failures of a run without failures does nothing' '
	id=$(q "SELECT run_id FROM processing_runs WHERE flow = '\''retry-failures'\''") &&
	test_num "$(printf "%s\n" "$id" | wc -l)" -eq 1 && test -n "$id" &&
	run "$P" retry-failures "$id" --db "$DB" --no-dump --summary-path s.json \
	    --config "$TMP/exp.json" --env-file /dev/null &&
	expect_status 0 && test_num "$(jq .totals.grouped s.json)" -eq 0 &&
	test_eq completed "$(jq -r .run_status s.json)"
'
# A run id mistyped, or given with another database, retried nothing and
# exited 0 without a word: the user believed the failures retried.
test_expect_success 'retry-failures of a run the database does not have: exit 2, no run made' '
	q "SELECT run_id, status FROM processing_runs ORDER BY run_id" >runs_before &&
	run "$P" retry-failures no-such-run --db "$DB" --no-dump --summary-path s2.json \
	    --config "$TMP/exp.json" --env-file /dev/null &&
	expect_status 2 &&
	test_grep -x "pm-store: $DB: --run no-such-run: no such run" err &&
	test_grep -x "pipelines.sh: retry-failures: no daily or retry-failures run no-such-run in the database: nothing retried" err &&
	test ! -e s2.json &&
	q "SELECT run_id, status FROM processing_runs ORDER BY run_id" >runs_after &&
	test_cmp runs_before runs_after &&
	run pm-store --db "$DB" --export retry --run no-such-run && expect_status 2 &&
	test_line_count out -eq 0
'
test_expect_success 'retry-failures on a database not made yet, or with no tables: no such run, exit 2' '
	sqlite3 empty.db "CREATE TABLE other (x)" &&
	run pm-store --db empty.db --export group --run R1 && expect_status 0 &&
	test_line_count out -eq 0 &&
	run pm-store --db empty.db --export retry --run R1 && expect_status 2 &&
	test_grep "pm-store: empty.db: --run R1: no such run (no tables here)" err &&
	run "$P" retry-failures R1 --db "$TMP/new.db" --no-dump --summary-path s.json \
	    --config "$TMP/exp.json" --env-file /dev/null &&
	expect_status 2 && test_grep "no such run (no database here)" err &&
	test ! -e "$TMP/new.db"
'
test_expect_success 'PostgreSQL: a run the database does not have is exit 2 too' '
	pg_start && url=$(pg_newdb retryunknown) &&
	run "$P" daily --db "$url" --config "$TMP/exp.json" --no-dump --env-file /dev/null &&
	expect_status 0 &&
	run "$P" retry-failures no-such-run --db "$url" --no-dump \
	    --config "$TMP/exp.json" --env-file /dev/null &&
	expect_status 2 && test_grep "retry-failures run no-such-run in the database" err &&
	test_eq 1 "$(psql -XAtq "$url" -c "SELECT count(*) FROM processing_runs")" &&
	id=$(psql -XAtq "$url" -c "SELECT run_id FROM processing_runs") &&
	run "$P" retry-failures "$id" --db "$url" --no-dump \
	    --config "$TMP/exp.json" --env-file /dev/null && expect_status 0
'
test_done
