#!/bin/bash
# pm-summary --score on SQLite databases filled by pm-store: a forecast
# set whose scores were worked out by hand, pending markets, options.
. "$(dirname "$0")/lib.sh"

. "$TESTS_DIR/score-data.sh"
# By hand, on m1 (Yes won) and m2 (No won), Brier = mean over outcomes:
#   llm    m1 (0.8-1)^2+(0.2)^2 /2 = 0.04,  m2 0.01      mean 0.025
#          log loss -ln 0.8 = 0.2231436, -ln 0.9 = 0.1053605, mean 0.1642520
#   market m1 0.16, m2 0.09, mean 0.125; -ln 0.6, -ln 0.7, mean 0.4337503
#   bold   m1 0, m2 1, mean 0.5; -ln 0.999, -ln 0.001, mean 3.4543779
#   skill  1 - Brier / market Brier: llm 0.8, market 0, bold -3
test_expect_success 'a forecast set with known scores' '
	scored d.db &&
	run pm-summary --score --db d.db --json && expect_status 0 &&
	jq -r "[.variants[] | .variant] | join(\" \")" out >got &&
	echo "bold llm market" >want && test_cmp want got &&
	jq -e "$NEAR .variants | map({(.variant): .}) | add |
		(.llm | .forecasts == 1 and .markets == 2 and .pending == 2 and
			near(.brier; 0.025) and near(.log_loss; (-(0.8|log) - (0.9|log)) / 2) and
			.reference.markets == 2 and near(.reference.brier; 0.125) and
			near(.reference.log_loss; (-(0.6|log) - (0.7|log)) / 2) and near(.skill; 0.8)) and
		(.market | near(.brier; 0.125) and near(.skill; 0) and .pending == 2) and
		(.bold | .pending == 0 and near(.brier; 0.5) and
			near(.log_loss; (-(0.999|log) - (0.001|log)) / 2) and near(.skill; -3))" out >/dev/null
'

test_expect_success 'calibration buckets take every outcome'"'"'s probability' '
	scored d.db &&
	run pm-summary --score --db d.db --json && expect_status 0 &&
	jq -c ".variants[] | select(.variant == \"llm\") | .calibration[] | select(.n > 0) |
		[.lo, .n, .mean_forecast, .observed]" out >got &&
	printf "%s\n" "[0.1,1,0.1,0]" "[0.2,1,0.2,0]" "[0.8,1,0.8,1]" "[0.9,1,0.9,1]" >want &&
	test_cmp want got &&
	run pm-summary --score --db d.db --json --buckets 2 &&
	jq -c ".variants[] | select(.variant == \"llm\") | .calibration | map([.n, .observed])" out >got &&
	echo "[[2,0],[2,1]]" >want && test_cmp want got
'

test_expect_success '--clamp bounds the log loss of a certain miss' '
	scored d.db &&
	run pm-summary --score --db d.db --json --clamp 0.01 && expect_status 0 &&
	jq -e "$NEAR .variants[] | select(.variant == \"bold\") |
		near(.log_loss; (-(0.99|log) - (0.01|log)) / 2)" out >/dev/null
'

test_expect_success 'the text report: one line per variant, then its buckets' '
	scored d.db &&
	run pm-summary --score --db d.db && expect_status 0 &&
	test_grep "^suite:variant (stage) *forecasts *markets *pending *brier *logloss *mkt bri *mkt ll *skill$" out &&
	test_grep "^s:llm (forecast) *1 *2 *2 *0.0250 *0.1643 *0.1250 *0.4338 *0.800$" out &&
	test_grep "^s:bold (forecast) *1 *2 *0 *0.5000 *3.4544 *0.1250 *0.4338 *-3.000$" out &&
	test_grep "^    \[0.90, 1.00\] n 1, forecast 0.900, observed 1.000$" out
'

test_expect_success 'before the markets resolve: everything pending' '
	pm-store --db p.db <"$TMP/forecasts.ndjson" >/dev/null 2>&1 &&
	run pm-summary --score --db p.db --json && expect_status 0 &&
	jq -e ".variants | length == 3 and all(.[]; .markets == 0 and .brier == null and
		.skill == null and .forecasts == 0)" out >/dev/null &&
	jq -c "[.variants[] | .pending]" out >got &&
	echo "[2,4,4]" >want && test_cmp want got
'

test_expect_success 'an empty database and one pm-store never wrote: nothing to score' '
	pm-store --db e.db </dev/null 2>/dev/null &&
	run pm-summary --score --db e.db && expect_status 0 &&
	test_grep "^score: no stored forecasts$" out &&
	: >blank.db &&
	run pm-summary --score --db blank.db --json && expect_status 0 &&
	jq -e ".variants == []" out >/dev/null &&
	run pm-summary --score --db nosuch.db && expect_status 3
'

# m1's reference is on m2 alone: (0.3-0)^2 + (0.7-1)^2 over 2 = 0.09
test_expect_success 'a reference price that is not finite (put in by hand) leaves that market out of the reference' '
	scored d.db &&
	for p in 9e999 -9e999; do
		sqlite3 d.db "UPDATE processed_contracts SET price = $p WHERE market_id = '"'"'m1'"'"' AND outcome_index = 0" &&
		run pm-summary --score --db d.db --json && expect_status 0 &&
		jq -e "$NEAR .variants[] | select(.variant == \"llm\") |
			.reference.markets == 1 and near(.reference.brier; 0.09) and
			near(.reference.variant_brier; 0.01) and near(.skill; 1 - 0.01 / 0.09)" out >/dev/null &&
		run pm-summary --score --db d.db && expect_status 0 &&
		test_grep -v -i nan out || return 1
	done
'

test_expect_success 'score usage errors exit 2' '
	run pm-summary --score --buckets 0 && expect_status 2 &&
	run pm-summary --score --clamp 0.5 && expect_status 2 &&
	run pm-summary --score --clamp x && expect_status 2 &&
	run pm-summary --score --fresh 1h --pass && expect_status 2
'

test_done
