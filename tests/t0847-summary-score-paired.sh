#!/bin/bash
# pm-summary --score compares the variants on the same markets: with two
# variants or more, each one's Brier score, log loss and skill on the
# markets every variant scored (JSON paired, a block of text after the
# variants' lines), next to the reference on them.  Scored each on its
# own markets only, a variant that failed on the hard groups looked
# better than one that answered them all.  Values worked out by hand;
# SQLite and PostgreSQL give the same report.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"

# mkt ID PYES PNO [CLOSED]: a Yes/No market of event e-ID
mkt() {
	local closed=${4:-false}
	rec_market "$1" event_id="e$1" close_time=2026-11-30T12:00:00Z \
		active:="$([ "$closed" = true ] && echo false || echo true)" \
		closed:="$closed" resolution_status:=null tags:='[]' \
		contracts:="$(rec_yes_no "${1}y" "$2" "${1}n" "$3")"
}
# res VARIANT PYES MARKET: s:forecast:VARIANT's forecast of MARKET; a
# PYES of "failed" is a failed result, "bad" a forecast of an outcome
# the market does not have (invalid)
res() {
	case $2 in
	failed) rec_result "$1" null | jq -c '.status = "failed" | .error = "exit 3"' ;;
	bad) rec_result "$1" "{\"$3\":{\"Maybe\":1}}" ;;
	*) rec_result "$1" "{\"$3\":{\"Yes\":$2,\"No\":$(jq -n "1 - $2")}}" ;;
	esac
}
# grp ID PYES PNO VARIANT=PYES...: event e-ID of market ID seen at PYES
# and PNO, and each variant's result
grp() {
	local id=$1 m r=()
	m=$(mkt "$1" "$2" "$3")
	shift 3
	for v in "$@"; do r+=("$(res "${v%%=*}" "${v#*=}" "$id")"); done
	rec_group "event:e$id" null "$m" | jq -c --slurpfile r <(printf '%s\n' "${r[@]}") \
		'.results = $r'
}
NEAR='def near(a; b): ((a - b) | if . < 0 then -. else . end) < 1e-9;'

# "full" answers all four markets; "gappy" fails on the hard two, m3 and
# m4.  Every market resolved Yes; Brier (1 - p)^2, log loss -ln p.
#   seen     m1 0.7  m2 0.6  m3 0.5  m4 0.3: Brier 0.09 0.16 0.25 0.49
#   full     m1 0.9  m2 0.9  m3 0.4  m4 0.4:       0.01 0.01 0.36 0.36
#   gappy    m1 0.8  m2 0.8  failed  failed:       0.04 0.04
# Each on its own markets, gappy looks better: Brier 0.04 against 0.185,
# skill 1 - 0.04 / 0.125 = 0.68 against 1 - 0.185 / 0.2475 = 0.2525...
# On the markets both scored, m1 and m2, full is: Brier 0.01 (-ln 0.9)
# against 0.04 (-ln 0.8), the reference's (0.09 + 0.16) / 2 = 0.125
# ((-ln 0.7 - ln 0.6) / 2), skill 1 - 0.01 / 0.125 = 0.92 against 0.68.
{
	rec_run_start r1 daily
	grp m1 0.7 0.3 full=0.9 gappy=0.8
	grp m2 0.6 0.4 full=0.9 gappy=0.8
	grp m3 0.5 0.5 full=0.4 gappy=failed
	grp m4 0.3 0.7 full=0.4 gappy=failed
	rec_run_start r2 static
	for m in m1 m2 m3 m4; do mkt $m 1 0 true; done
} >"$TMP/gappy.ndjson"
GAPPY="$NEAR"' (.variants | map(.variant) == ["full","gappy"]) and
	(.variants[0] | .markets == 4 and near(.brier; 0.185) and
	 near(.skill; 1 - 0.185 / 0.2475)) and
	(.variants[1] | .markets == 2 and near(.brier; 0.04) and near(.skill; 0.68)) and
	(.paired | .markets == 2 and
	 (.variants | map([.experiment_id, .fingerprint, .suite, .stage, .variant, .markets]) ==
	  [["s:forecast:full","","s","forecast","full",2],
	   ["s:forecast:gappy","","s","forecast","gappy",2]]) and
	 (.variants[0] | near(.brier; 0.01) and near(.log_loss; -(0.9|log)) and
	  near(.skill; 0.92)) and
	 (.variants[1] | near(.brier; 0.04) and near(.log_loss; -(0.8|log)) and
	  near(.skill; 0.68)) and
	 (.reference | .markets == 2 and near(.brier; 0.125) and
	  near(.log_loss; (-(0.7|log) - (0.6|log)) / 2)))'

# gappy DB: the report of the stream stored in DB, JSON in json, text in
# text, checked
gappy() {
	pm-store --db "$1" <"$TMP/gappy.ndjson" >/dev/null 2>&1 &&
	run pm-summary --score --db "$1" --json && expect_status 0 &&
	jq -e "$GAPPY" out >/dev/null && mv out json &&
	run pm-summary --score --db "$1" && expect_status 0 && mv out text &&
	sed -n "/^paired/,\$p" text >got &&
	cat >want <<-\EOF &&
	paired: the 2 market(s) every variant scored, 2 with market prices
	  s:full (forecast)                                2          0.0100  0.1054  0.1250  0.4338   0.920
	  s:gappy (forecast)                               2          0.0400  0.2231  0.1250  0.4338   0.680
	EOF
	test_cmp want got
}

test_expect_success 'a variant that failed on the hard groups: better alone, worse paired' '
	gappy d.db
'

# Three variants, partly overlapping (every market resolved Yes, seen at
# 0.5: the reference's Brier 0.25, log loss ln 2); n5 is not resolved, b's
# forecast of n1 is not of its outcomes (invalid): neither is scored.
#   a   n1 0.9  n2 0.7  n3 0.6           n5 0.5
#   b   n1 bad  n2 0.8  n3 0.5  n4 0.9   n5 0.5
#   c   n1 0.6  n2 0.6  n3 0.9  n4 0.2   n5 0.5
# Every variant scored n2 and n3:
#   a  (0.09 + 0.16) / 2 = 0.125, (-ln 0.7 - ln 0.6) / 2, skill 0.5
#   b  (0.04 + 0.25) / 2 = 0.145, (-ln 0.8 - ln 0.5) / 2, skill 0.42
#   c  (0.16 + 0.01) / 2 = 0.085, (-ln 0.6 - ln 0.9) / 2, skill 0.66
{
	rec_run_start r1 daily
	grp n1 0.5 0.5 a=0.9 b=bad c=0.6
	grp n2 0.5 0.5 a=0.7 b=0.8 c=0.6
	grp n3 0.5 0.5 a=0.6 b=0.5 c=0.9
	grp n4 0.5 0.5 b=0.9 c=0.2
	grp n5 0.5 0.5 a=0.5 b=0.5 c=0.5
	rec_run_start r2 static
	for m in n1 n2 n3 n4; do mkt $m 1 0 true; done
} >"$TMP/three.ndjson"
THREE="$NEAR"' (.variants | map([.variant, .markets, .pending, .invalid]) ==
	 [["a",3,1,null],["b",3,1,1],["c",4,1,null]]) and
	(.paired | .markets == 2 and (.variants | map([.variant, .markets]) ==
	  [["a",2],["b",2],["c",2]]) and
	 (.variants[0] | near(.brier; 0.125) and
	  near(.log_loss; (-(0.7|log) - (0.6|log)) / 2) and near(.skill; 0.5)) and
	 (.variants[1] | near(.brier; 0.145) and
	  near(.log_loss; (-(0.8|log) - (0.5|log)) / 2) and near(.skill; 0.42)) and
	 (.variants[2] | near(.brier; 0.085) and
	  near(.log_loss; (-(0.6|log) - (0.9|log)) / 2) and near(.skill; 0.66)) and
	 (.reference | .markets == 2 and near(.brier; 0.25) and near(.log_loss; 2|log)))'

test_expect_success 'three variants, partly overlapping: the markets all three scored' '
	pm-store --db t.db <"$TMP/three.ndjson" >/dev/null 2>&1 &&
	run pm-summary --score --db t.db --json && expect_status 0 &&
	jq -e "$THREE" out >/dev/null &&
	run pm-summary --score --db t.db && expect_status 0 &&
	test_grep "^paired: the 2 market(s) every variant scored, 2 with market prices$" out &&
	test_grep "^  s:c (forecast) *2 *0.0850 *0.3081 *0.2500 *0.6931 *0.660$" out
'

# No market that every variant scored: x has p1, y p2.  Nothing to
# average: the means are null, and the text says so.
{
	rec_run_start r1 daily
	grp p1 0.5 0.5 x=0.9
	grp p2 0.5 0.5 y=0.9
	rec_run_start r2 static
	for m in p1 p2; do mkt $m 1 0 true; done
} >"$TMP/apart.ndjson"
APART='.paired == {markets: 0, variants: [
	 {experiment_id: "s:forecast:x", fingerprint: "", suite: "s", stage: "forecast",
	  variant: "x", markets: 0, brier: null, log_loss: null, skill: null},
	 {experiment_id: "s:forecast:y", fingerprint: "", suite: "s", stage: "forecast",
	  variant: "y", markets: 0, brier: null, log_loss: null, skill: null}],
	reference: {markets: 0, brier: null, log_loss: null}} and
	(.variants | map(.markets) == [1, 1])'

