#!/bin/bash
# pm-summary --score: one line per experiment id and fingerprint (a
# changed config is another forecaster), each forecast in the lead-time
# bucket stored with it, not one recomputed from the market's close as
# stored now.  Values worked out by hand; SQLite and PostgreSQL.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"

# m1 of event e1, at 0.5/0.5 closing at CLOSE: Yes/No as given
m1() {
	rec_market m1 event_id=e1 close_time="$1" active:="$2" closed:="$3" \
		resolution_status:=null contracts:="$(rec_yes_no t1 "$4" t2 "$5")" \
		tags:='[]'
}
# result FINGERPRINT PYES STARTED [LEAD]: s:forecast:v's forecast of m1
result() {
	rec_result v "{\"m1\":{\"Yes\":$2,\"No\":$(jq -n "1 - $2")}}" |
		jq -c --arg f "$1" --arg s "$3" --argjson l "${4:-null}" \
		'.fingerprint = $f | .market_ids = ["m1"] | .started_at = $s |
		 if $l then .lead = {m1: $l} else . end'
}
# By hand (m1 resolved Yes; the reference, 0.5/0.5: Brier 0.25, ln 2):
#   fingerprint aaaa…: p 0.9, run 1, its stored lead_h 30    -> [1,3)
#        Brier ((0.9-1)^2 + 0.1^2)/2 = 0.01, -ln 0.9, skill 0.96
#   fingerprint bbbb…: p 0.6, run 2, no lead_h stored: the close time it
#        saw (12-05 12:00) less its start (12-01 12:00) = 96 h -> [3,6)
#        Brier 0.16, -ln 0.6, skill 0.36
# Merged they would be one line of 2 forecasts at Brier 0.085.  The close
# as stored now (12-20) or as the later run saw it (12-05) would put the
# first in [6,8) or [8,inf).
A=aaaaaaaaaaaaaaaa B=bbbbbbbbbbbbbbbb
{
	rec_run_start r1 daily
	rec_group e1 null "$(m1 2026-11-30T12:00:00Z true false 0.5 0.5)" |
		jq -c --argjson r "$(result $A 0.9 2026-11-29T06:00:00Z \
		'{"close_time":"2026-11-30T12:00:00Z","lead_h":30}')" '.results = [$r]'
	rec_run_start r2 daily
	rec_group e1 null "$(m1 2026-12-05T12:00:00Z true false 0.5 0.5)" |
		jq -c --argjson r "$(result $B 0.6 2026-12-01T12:00:00Z)" '.results = [$r]'
	rec_run_start r3 static
	m1 2026-12-20T00:00:00Z false true 1 0
} >"$TMP/data.ndjson"

NEAR='def near(a; b): ((a - b) | if . < 0 then -. else . end) < 1e-9;'
CHECK="$NEAR"' .variants | length == 2 and
	(map([.experiment_id, .fingerprint, .forecasts, .markets]) ==
	 [["s:forecast:v","'$A'",1,1],["s:forecast:v","'$B'",1,1]]) and
	(.[0] | near(.brier; 0.01) and near(.log_loss; -(0.9|log)) and
	 near(.skill; 0.96) and .lead_unknown == 0 and
	 (.lead_days | map(.markets) == [0,1,0,0,0]) and
	 near(.lead_days[1].brier; 0.01) and near(.lead_days[1].skill; 0.96)) and
	(.[1] | near(.brier; 0.16) and near(.log_loss; -(0.6|log)) and
	 near(.skill; 0.36) and (.lead_days | map(.markets) == [0,0,1,0,0]) and
	 near(.lead_days[2].log_loss; -(0.6|log)))'

test_expect_success 'stored: two rows of one experiment, its lead kept' '
	pm-store --db d.db <"$TMP/data.ndjson" >/dev/null 2>&1 &&
	sqlite3 d.db "SELECT fingerprint, lead_h, close_time FROM experiment_markets
		ORDER BY fingerprint" >got &&
	printf "%s\n" "$A|30.0|2026-11-30T12:00:00Z" "$B||2026-12-05T12:00:00Z" >want &&
	test_cmp want got
'

test_expect_success 'one line per fingerprint, each in its stored lead bucket' '
	pm-store --db d.db <"$TMP/data.ndjson" >/dev/null 2>&1 &&
	run pm-summary --score --db d.db --json && expect_status 0 &&
	jq -e "$CHECK" out >/dev/null
'

test_expect_success 'the text report names the fingerprint' '
	pm-store --db d.db <"$TMP/data.ndjson" >/dev/null 2>&1 &&
	run pm-summary --score --db d.db && expect_status 0 &&
	test_grep "^s:v (forecast) $A *1 *1 *0 *0.0100 *0.1054 *0.2500 *0.6931 *0.960$" out &&
	test_grep "^s:v (forecast) $B *1 *1 *0 *0.1600 *0.5108 *0.2500 *0.6931 *0.360$" out &&
	test_grep "^  lead \[1, 3) days *1 *0.0100 " out &&
	test_grep "^  lead \[3, 6) days *1 *0.1600 " out &&
	test_grep -v "lead \[[68]," out
'

test_expect_success 'a database older than lead times is named, not misread' '
	sqlite3 old.db "CREATE TABLE schema_migrations (version INTEGER);
		INSERT INTO schema_migrations VALUES (1), (2);" &&
	run pm-summary --score --db old.db && expect_status 3 &&
	test_grep "schema version 2: pm-store upgrades it" err
'

pg_start
test_expect_success 'PostgreSQL: the same two lines' '
	pg_ready && url=$(pg_newdb fp) &&
	pm-store --db "$url" <"$TMP/data.ndjson" >/dev/null 2>&1 &&
	run pm-summary --score --db "$url" --json && expect_status 0 &&
	jq -e "$CHECK" out >/dev/null
'
test_done
