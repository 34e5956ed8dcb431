#!/bin/bash
# pm-summary --score on small forecast sets whose every number was worked
# out by hand (in the comments, the arithmetic in jq): stored prices and
# lead times read to the last digit, the same report from SQLite and from
# PostgreSQL whatever the database's locale, calibration buckets at their
# edges, a market's probability given as a number, forecasts that are
# not of the market's outcomes counted, not dropped, and probabilities not
# summing to 1 scored divided by their sum.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"

# mkt ID CLOSED PRICES [OUTCOMES] [FIELD...]: a market of event e-ID
# closing 2026-11-30T12:00Z; PRICES and OUTCOMES JSON arrays (Yes/No)
mkt() {
	local id=$1 closed=$2 prices=$3 names=${4:-'["Yes","No"]'}
	shift 3; [ $# -gt 0 ] && shift
	rec_market "$id" event_id="e$id" close_time=2026-11-30T12:00:00Z \
		active:="$([ "$closed" = true ] && echo false || echo true)" \
		closed:="$closed" resolution_status:=null tags:='[]' \
		contracts:="$(jq -cn --arg id "$id" --argjson p "$prices" --argjson n "$names" \
			'[range($n | length) as $i | {outcome: $n[$i],
			  token_id: "\($id)\($i)", price: $p[$i]}]')" "$@"
}
# res VARIANT PROBABILITIES [LEAD]: an ok result of s:forecast:VARIANT
# started 2026-11-23T12:00Z (7 days before the close: [6, 8))
res() {
	rec_result "$1" "$2" | jq -c --argjson l "${3:-null}" \
		'.started_at = "2026-11-23T12:00:00Z" | if $l then .lead = $l else . end'
}
# grp KEY MARKET RESULT...: a group of one market and these results
grp() {
	local key=$1 m=$2
	shift 2
	rec_group "$key" null "$m" | jq -c --slurpfile r <(printf '%s\n' "$@") '.results = $r'
}
NEAR='def near(a; b): ((a - b) | if . < 0 then -. else . end) < 1e-9;'

# Prices and lead times as stored, to the last digit: m1 seen at 1/3 and
# 2/3 (0.3333333333333333, 0.6666666666666667), forecast Yes 0.8 with a
# stored lead of 23.99999999999999 h: [0, 1), not [1, 3).  SQLite gives
# a REAL as text with 15 digits (24, 0.333333333333333): read as such,
# the forecast went to [1, 3) and the reference differed from
# PostgreSQL's in its last digits.  m1 resolved Yes:
#   Brier ((0.8-1)^2 + 0.2^2)/2 = 0.04, log loss -ln 0.8
#   reference ((1/3-1)^2 + (2/3)^2)/2 = 4/9, -ln(1/3); skill 1 - 0.04*9/4 = 0.91
{
	rec_run_start r1 daily
	grp event:e1 "$(mkt m1 false '[0.3333333333333333,0.6666666666666667]')" \
		"$(res v '{"m1":{"Yes":0.8,"No":0.2}}' \
			'{"m1":{"close_time":"2026-11-30T12:00:00Z","lead_h":23.99999999999999}}')"
	rec_run_start r2 static
	mkt m1 true '[1,0]'
} >"$TMP/digits.ndjson"
DIGITS="$NEAR"' .variants[0] | .markets == 1 and near(.brier; 0.04) and
	near(.log_loss; -(0.8|log)) and near(.reference.brier; 4/9) and
	near(.reference.log_loss; 3|log) and near(.skill; 0.91) and
	(.lead_days | map(.markets) == [1,0,0,0,0]) and .lead_unknown == 0'

test_expect_success 'SQLite: stored prices and lead times read to the last digit' '
	pm-store --db d.db <"$TMP/digits.ndjson" >/dev/null 2>&1 &&
	run pm-summary --score --db d.db --json && expect_status 0 &&
	jq -e "$DIGITS" out >/dev/null
'

