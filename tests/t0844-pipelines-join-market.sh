#!/bin/bash
# The benchmark protocol end to end, on the fake server: three daily runs
# on one database (the builtin suite; a jq variant added: results for it
# only, on the same events, the earlier rows byte-identical; the same
# config again: nothing added), then a market joins a processed event on
# the server: the next run processes that market once, by every variant,
# and the one after adds nothing.  SQLite and PostgreSQL.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/pg.sh"

P=$TOP/pipelines.sh
NOW=2026-06-01T10:00:00Z
# the target day (7 days on) has markets i with i % 8 == 7: 10 markets
# in events of 2 (fake-polymarket.py --spread-days, --group-size)
fake_start pm --only-synthetic --markets 80 --spread-days 8 \
    --group-size 2 --now "$NOW"
pg_start
trap 'fake_stop_all; pg_stop; rm -rf "$TMP"' EXIT

cat >"$TMP/exp.json" <<'EOC'
{"suites":[{"id":"builtin",
  "research":[{"variant":"baseline","type":"builtin"}],
  "forecast":[{"variant":"market","type":"builtin"},
    {"variant":"half","type":"jq",
     "program":"{probabilities: (.markets | map({key: .market_id, value: 0.5}) | from_entries)}"}]}]}
EOC

daily() {
	run "$P" daily --env-file /dev/null --no-dump --now "$NOW" --db "$DB" \
	    --summary-path "$1.json" "${@:2}" && expect_status 0
}
total() { jq ".totals.$2" "$1.json"; }
# the rows of experiments' work, and of processed events
rows() {
	db_dump "$DB" | grep -E '^\["(experiment_results|research_artifacts|experiment_markets|processed_events|processed_markets|processed_contracts)"' || :
}
work() { rows | grep -E '^\["(experiment_results|research_artifacts|experiment_markets)"'; }
keys() { jq -r "select(.[0] == \"experiment_results\") | .[1]" "$1" | sort -u; }
count() { grep -c "^\[\"$1\"" "${2:-/dev/stdin}"; }
# the fake server: a market joins event $1; prints its id
add_market() {
	curl -sf -X POST --data "{\"event_id\":\"$1\"}" "$FAKE_URL/_add_market" |
	    jq -r .added
}

protocol() {
	daily run1 && n=$(total run1 processed) && test_num "$n" -eq 5 events &&
	rows >r1 && test_eq $((2 * n)) "$(count experiment_results r1)" &&

	daily run2 --config "$TMP/exp.json" &&
	test_eq "$n" "$(total run2 processed)" processed &&
	rows >r2 && grep -v '"builtin:forecast:half"' r2 >old && test_cmp r1 old &&
	grep '"builtin:forecast:half"' r2 >half &&
	test_eq "$n" "$(count experiment_results half)" "half results" &&
	keys r1 >e1 && keys half >e2 && test_cmp e1 e2 &&

	daily run3 --config "$TMP/exp.json" &&
	test_eq 0 "$(total run3 processed)" processed &&
	test_eq "$n" "$(total run3 skipped)" skipped &&
	rows >r3 && test_cmp r2 r3 &&

	key=$(jq -r "select(.[0] == \"processed_events\") | .[1]" r3 | sort | head -1) &&
	id=$(add_market "$key") && test -n "$id" &&
	work >w3 &&
	daily run4 --config "$TMP/exp.json" &&
	test_eq 1 "$(total run4 processed)" processed &&
	work >w4 && grep -v "\"$id\"" w4 >old && test_cmp w3 old &&
	grep "^\[\"experiment_markets\"" w4 | jq -r "select(.[5] == \"$id\") |
	    [.[0], .[2], .[5]] | @tsv" | sort >got &&
	printf "experiment_markets\tbuiltin:%s\t$id\n" forecast:half forecast:market \
	    research:baseline >want && test_cmp want got &&
	test_eq 3 "$(grep "^\[\"experiment_results\",\"$key\"" w4 | grep -c "\"$id\"")" \
	    "results of the new market" &&
	rows >r4 && test_eq 1 "$(grep -c "^\[\"processed_markets\",\"$key\",\"$id\"" r4)" &&
	test_eq "$(grep -c "^\[\"processed_markets\",\"$key\"," r4)" \
	    "$(jq -r "select(.[0] == \"processed_events\" and .[1] == \"$key\") | .[4]" r4)" \
	    "n_markets of the event the market joined" &&

	daily run5 --config "$TMP/exp.json" &&
	test_eq 0 "$(total run5 processed)" processed &&
	rows >r5 && test_cmp r4 r5
}

test_expect_success 'SQLite: a new variant on the same events, then a market that joins' '
	DB=sqlite:pm.db && protocol
'

test_expect_success 'PostgreSQL: the same' '
	pg_ready && DB=$(pg_newdb joined) && protocol
'

# A variant whose provider is down for the run that finds the market
# joined: retry-failures of that run forecasts the joined market, as the
# run would have, and runs nothing else (the event's first markets are
# done).  The event's record is its first run's, without the market.
cat >"$TMP/flaky.json" <<EOC
{"suites":[{"id":"builtin",
  "forecast":[{"variant":"market","type":"builtin"},
    {"variant":"flaky","type":"command","argv":["sh","-c",
     "g=\$(cat); [ -e $TMP/down ] && exit 3; printf %s \"\$g\" | jq -c '{probabilities: ((.forecast_markets // (.markets | map(.market_id))) | map({key: ., value: 0.5}) | from_entries)}'"]}]}]}
EOC
q() { sqlite3 pm2.db "$1"; }
test_expect_success 'retry-failures of the run a market joined in: that market retried' '
	DB=sqlite:pm2.db && rm -f "$TMP/down" &&
	daily j1 --config "$TMP/flaky.json" &&
	key=$(q "SELECT event_key FROM processed_events ORDER BY event_key LIMIT 1") &&
	id=$(add_market "$key") && test -n "$id" && touch "$TMP/down" &&
	run "$P" daily --env-file /dev/null --no-dump --now "$NOW" --db "$DB" \
	    --config "$TMP/flaky.json" && expect_status 1 &&
	run_id=$(q "SELECT DISTINCT run_id FROM processing_failures
		WHERE reason = '\''experiment_failed'\''") && test -n "$run_id" &&
	q "SELECT markets, status FROM experiment_results WHERE experiment_id =
		'\''builtin:forecast:flaky'\'' AND status <> '\''ok'\''" >got &&
	printf "%s|failed\n" "$id" >want && test_cmp want got &&
	rm "$TMP/down" && q "SELECT count(*) FROM experiment_results" >n_before &&
	run "$P" retry-failures "$run_id" --env-file /dev/null --no-dump --db "$DB" \
	    --now "$NOW" --config "$TMP/flaky.json" --summary-path retry.json &&
	expect_status 0 &&
	test_eq 1 "$(total retry processed)" processed &&
	q "SELECT markets, status FROM experiment_results WHERE experiment_id =
		'\''builtin:forecast:flaky'\'' AND markets = '\''$id'\''" >got &&
	printf "%s|ok\n" "$id" >want && test_cmp want got &&
	q "SELECT count(*) FROM experiment_results" >n_after && test_cmp n_before n_after
'

test_done