test_expect_success 'no market that every variant scored: 0, no means' '
	pm-store --db a.db <"$TMP/apart.ndjson" >/dev/null 2>&1 &&
	run pm-summary --score --db a.db --json && expect_status 0 &&
	jq -e "$APART" out >/dev/null &&
	run pm-summary --score --db a.db && expect_status 0 &&
	test "$(grep -c "^ *s:[xy] (forecast)" out)" = 2 &&
	test_grep "^paired: no market scored by every variant$" out
'

# One variant: nothing to pair, nothing added.
test_expect_success 'one variant: no paired comparison' '
	grep -v "\"variant\":\"y\"" "$TMP/apart.ndjson" | pm-store --db o.db >/dev/null 2>&1 &&
	run pm-summary --score --db o.db --json && expect_status 0 &&
	jq -e "(.variants | length) == 1 and has(\"paired\") == false" out >/dev/null &&
	run pm-summary --score --db o.db && expect_status 0 &&
	test_grep -v "^paired" out
'

# Every variant scored the same markets, each once: the paired sums are
# its line's, to the last digit (in the order it scored them).
test_expect_success 'the same markets: the paired scores are the variants'"'"' own' '
	grep -v "\"event_key\":\"event:em[34]\"" "$TMP/gappy.ndjson" |
		pm-store --db s.db >/dev/null 2>&1 &&
	run pm-summary --score --db s.db --json && expect_status 0 &&
	jq -e ".paired.markets == 2 and ([.variants[] | [.markets, .brier, .log_loss, .skill]] ==
		[.paired.variants[] | [.markets, .brier, .log_loss, .skill]]) and
		(.variants | map(.markets) == [2, 2]) and
		(.variants[0].reference | [.brier, .log_loss]) ==
		(.paired.reference | [.brier, .log_loss])" out >/dev/null