# Byte order on every engine: variants B, a, _x and n of no suite (null:
# as "", first on SQLite, last in PostgreSQL's order; bytes: n B _x a; an
# en-US collation: _x a B), and v's forecasts of three events whose Brier
# sum depends on its order.  Each market resolved Yes:
#   event:B p 0.9 -> 0.01, event:C p 0.6 -> 0.16, event:a p 0.9 -> 0.01
#   (0.01 + 0.16) + 0.01 = 0.18000000000000005 in byte order,
#   (0.01 + 0.01) + 0.16 = 0.18000000000000002 in en-US's
{
	rec_run_start r1 daily
	grp event:e0 "$(mkt m0 false '[0.5,0.5]')" \
		"$(res B '{"m0":{"Yes":0.8,"No":0.2}}')" \
		"$(res a '{"m0":{"Yes":0.6,"No":0.4}}')" \
		"$(res _x '{"m0":{"Yes":0.7,"No":0.3}}')" \
		"$(res n '{"m0":{"Yes":0.5,"No":0.5}}' | jq -c '.suite = null')"
	grp event:B "$(mkt mB false '[0.5,0.5]')" "$(res v '{"mB":{"Yes":0.9,"No":0.1}}')"
	grp event:C "$(mkt mC false '[0.5,0.5]')" "$(res v '{"mC":{"Yes":0.6,"No":0.4}}')"
	grp event:a "$(mkt ma false '[0.5,0.5]')" "$(res v '{"ma":{"Yes":0.9,"No":0.1}}')"
	rec_run_start r2 static
	for m in m0 mB mC ma; do mkt $m true '[1,0]'; done
} >"$TMP/order.ndjson"
ORDER="$NEAR"' (.variants | map(.variant) == ["n","B","_x","a","v"]) and
	(.variants[4] | .markets == 3 and near(.brier; 0.18 / 3))'

test_expect_success 'SQLite: variants in byte order' '
	pm-store --db o.db <"$TMP/order.ndjson" >/dev/null 2>&1 &&
	run pm-summary --score --db o.db --json && expect_status 0 &&
	jq -e "$ORDER" out >/dev/null
'

# Calibration buckets hold what their edges say: of 50 buckets 0.58 is in
# [0.58, 0.60) (0.58 * 50 is 28.999...), 0.57 in [0.56, 0.58), 0.42 and
# 0.43 in [0.42, 0.44); of 100, 0.57 in [0.57, 0.58) and 0.58 in [0.58,
# 0.59) (0.57 * 100 is 56.999...); 0 in the first, 1 in the last.
{
	rec_run_start r1 daily
	grp event:e2 "$(mkt m2 false '[0.5,0.5]')" "$(res v '{"m2":{"Yes":0.58,"No":0.42}}')"
	grp event:e3 "$(mkt m3 false '[0.5,0.5]')" "$(res v '{"m3":{"Yes":0.57,"No":0.43}}')"
	grp event:e4 "$(mkt m4 false '[0.5,0.5]')" "$(res v '{"m4":{"Yes":1,"No":0}}')"
	rec_run_start r2 static
	for m in m2 m3 m4; do mkt $m true '[1,0]'; done
} >"$TMP/edges.ndjson"

test_expect_success 'calibration: a forecast on a bucket edge is in the bucket that starts there' '
	pm-store --db e.db <"$TMP/edges.ndjson" >/dev/null 2>&1 &&
	run pm-summary --score --db e.db --json --buckets 50 && expect_status 0 &&
	jq -c ".variants[0].calibration[] | select(.n > 0) | [.lo, .n]" out >got &&
	printf "%s\n" "[0,1]" "[0.42,2]" "[0.56,1]" "[0.58,1]" "[0.98,1]" >want &&
	test_cmp want got &&
	run pm-summary --score --db e.db --json --buckets 100 && expect_status 0 &&
	jq -c ".variants[0].calibration[] | select(.n > 0) | [.lo, .n]" out >got &&
	printf "%s\n" "[0,1]" "[0.42,1]" "[0.43,1]" "[0.57,1]" "[0.58,1]" "[0.99,1]" >want &&
	test_cmp want got &&
	run pm-summary --score --db e.db --buckets 50 && expect_status 0 &&
	test_grep "^    \[0.58, 0.60) n 1, forecast 0.580, observed 1.000$" out
'

# Of more than 100 buckets the text gives edges to 3 decimals: of 200,
# 0.58 is in [0.580, 0.585), which 2 decimals made [0.58, 0.58).
test_expect_success 'the text report: the edges of more than 100 buckets apart' '
	pm-store --db e.db <"$TMP/edges.ndjson" >/dev/null 2>&1 &&
	run pm-summary --score --db e.db --buckets 200 && expect_status 0 &&
	test_grep "^    \[0.580, 0.585) n 1, forecast 0.580, observed 1.000$" out &&
	test_grep "^    \[0.995, 1.000\] n 1, forecast 1.000, observed 1.000$" out
'

