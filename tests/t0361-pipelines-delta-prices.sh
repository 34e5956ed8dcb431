#!/bin/bash
# Prices into silver: each contract carries the best bid, best ask and
# midpoint of its latest CLOB observation; the delta flow fetches prices
# for the markets it updated; an older observation changes nothing.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/pg.sh"

P=$TOP/pipelines.sh
fake_start pm --markets 40 --only-synthetic
flow() { run "$P" "$@" --env-file /dev/null; }
DB=$TMP/pm.db
q() { sqlite3 "$DB" "$1"; }

test_expect_success 'static: every contract carries its quote' '
	flow static --db "$DB" --no-dump && expect_status 0 &&
	test_eq 0 "$(q "SELECT count(*) FROM contracts WHERE token_id IS NOT NULL AND
		(best_bid IS NULL OR best_ask IS NULL OR quoted_at IS NULL)")" &&
	test_eq 0 "$(q "SELECT count(*) FROM contracts WHERE abs(midpoint - (best_bid + best_ask) / 2) > 1e-9")" &&
	q "SELECT c.token_id, c.best_bid, p.price FROM contracts c JOIN price_history p
		ON p.token_id = c.token_id AND p.side = '\''buy'\'' AND p.ts = c.quoted_at
		WHERE c.best_bid <> p.price" >diff && test_line_count diff 0
'

test_expect_success 'delta: the updated markets'\'' prices fetched, their quotes newer' '
	q "SELECT market_id, quoted_at FROM contracts ORDER BY 1, 2" >before &&
	fake_touch 10 >touched && test_line_count touched 4 &&
	sleep 1 &&
	flow delta --db "$DB" --overlap 0 --no-dump && expect_status 0 &&
	q "SELECT market_id, quoted_at FROM contracts ORDER BY 1, 2" >after &&
	diff before after | grep "^>" | cut -d" " -f2 | cut -d"|" -f1 | sort -u >moved &&
	sort touched >want && test_cmp want moved &&
	test_eq 4 "$(q "SELECT count(DISTINCT market_id) FROM price_history WHERE run_id =
		(SELECT run_id FROM processing_runs WHERE flow = '\''delta'\'')")"
'

test_expect_success 'an older observation changes nothing' '
	tok=$(q "SELECT token_id FROM contracts WHERE token_id IS NOT NULL LIMIT 1") &&
	q "SELECT best_bid, best_ask, midpoint, quoted_at FROM contracts WHERE token_id = '\''$tok'\''" >before &&
	echo "{\"kind\":\"price\",\"token_id\":\"$tok\",\"side\":\"buy\",\"price\":0.001,\"ts\":\"2020-01-01T00:00:00.000Z\"}" >old.ndjson &&
	run pm-store --db "$DB" old.ndjson && expect_status 0 &&
	q "SELECT best_bid, best_ask, midpoint, quoted_at FROM contracts WHERE token_id = '\''$tok'\''" >after &&
	test_cmp before after &&
	echo "{\"kind\":\"price\",\"token_id\":\"$tok\",\"side\":\"buy\",\"price\":0.25,\"ts\":\"2099-01-01T00:00:00.000Z\"}
{\"kind\":\"price\",\"token_id\":\"$tok\",\"side\":\"sell\",\"price\":0.35,\"ts\":\"2099-01-01T00:00:00.000Z\"}" >new.ndjson &&
	run pm-store --db "$DB" new.ndjson && expect_status 0 &&
	test_eq "0.25|0.35|0.3|2099-01-01T00:00:00.000Z" "$(q "SELECT best_bid, best_ask, round(midpoint, 6), quoted_at FROM contracts WHERE token_id = '\''$tok'\''")"
'

pg_start
test_expect_success 'PostgreSQL: the same quotes' '
	pg_ready && url=$(pg_newdb quotes) &&
	pm-fetch markets 2>/dev/null | pm-normalize | pm-fetch prices |
		pm-normalize --only prices >in.ndjson &&
	run pm-store --db "$url" in.ndjson && expect_status 0 &&
	psql -X -A -t "$url" -c "SELECT count(*) FROM contracts WHERE token_id IS NOT NULL AND
		(best_bid IS NULL OR best_ask IS NULL OR midpoint IS NULL)" | test_grep -x 0 &&
	psql -X -A -t "$url" -c "SELECT count(*) FROM contracts WHERE best_bid IS NOT NULL" >n &&
	test_num "$(cat n)" -ge 80
'

test_done
