#!/bin/bash
# pm-summary --score on SQLite databases filled by pm-store: a forecast
# set whose scores were worked out by hand, pending markets, options.
. "$(dirname "$0")/lib.sh"

run_start() {
	jq -cn --arg id "$1" --arg f "$2" '{kind:"run", phase:"start", run_id:$id,
		flow:$f, run_date:"2026-11-23", target_date:null, window_days:null,
		started_at:"2026-11-23T07:00:00Z", git_sha:"abc", environment:"test",
		options:{}}'
}

# mk ID EVENT CLOSED PYES PNO: one Yes/No market record
mk() {
	jq -cn --arg id "$1" --arg e "$2" --argjson c "$3" --argjson y "$4" --argjson n "$5" '{
		kind:"market", source:"polymarket", market_id:$id, question:("Q" + $id),
		event_id:$e, close_time:"2026-11-24T00:00:00Z", active:($c | not), closed:$c,
		resolution_status:null,
		contracts:[{outcome:"Yes",token_id:($id+"1"),price:$y},
			{outcome:"No",token_id:($id+"2"),price:$n}], tags:[]}'
}

# res VARIANT PROBABILITIES: an ok forecast result of suite s
res() {
	jq -cn --arg v "$1" --argjson p "$2" '{experiment_id:("s:forecast:" + $v),
		suite:"s", stage:"forecast", variant:$v, type:"builtin", status:"ok",
		output:null, probabilities:$p, started_at:"2026-11-23T07:00:00Z",
		finished_at:"2026-11-23T07:00:01Z", latency_ms:5, error:null}'
}

# The daily run: event e1 (m1 at 0.6/0.4, m2 at 0.3/0.7) and e2 (m3 at
# 0.5/0.5, m4 at 0.2/0.8), forecast by the market itself, by "llm" (which
# leaves m2's No out: 0.9) and by "bold" (certain, half wrong); plus a
# failed result and a research result, which are not forecasts to score.
forecasts() {
	run_start r1 daily
	jq -cn --argjson m1 "$(mk m1 e1 false 0.6 0.4)" --argjson m2 "$(mk m2 e1 false 0.3 0.7)" \
		--argjson a "$(res market '{"m1":{"Yes":0.6,"No":0.4},"m2":{"Yes":0.3,"No":0.7}}')" \
		--argjson b "$(res llm '{"m1":{"Yes":0.8,"No":0.2},"m2":{"Yes":0.1}}')" \
		--argjson c "$(res bold '{"m1":{"Yes":1,"No":0},"m2":{"Yes":1,"No":0}}')" \
		--argjson d "$(res broken '{"m1":{"Yes":0.5}}' | jq -c '.status = "failed"')" \
		'{kind:"group", event_key:"e1", event:null, markets:[$m1,$m2], results:[$a,$b,$c,$d]}'
	jq -cn --argjson m3 "$(mk m3 e2 false 0.5 0.5)" --argjson m4 "$(mk m4 e2 false 0.2 0.8)" \
		--argjson a "$(res market '{"m3":{"Yes":0.5,"No":0.5},"m4":{"Yes":0.2,"No":0.8}}')" \
		--argjson b "$(res llm '{"m3":{"Yes":0.5,"No":0.5},"m4":{"Yes":0.4,"No":0.6}}')" \
		'{kind:"group", event_key:"e2", event:null, markets:[$m3,$m4], results:[$a,$b]}'
}

# A later fetch: m1 resolved Yes, m2 No; m3 still open; m4 closed but
# not settled (0.5/0.5).
resolutions() {
	run_start r2 static
	mk m1 e1 true 1 0
	mk m2 e1 true 0 1
	mk m3 e2 false 0.55 0.45
	mk m4 e2 true 0.5 0.5
}

# Made once: jq is the slow part of these cases.
forecasts >"$TMP/forecasts.ndjson"
resolutions >"$TMP/resolutions.ndjson"

scored() {
	cat "$TMP/forecasts.ndjson" "$TMP/resolutions.ndjson" |
		pm-store --db "$1" >/dev/null 2>&1
}

# near(a; b): equal to 1e-9
NEAR='def near(a; b): ((a - b) | if . < 0 then -. else . end) < 1e-9;'

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
	grep -q "^suite:variant (stage) *forecasts *markets *pending *brier *logloss *mkt bri *mkt ll *skill$" out &&
	grep -q "^s:llm (forecast) *1 *2 *2 *0.0250 *0.1643 *0.1250 *0.4338 *0.800$" out &&
	grep -q "^s:bold (forecast) *1 *2 *0 *0.5000 *3.4544 *0.1250 *0.4338 *-3.000$" out &&
	grep -q "^    \[0.90, 1.00\] n 1, forecast 0.900, observed 1.000$" out
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
	grep -q "^score: no stored forecasts$" out &&
	: >blank.db &&
	run pm-summary --score --db blank.db --json && expect_status 0 &&
	jq -e ".variants == []" out >/dev/null &&
	run pm-summary --score --db nosuch.db && expect_status 3
'

test_expect_success 'score usage errors exit 2' '
	run pm-summary --score --buckets 0 && expect_status 2 &&
	run pm-summary --score --clamp 0.5 && expect_status 2 &&
	run pm-summary --score --clamp x && expect_status 2 &&
	run pm-summary --score --fresh 1h --pass && expect_status 2
'

test_done