# A number for a market is its first outcome's probability, as
# pm-experiment(1) reads one (pm-store keeps it): m5 (Yes/No) 0.3, No won:
# Brier (0.3^2 + 0.3^2)/2 = 0.09, -ln 0.7; m6 (A/B/C) 0.5, the rest
# shared, 0.25 each, resolved C: Brier (0.25 + 0.0625 + 0.5625)/3 =
# 0.2916..., -ln 0.25.  Means: Brier (0.09 + 0.875/3)/2, log loss
# (-ln 0.7 - ln 0.25)/2.
{
	rec_run_start r1 daily
	grp event:e5 "$(mkt m5 false '[0.5,0.5]')" "$(res v '{"m5":0.3}')"
	grp event:e6 "$(mkt m6 false '[0.2,0.3,0.5]' '["A","B","C"]')" "$(res v '{"m6":0.5}')"
	rec_run_start r2 static
	mkt m5 true '[0,1]'
	mkt m6 true '[0,0,1]' '["A","B","C"]' resolution=outcome resolved_outcome=C \
		resolved_at=2026-12-01T00:00:00Z
} >"$TMP/number.ndjson"

test_expect_success 'a number for a market is its first outcome'"'"'s probability' '
	pm-store --db n.db <"$TMP/number.ndjson" >/dev/null 2>&1 &&
	run pm-summary --score --db n.db --json && expect_status 0 &&
	jq -e "$NEAR .variants[0] | .markets == 2 and has(\"invalid\") == false and
		near(.brier; (0.09 + 0.875 / 3) / 2) and
		near(.log_loss; (-(0.7|log) - (0.25|log)) / 2)" out >/dev/null
'

# Names: m7's forecast gives "yes" 0.9 before "Yes" 0.2: the exact name
# wins, Yes 0.2 (Yes won: Brier 0.64, -ln 0.2); m8's names "YES " (a space
# after) and m9's "Maybe", which are none of their markets' outcomes:
# invalid, m8 resolved and m9 not yet (never pending: it cannot be
# scored).  Before, m8 was left out without a word and m9 was pending.
{
	rec_run_start r1 daily
	rec_group event:e7 null "$(mkt m7 false '[0.5,0.5]')" "$(mkt m8 false '[0.5,0.5]')" \
		"$(mkt m9 false '[0.5,0.5]')" |
		jq -c --argjson r "$(res v '{"m7":{"yes":0.9,"Yes":0.2},"m8":{"YES ":0.9},
			"m9":{"Yes":0.6,"Maybe":0.4}}')" '.results = [$r]'
	rec_run_start r2 static
	mkt m7 true '[1,0]'
	mkt m8 true '[1,0]'
} >"$TMP/names.ndjson"

test_expect_success 'a forecast of outcomes the market does not have is invalid, resolved or not' '
	pm-store --db c.db <"$TMP/names.ndjson" >/dev/null 2>&1 &&
	run pm-summary --score --db c.db --json && expect_status 0 &&
	jq -e "$NEAR .variants[0] | .markets == 1 and .invalid == 2 and .pending == 0 and
		near(.brier; 0.64) and near(.log_loss; -(0.2|log))" out >/dev/null &&
	run pm-summary --score --db c.db && expect_status 0 &&
	test_grep "^  not probabilities from 0 to 1 of the market'"'"'s outcomes, not scored: 2 market(s)$" out
'

# Named twice, in JSON pm-store keeps as it came: m10 by the forecast (0.9
# then 0.2) and m11's Yes (0.9 then 0.2) are which?  Each is one invalid
# market; m12 (Yes 0.7, won: Brier 0.09, -ln 0.7) is scored.  Before, m10
# was scored twice, two markets, and m11 at its first Yes.  So is m17's
# Yes, named "yes" 0.9 and "YES" 0.2, never exactly (before: 0.9, the
# first).
{
	rec_run_start r1 daily
	rec_group event:e10 null "$(mkt m10 false '[0.5,0.5]')" "$(mkt m11 false '[0.5,0.5]')" \
		"$(mkt m12 false '[0.5,0.5]')" "$(mkt m17 false '[0.5,0.5]')" |
		jq -c --argjson r "$(res v '{"m10":"A","m11":"B","m12":{"Yes":0.7,"No":0.3},
			"m17":{"yes":0.9,"YES":0.2}}')" \
			'.results = [$r]' |
		sed 's/"m10":"A"/"m10":{"Yes":0.9,"No":0.1},"m10":{"Yes":0.2,"No":0.8}/
			s/"m11":"B"/"m11":{"Yes":0.9,"Yes":0.2}/'
	rec_run_start r2 static
	for m in m10 m11 m12 m17; do mkt $m true '[1,0]'; done
} >"$TMP/twice.ndjson"

test_expect_success 'a market or an outcome named twice (or in two cases) in a forecast is invalid, never scored twice' '
	pm-store --db t.db <"$TMP/twice.ndjson" >/dev/null 2>&1 &&
	test "$(sqlite3 t.db "SELECT count(*) FROM experiment_results
		WHERE probabilities LIKE '"'"'%\"m10\":{%\"m10\":{%'"'"'")" = 1 &&
	run pm-summary --score --db t.db --json && expect_status 0 &&
	jq -e "$NEAR .variants[0] | .markets == 1 and .invalid == 3 and .pending == 0 and
		.forecasts == 1 and near(.brier; 0.09) and near(.log_loss; -(0.7|log))" out >/dev/null
