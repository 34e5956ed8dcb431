#!/bin/bash
# The daily protocol with a forecaster that answers for some markets of an
# event only (an LLM that leaves one out).  Its one result covered the
# whole event: the markets it left out were stored as forecast, never
# forecast again, and the score compared the variants on fewer markets
# without a word.  Now the daily run is partial (exit 1) with a failed
# result on those markets, retry-failures forecasts exactly them, and
# once resolved every market is scored once by every variant.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

P=$TOP/pipelines.sh
# the start of today: the forecasts, made now, come before the markets
# close (a week on); one made after its market closed is not scored
NOW=$(date -u +%Y-%m-%dT00:00:00Z)
# 5 events of 2 markets on the target day (t0844)
fake_start pm --only-synthetic --markets 80 --spread-days 8 \
    --group-size 2 --now "$NOW"

# half: the first market to forecast only, while $TMP/half exists; each
# run's event key and the markets it was asked for are lines in
# $TMP/half.log
cat >"$TMP/half.sh" <<EOS
g=\$(cat)
printf %s "\$g" | jq -r '[.event_key, (.forecast_markets // [.markets[].market_id] | join(","))] | join(" ")' >>"$TMP/half.log"
n=99; [ -e "$TMP/half" ] && n=1
printf %s "\$g" | jq -c --argjson n \$n '{probabilities: ((.forecast_markets // [.markets[].market_id])[:\$n] | map({key: ., value: 0.5}) | from_entries)}'
EOS
jq -n --arg sh "$TMP/half.sh" '{suites: [{id: "s", forecast: [
    {variant: "market", type: "builtin"},
    {variant: "half", type: "command", argv: ["sh", $sh]}]}]}' >"$TMP/exp.json"

DB=$TMP/pm.db
q() { sqlite3 "$DB" "$1"; }
flow() {
	run "$P" "$@" --env-file /dev/null --no-dump --now "$NOW" --db "$DB"
}

test_expect_success 'daily: the markets left out are a failed result, the run partial' '
	touch "$TMP/half" &&
	flow daily --config "$TMP/exp.json" --summary-path d.json &&
	expect_status 1 &&
	test_eq partial "$(q "SELECT status FROM processing_runs")" status &&
	test_eq 5 "$(q "SELECT count(*) FROM experiment_results
	    WHERE variant = '"'half'"' AND status = '"'ok'"' AND markets NOT LIKE '"'%,%'"'")" ok &&
	test_eq 5 "$(q "SELECT count(*) FROM experiment_results
	    WHERE variant = '"'half'"' AND status = '"'failed'"' AND markets NOT LIKE '"'%,%'"'")" failed &&
	test_eq 5 "$(q "SELECT count(*) FROM processing_failures
	    WHERE reason = '"'experiment_failed'"'")" failures
'

test_expect_success 'retry-failures forecasts the markets left out, and only them' '
	run1=$(q "SELECT run_id FROM processing_runs") &&
	q "SELECT event_key || '"' '"' || markets FROM experiment_results
	    WHERE variant = '"'half'"' AND status = '"'failed'"' ORDER BY 1" >want &&
	test_line_count want -eq 5 &&
	rm "$TMP/half" "$TMP/half.log" &&
	flow retry-failures "$run1" --config "$TMP/exp.json" --summary-path r.json &&
	expect_status 0 &&
	sort "$TMP/half.log" >got && test_cmp want got &&
	test_eq 0 "$(q "SELECT count(*) FROM experiment_results
	    WHERE status = '"'failed'"'")" "failed left" &&
	run pm-store --db "$DB" --export retry --run "$run1" && expect_status 0 &&
	test_line_count out -eq 0
'

test_expect_success 'resolved, every market is scored once by every variant' '
	n=$(q "SELECT count(*) FROM processed_markets") && test_num "$n" -eq 10 &&
	resolve_yes "$DB" &&
	run pm-summary --score --db "sqlite:$DB" --json && expect_status 0 &&
	jq -c "[.variants[] | [.variant, .markets]], .paired.markets" out >got &&
	printf "%s\n" "[[\"half\",$n],[\"market\",$n]]" "$n" >want &&
	test_cmp want got
'

test_done
