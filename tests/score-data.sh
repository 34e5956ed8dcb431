# shellcheck shell=bash
# tests/score-data.sh - the forecast set pm-summary --score is tested on,
# sourced by t0702 (SQLite) and t0703 (PostgreSQL) after lib.sh: run and
# market records (tests/records.sh), hand-scored forecasts, and scored URL
# to fill a database.

# mk ID EVENT CLOSED PYES PNO: one Yes/No market record, active when
# not closed
mk() {
	local active=true
	[ "$3" = true ] && active=false
	rec_market "$1" event_id="$2" close_time=2026-11-24T00:00:00Z active:=$active \
		closed:="$3" resolution_status:=null \
		contracts:="$(rec_yes_no "${1}1" "$4" "${1}2" "$5")" tags:='[]'
}

# The daily run: event e1 (m1 at 0.6/0.4, m2 at 0.3/0.7) and e2 (m3 at
# 0.5/0.5, m4 at 0.2/0.8), forecast by the market itself, by "llm" (which
# leaves m2's No out: 0.9) and by "bold" (certain, half wrong); plus a
# failed result and a research result, which are not forecasts to score.
forecasts() {
	rec_run_start r1 daily
	jq -cn --argjson m1 "$(mk m1 e1 false 0.6 0.4)" --argjson m2 "$(mk m2 e1 false 0.3 0.7)" \
		--argjson a "$(rec_result market '{"m1":{"Yes":0.6,"No":0.4},"m2":{"Yes":0.3,"No":0.7}}')" \
		--argjson b "$(rec_result llm '{"m1":{"Yes":0.8,"No":0.2},"m2":{"Yes":0.1}}')" \
		--argjson c "$(rec_result bold '{"m1":{"Yes":1,"No":0},"m2":{"Yes":1,"No":0}}')" \
		--argjson d "$(rec_result broken '{"m1":{"Yes":0.5}}' | jq -c '.status = "failed"')" \
		'{kind:"group", event_key:"e1", event:null, markets:[$m1,$m2], results:[$a,$b,$c,$d]}'
	jq -cn --argjson m3 "$(mk m3 e2 false 0.5 0.5)" --argjson m4 "$(mk m4 e2 false 0.2 0.8)" \
		--argjson a "$(rec_result market '{"m3":{"Yes":0.5,"No":0.5},"m4":{"Yes":0.2,"No":0.8}}')" \
		--argjson b "$(rec_result llm '{"m3":{"Yes":0.5,"No":0.5},"m4":{"Yes":0.4,"No":0.6}}')" \
		'{kind:"group", event_key:"e2", event:null, markets:[$m3,$m4], results:[$a,$b]}'
}

# A later fetch: m1 resolved Yes, m2 No; m3 still open; m4 closed but
# not settled (0.5/0.5).
resolutions() {
	rec_run_start r2 static
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