'

# A market a variant scored twice counts twice, as in its line: e1's m1
# and v's forecasts of it in r1 (0.9) and r3 (0.6, with m2 joined to e1
# since); w forecast m1 in r1 and m2 in r3.  m1 resolved Yes, m2 No; e1
# first seen with m1 at 0.5 (Brier 0.25) and m2 at 0.4 (0.16).
#   v  m1 0.01, m1 0.16, m2 0.04: 3, Brier 0.07, skill 1 - 0.21 / 0.66
#   w  m1 0.09, m2 0.16: 2, Brier 0.125, skill 1 - 0.25 / 0.41
#   the reference, once per market: (0.25 + 0.16) / 2 = 0.205
# twice MARKETS RESULT...: a group of e1
twice() {
	local ms=$1
	shift
	jq -cn --argjson m "$ms" '{kind: "group", event_key: "e1", event: null,
		markets: $m}' | jq -c --slurpfile r <(printf '%s\n' "$@") '.results = $r'
}
# r1 VARIANT PROBABILITIES MARKET...: a result naming those markets
r1() {
	local v=$1 p=$2
	shift 2
	rec_result "$v" "$p" | jq -c --argjson ids "$(printf '%s\n' "$@" | jq -R . | jq -cs .)" \
		'.market_ids = $ids'
}
M1=$(rec_market m1 event_id=e1 close_time=2026-11-30T12:00:00Z active:=true closed:=false \
	resolution_status:=null tags:='[]' contracts:="$(rec_yes_no m1y 0.5 m1n 0.5)")
