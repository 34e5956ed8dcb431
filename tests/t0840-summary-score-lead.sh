#!/bin/bash
# pm-summary --score per lead-time bucket, against values worked out by
# hand; SQLite and PostgreSQL give the same report.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"

# mk ID CLOSED PYES PNO CLOSE: one Yes/No market record of its own event
mk() {
	jq -cn --arg id "$1" --argjson c "$2" --argjson y "$3" --argjson n "$4" \
	    --arg t "$5" '{kind:"market", source:"polymarket", market_id:$id,
		question:("Q" + $id), event_id:("e" + $id), close_time:$t,
		active:($c | not), closed:$c, resolution_status:null,
		contracts:[{outcome:"Yes",token_id:($id+"1"),price:$y},
			{outcome:"No",token_id:($id+"2"),price:$n}], tags:[]}'
}
# group ID PYES STARTED: the market as seen at 0.5/0.5 closing
# 2026-11-30T12:00Z, forecast Yes=PYES by variant v, the result started
# at STARTED
group() {
	jq -cn --argjson m "$(mk "$1" false 0.5 0.5 2026-11-30T12:00:00Z)" \
	    --arg id "$1" --argjson p "$2" --arg s "$3" '{kind:"group",
		event_key:("e" + $id), event:null, markets:[$m],
		results:[{experiment_id:"s:forecast:v", suite:"s", stage:"forecast",
		variant:"v", type:"builtin", status:"ok", output:null,
		probabilities:{($id):{Yes:$p, No:(1 - $p)}}, started_at:$s,
		finished_at:$s, latency_ms:1, error:null}]}'
}
# By hand (close 2026-11-30T12:00Z; reference 0.5: Brier 0.25, ln 2):
#   m1 Yes won, p 0.9, started 11-30 00:00, lead 12 h   -> [0,1)  Brier 0.01
#   m2 No won,  p 0.2, started 11-28 12:00, 48 h        -> [1,3)  0.04
#   m3 Yes won, p 0.6, started 11-25 12:00, 120 h       -> [3,6)  0.16
#   m4 No won,  p 0.5, started 11-23 12:00, 168 h       -> [6,8)  0.25
#   m6 Yes won, p 0.8, started 11-24 12:00, 144 h = 6 d -> [6,8)  0.04
#   m5 Yes won, p 0.7, started 11-20 12:00, 240 h       -> [8,inf) 0.09
#   m7 Yes won, p 0.5, started 11-30 13:00, after close -> not scored (a
#      look ahead), counted apart: after_close 1
# The markets as stored later close on 12-01: the lead uses the close
# time the forecast saw.
{
	jq -cn '{kind:"run", phase:"start", run_id:"r1", flow:"daily",
		run_date:"2026-11-23", target_date:null, window_days:null,
		started_at:"2026-11-23T07:00:00Z", git_sha:"abc",
		environment:"test", options:{}}'
	group m1 0.9 2026-11-30T00:00:00Z
	group m2 0.2 2026-11-28T12:00:00Z
	group m3 0.6 2026-11-25T12:00:00Z
	group m4 0.5 2026-11-23T12:00:00Z
	group m5 0.7 2026-11-20T12:00:00Z
	group m6 0.8 2026-11-24T12:00:00Z
	group m7 0.5 2026-11-30T13:00:00Z
	for m in m1 m3 m5 m6 m7; do mk $m true 1 0 2026-12-01T00:00:00Z; done
	for m in m2 m4; do mk $m true 0 1 2026-12-01T00:00:00Z; done
} >"$TMP/data.ndjson"
NEAR='def near(a; b): ((a - b) | if . < 0 then -. else . end) < 1e-9;'
CHECK="$NEAR"' .variants[0] as $v | $v.lead_days as $l |
	($v.markets == 6 and near($v.brier; 0.59 / 6) and $v.lead_unknown == 0 and
	 $v.after_close == 1) and
	($l | map([.lo, .hi, .markets]) == [[0,1,1],[1,3,1],[3,6,1],[6,8,2],[8,null,1]]) and
	near($l[0].brier; 0.01) and near($l[0].log_loss; -(0.9|log)) and near($l[0].skill; 0.96) and
	near($l[1].brier; 0.04) and near($l[1].log_loss; -(0.8|log)) and near($l[1].skill; 0.84) and
	near($l[2].brier; 0.16) and near($l[2].log_loss; -(0.6|log)) and near($l[2].skill; 0.36) and
	near($l[3].brier; 0.145) and near($l[3].log_loss; (-(0.5|log) - (0.8|log)) / 2) and
	near($l[3].skill; 0.42) and near($l[3].reference.brier; 0.25) and
	near($l[3].reference.log_loss; 2|log) and $l[3].reference.markets == 2 and
	near($l[4].brier; 0.09) and near($l[4].log_loss; -(0.7|log)) and near($l[4].skill; 0.64)'

test_expect_success 'per lead-time bucket: Brier, log loss and skill as by hand' '
	pm-store --db d.db <"$TMP/data.ndjson" >/dev/null 2>&1 &&
	run pm-summary --score --db d.db --json && expect_status 0 &&
	jq -e "$CHECK" out >/dev/null
'
test_expect_success 'the text report: one line per bucket with markets' '
	pm-store --db d.db <"$TMP/data.ndjson" >/dev/null 2>&1 &&
	run pm-summary --score --db d.db && expect_status 0 &&
	grep -q "^s:v (forecast) *6 *6 *0 *0.0983 " out &&
	grep -q "^  lead \[0, 1) days *1 *0.0100 *0.1054 *0.2500 *0.6931 *0.960$" out &&
	grep -q "^  lead \[6, 8) days *2 *0.1450 *0.4581 *0.2500 *0.6931 *0.420$" out &&
	grep -q "^  lead \[8, inf) days *1 *0.0900 *0.3567 *0.2500 *0.6931 *0.640$" out &&
	grep -q "^  forecast after the market closed, not scored: 1 market(s)$" out &&
	! grep -q "no lead time" out
'
test_expect_success 'pipelines.sh score reports the buckets too' '
	pm-store --db d.db <"$TMP/data.ndjson" >/dev/null 2>&1 &&
	run "$TOP/pipelines.sh" score --db d.db --env-file /dev/null &&
	expect_status 0 && grep -q "^  lead \[3, 6) days *1 *0.1600" out
'
# A forecast made after its market closed is never scored: until the
# market resolved it was counted pending, as if a score were to come.
test_expect_success 'unresolved: pending when forecast before the close, after_close after it' '
	{ cat "$TMP/data.ndjson" && group m8 0.5 2026-11-30T13:00:00Z &&
	  group m9 0.5 2026-11-29T12:00:00Z; } >late.ndjson &&
	pm-store --db late.db <late.ndjson >/dev/null 2>&1 &&
	run pm-summary --score --db late.db --json && expect_status 0 &&
	jq -e ".variants[0] | .forecasts == 6 and .markets == 6 and
		.pending == 1 and .after_close == 2" out >/dev/null &&
	run pm-summary --score --db late.db && expect_status 0 &&
	grep -q "^s:v (forecast) *6 *6 *1 *0.0983 " out &&
	grep -q "^  forecast after the market closed, not scored: 2 market(s)$" out
'
pg_start
test_expect_success 'PostgreSQL: the same buckets' '
	pg_ready && url=$(pg_newdb lead) &&
	pm-store --db "$url" <"$TMP/data.ndjson" >/dev/null 2>&1 &&
	run pm-summary --score --db "$url" --json && expect_status 0 &&
	jq -e "$CHECK" out >/dev/null
'
test_done
