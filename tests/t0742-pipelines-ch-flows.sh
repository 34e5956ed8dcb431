#!/bin/bash
# pm-pipelines(7) --db: the trades flow and prune take a ClickHouse URL
# too (the page listed static, delta, events, prices and replay only;
# t0481 runs those): trades recorded completed, a run again adds no
# trade, prune removes payload versions as on the other engines; score
# through pipelines.sh is refused, exit 2.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/ch.sh"

ch_start flows || { say "$CH_ERR"; exit 1; }
fake_start pm --markets 40 --events 4
trap 'ch_stop_all; fake_stop_all; rm -rf "$TMP"' EXIT
P=$TOP/pipelines.sh
flow() { run "$P" "$@" --env-file /dev/null --no-dump; }
DB=${CH_URL%/*}/f1
q() { ch_query "$1"; }

test_expect_success 'trades on ClickHouse: completed, again adds nothing' '
	q "CREATE DATABASE f1" &&
	flow static --db "$DB" && expect_status 0 &&
	flow trades --db "$DB" && expect_status 0 &&
	test_grep "^run .*: flow trades, .*status completed$" err &&
	n=$(q "SELECT count() FROM f1.trades FINAL") && test_num "$n" -gt 0 &&
	flow trades --db "$DB" --where ".closed == false" && expect_status 0 &&
	test_eq "$n" "$(q "SELECT count() FROM f1.trades FINAL")" &&
	q "SELECT flow, status FROM f1.processing_runs FINAL
		ORDER BY started_at FORMAT TSV" >runs &&
	printf "%s\tcompleted\n" static trades trades >want && test_cmp want runs
'
test_expect_success 'prune on ClickHouse; score refused' '
	flow prune --keep-days 0 --db "$DB" --dry-run && expect_status 0 &&
	flow prune --keep-days 0 --db "$DB" && expect_status 0 &&
	test_grep "^pm-store: [0-9]* raw payload versions fetched before" err &&
	flow score --db "$DB" && expect_status 2 &&
	test_grep "not available on ClickHouse" err
'
test_done
