# shellcheck shell=bash
# tests/score-data.sh - the forecast set pm-summary --score is tested on,
# sourced by t0702 (SQLite) and t0703 (PostgreSQL) after lib.sh: run and
# market records, hand-scored forecasts, and scored URL to fill a database.

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
# shellcheck disable=SC2034  # used by the scripts that source this
NEAR='def near(a; b): ((a - b) | if . < 0 then -. else . end) < 1e-9;'
