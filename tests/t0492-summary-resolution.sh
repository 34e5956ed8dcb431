#!/bin/bash
# Resolutions: pm-normalize reads how a closed market resolved from what
# Gamma says (closed, umaResolutionStatus, final outcomePrices, closedTime),
# pm-store keeps it in markets (resolution, resolved_outcome, resolved_at),
# and pm-summary --score scores against it: a 50/50 resolution at 0.5.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/score-data.sh"

gm() { gamma_market "$@"; }

gamma() {
	{ gm m1 e1 true resolved 1 0; gm m2 e1 true "" 0 1;
	  gm m3 e2 false "" 0.55 0.45; gm m4 e2 true resolved 0.5 0.5;
	  gm m5 e2 true proposed 1 0; } | pm-normalize -R
}

test_expect_success 'closed markets: their resolution and its time; the rest null' '
	gamma >m.ndjson &&
	jq -r "[.market_id, .resolution, .resolved_outcome, .resolved_at] | map(. // \"-\") | @tsv" m.ndjson >got &&
	printf "%s\t%s\t%s\t%s\n" m1 outcome Yes 2026-11-25T10:00:00Z \
	    m2 outcome No 2026-11-25T10:00:00Z m3 - - - \
	    m4 split - 2026-11-25T10:00:00Z m5 - - - >want &&
	test_cmp want got
'

test_expect_success 'closed sent as a string ("true") resolves as the boolean does' '
	{ gm m1 e1 true resolved 1 0; gm m4 e2 true resolved 0.5 0.5;
	  gm m3 e2 false "" 0 1; } | jq -c ".closed |= tostring" >s.json &&
	test_grep -F "\"closed\":\"true\"" s.json &&
	pm-normalize -R s.json >m.ndjson &&
	jq -r "[.market_id, .closed, .resolution, .resolved_outcome] |
	    map(if . == null then \"-\" else tostring end) | @tsv" m.ndjson >got &&
	printf "%s\t%s\t%s\t%s\n" m1 true outcome Yes m4 true split - \
	    m3 false - - >want &&
	test_cmp want got
'

test_expect_success 'market columns: 24 h and 1 week volume, spread, one-day change' '
	gamma >m.ndjson &&
	jq -c "select(.market_id == \"m1\") | [.volume_24h, .volume_1wk, .spread, .one_day_price_change]" m.ndjson >got &&
	echo "[12.5,80.25,0.01,-0.02]" >want && test_cmp want got &&
	pm-store --db a.db m.ndjson >/dev/null 2>&1 &&
	sqlite3 a.db "SELECT market_id, volume_24h, volume_1wk, spread, one_day_price_change,
		COALESCE(resolution, '\''-'\''), COALESCE(resolved_outcome, '\''-'\'')
		FROM markets ORDER BY market_id" >got &&
	test_grep -x "m1|12.5|80.25|0.01|-0.02|outcome|Yes" got &&
	test_grep -x "m4|12.5|80.25|0.01|-0.02|split|-" got &&
	test_grep -x "m5|12.5|80.25|0.01|-0.02|-|-" got
'

test_expect_success '--score: the stored resolutions, a 50/50 scored at 0.5' '
	{ cat "$TMP/forecasts.ndjson"; rec_run_start r2 static; gamma; } |
		pm-store --db d.db >/dev/null 2>&1 &&
	run pm-summary --score --db d.db --json && expect_status 0 &&
	jq -e "$NEAR .variants | map({(.variant): .}) | add |
		(.market | .markets == 3 and .pending == 1 and
			near(.brier; (0.16 + 0.09 + 0.09) / 3) and
			near(.log_loss; (-(0.6|log) - (0.7|log) -
				0.5 * (0.2|log) - 0.5 * (0.8|log)) / 3)) and
		(.llm | .markets == 3 and near(.brier; (0.04 + 0.01 + 0.01) / 3))" out >/dev/null
'

test_expect_success '--score trusts the stored resolution over the prices' '
	{ cat "$TMP/forecasts.ndjson"; rec_run_start r2 static;
	  mk m1 e1 true 0.4 0.6 | jq -c ". + {resolution: \"outcome\",
		resolved_outcome: \"Yes\", resolved_at: \"2026-11-25T10:00:00Z\"}"; } |
		pm-store --db s.db >/dev/null 2>&1 &&
	run pm-summary --score --db s.db --json && expect_status 0 &&
	jq -e "$NEAR .variants | map({(.variant): .}) | add |
		(.market | .markets == 1 and near(.brier; 0.16))" out >/dev/null
'

test_done