M2=$(rec_market m2 event_id=e1 close_time=2026-11-30T12:00:00Z active:=true closed:=false \
	resolution_status:=null tags:='[]' contracts:="$(rec_yes_no m2y 0.4 m2n 0.6)")
{
	rec_run_start r1 daily
	twice "[$M1]" "$(r1 v '{"m1":{"Yes":0.9,"No":0.1}}' m1)" \
		"$(r1 w '{"m1":{"Yes":0.7,"No":0.3}}' m1)"
	rec_run_start r3 daily
	twice "[$M1,$M2]" "$(r1 v '{"m1":{"Yes":0.6,"No":0.4},"m2":{"Yes":0.2,"No":0.8}}' m1 m2)" \
		"$(r1 w '{"m2":{"Yes":0.4,"No":0.6}}' m2)"
	rec_run_start r4 static
	echo "$M1" | jq -c '.closed = true | .active = false | .contracts[0].price = 1 |
		.contracts[1].price = 0'
	echo "$M2" | jq -c '.closed = true | .active = false | .contracts[0].price = 0 |
		.contracts[1].price = 1'
} >"$TMP/twice.ndjson"
TWICE="$NEAR"' (.variants | map([.variant, .markets]) == [["v",3],["w",2]]) and
	(.paired | .markets == 2 and (.variants | map([.variant, .markets]) == [["v",3],["w",2]]) and
	 (.variants[0] | near(.brier; 0.07) and near(.skill; 1 - 0.21 / 0.66)) and
	 (.variants[1] | near(.brier; 0.125) and near(.skill; 1 - 0.25 / 0.41)) and
	 (.reference | .markets == 2 and near(.brier; 0.205)))'

test_expect_success 'a market scored twice by one variant counts twice, as in its line' '
	pm-store --db w.db <"$TMP/twice.ndjson" >/dev/null 2>&1 &&
	run pm-summary --score --db w.db --json && expect_status 0 &&
	jq -e "$TWICE" out >/dev/null
'

# A market every variant scored but whose prices the experiment did not
# see (q2's contracts had none): it counts in the variants' paired means,
# not in the reference's, and skill compares each variant with the
# reference on the markets with prices only (q1, seen at 0.7, resolved
# Yes like q2).
#   u  q1 0.9  q2 0.6: Brier (0.01 + 0.16) / 2 = 0.085, skill 1 - 0.01 / 0.09
#   v  q1 0.8  q2 0.9:       (0.04 + 0.01) / 2 = 0.025, skill 1 - 0.04 / 0.09
{
	rec_run_start r1 daily
	grp q1 0.7 0.3 u=0.9 v=0.8
	grp q2 null null u=0.6 v=0.9
	rec_run_start r2 static
	for m in q1 q2; do mkt $m 1 0 true; done
} >"$TMP/noref.ndjson"
NOREF="$NEAR"' .paired | .markets == 2 and
	(.variants | map([.variant, .markets]) == [["u",2],["v",2]]) and
	(.variants[0] | near(.brier; 0.085) and
	 near(.log_loss; (-(0.9|log) - (0.6|log)) / 2) and
	 near(.skill; 1 - 0.01 / 0.09)) and
	(.variants[1] | near(.brier; 0.025) and
	 near(.log_loss; (-(0.8|log) - (0.9|log)) / 2) and
	 near(.skill; 1 - 0.04 / 0.09)) and
	(.reference | .markets == 1 and near(.brier; 0.09) and
	 near(.log_loss; -(0.7|log)))'

test_expect_success 'a market without prices seen: in the paired means, not the reference' '
	pm-store --db n.db <"$TMP/noref.ndjson" >/dev/null 2>&1 &&
	run pm-summary --score --db n.db --json && expect_status 0 &&
	jq -e "$NOREF" out >/dev/null &&
	run pm-summary --score --db n.db && expect_status 0 &&
	test_grep "^paired: the 2 market(s) every variant scored, 1 with market prices$" out &&
	test_grep "^  s:u (forecast) *2 *0.0850 .* 0.0900 *0.3567 *0.889$" out
'

pg_start
# every case on PostgreSQL: the report SQLite gives, to the last digit
test_expect_success 'PostgreSQL: the same reports as SQLite' '
	pg_ready && gappy "$(pg_newdb gappy)" && mv json pg.json && mv text pg.text &&
	gappy g.db && test_cmp pg.json json && test_cmp pg.text text &&
	for c in three apart noref twice; do
		url=$(pg_newdb "$c") &&
		pm-store --db "$url" <"$TMP/$c.ndjson" >/dev/null 2>&1 &&
		pm-store --db "$c.db" <"$TMP/$c.ndjson" >/dev/null 2>&1 &&
		pm-summary --score --db "$url" --json >pg.json &&
		pm-summary --score --db "$c.db" --json >lite.json &&
		test_cmp lite.json pg.json &&
		pm-summary --score --db "$url" >pg.text &&
		pm-summary --score --db "$c.db" >lite.text &&
		test_cmp lite.text pg.text || return 1
	done &&
	jq -e "$TWICE" pg.json >/dev/null
'
test_done