'

# Probabilities that do not sum to 1 are divided by their sum, as the
# reference's prices are: m13 {Yes: 1, No: 1}, Yes won: 0.5 each, Brier
# 0.25, ln 2 (as given: log loss 0, the best there is, for saying
# nothing); m14 A 0.5, B 0.4, C 0.3 (1.2), C won: 5/12, 1/3, 1/4, Brier
# ((5/12)^2 + (1/3)^2 + (3/4)^2)/3, -ln 0.25; m15 all 0: invalid; m16
# 0.1 + 0.2 + 0.7 (1 but for rounding), C won: as given, not counted,
# Brier (0.01 + 0.04 + 0.09)/3, -ln 0.7.
{
	rec_run_start r1 daily
	rec_group event:e13 null "$(mkt m13 false '[0.5,0.5]')" \
		"$(mkt m14 false '[0.3,0.3,0.4]' '["A","B","C"]')" "$(mkt m15 false '[0.5,0.5]')" \
		"$(mkt m16 false '[0.3,0.3,0.4]' '["A","B","C"]')" |
		jq -c --argjson r "$(res v '{"m13":{"Yes":1,"No":1},"m14":{"A":0.5,"B":0.4,"C":0.3},
			"m15":{"Yes":0,"No":0},"m16":{"A":0.1,"B":0.2,"C":0.7}}')" '.results = [$r]'
	rec_run_start r2 static
	mkt m13 true '[1,0]'
	mkt m15 true '[1,0]'
	for m in m14 m16; do
		mkt $m true '[0,0,1]' '["A","B","C"]' resolution=outcome resolved_outcome=C \
			resolved_at=2026-12-01T00:00:00Z
	done
} >"$TMP/sums.ndjson"

test_expect_success 'probabilities not summing to 1 are scored divided by their sum, and counted' '
	pm-store --db s.db <"$TMP/sums.ndjson" >/dev/null 2>&1 &&
	run pm-summary --score --db s.db --json && expect_status 0 &&
	jq -e "$NEAR .variants[0] | .markets == 3 and .invalid == 1 and .normalized == 2 and
		near(.brier; (0.25 + ((5/12)*(5/12) + 1/9 + 0.5625) / 3 + 0.14 / 3) / 3) and
		near(.log_loss; ((2|log) - (0.25|log) - (0.7|log)) / 3)" out >/dev/null &&
	run pm-summary --score --db s.db && expect_status 0 &&
	test_grep "^  not summing to 1, scored divided by their sum: 2 market(s)$" out &&
	pm-store --db n.db <"$TMP/number.ndjson" >/dev/null 2>&1 &&
	run pm-summary --score --db n.db --json && expect_status 0 &&
	jq -e ".variants[0] | has(\"normalized\") == false" out >/dev/null
'

pg_start
test_expect_success 'PostgreSQL: the same digits, the same report as SQLite' '
	pg_ready && url=$(pg_newdb digits) &&
	pm-store --db "$url" <"$TMP/digits.ndjson" >/dev/null 2>&1 &&
	pm-store --db d.db <"$TMP/digits.ndjson" >/dev/null 2>&1 &&
	run pm-summary --score --db "$url" --json && expect_status 0 &&
	jq -e "$DIGITS" out >/dev/null && mv out pg &&
	run pm-summary --score --db d.db --json && expect_status 0 &&
	test_cmp pg out
'

# A database made with an en-US collation (ICU, as a server's default
# locale often is): the report is the one SQLite gives, byte for byte.
test_expect_success 'PostgreSQL in an en-US locale: variants and sums in byte order, as on SQLite' '
	pg_ready &&
	url=$(pg_enus_db enus) &&
	pm-store --db "$url" <"$TMP/order.ndjson" >/dev/null 2>&1 &&
	test "$(psql -X -A -t -q "$url" -c "SELECT string_agg(v, '"'"' '"'"' ORDER BY v)
		FROM (VALUES ('"'"'B'"'"'), ('"'"'a'"'"')) t(v)")" = "a B" &&
	run pm-summary --score --db "$url" --json && expect_status 0 &&
	jq -e "$ORDER" out >/dev/null && mv out pg &&
	pm-store --db o.db <"$TMP/order.ndjson" >/dev/null 2>&1 &&
	run pm-summary --score --db o.db --json && expect_status 0 &&
	test_cmp pg out &&
	run pm-summary --score --db "$url" && expect_status 0 && mv out pg &&
	run pm-summary --score --db o.db && expect_status 0 &&
	test_cmp pg out
'
test_done
