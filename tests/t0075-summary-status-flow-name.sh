#!/bin/bash
# pm-summary --status --flow NAME: a name that is no flow (a typo: price
# for prices) is a usage error, exit 2, naming the flows, before any
# database is opened, as pm-store --last-run refuses one; it was "no
# data", exit 5, at every check.  Every flow a run record may have is
# taken but replay, which has no data of its own; pipelines.sh status
# passes the 2 on.
. "$(dirname "$0")/lib.sh"
DB=$TMP/s.db
NOW=2026-12-01T12:00:00Z

test_expect_success 'setup: a static run with fresh markets' '
	{ echo "{\"kind\":\"run\",\"phase\":\"start\",\"run_id\":\"r1\",\"flow\":\"static\",\"run_date\":\"2026-12-01\",\"target_date\":null,\"window_days\":null,\"started_at\":\"2026-12-01T11:59:00Z\",\"git_sha\":\"x\",\"environment\":\"test\",\"options\":{}}" &&
	  echo "{\"kind\":\"market\",\"source\":\"polymarket\",\"market_id\":\"1\",\"question\":\"q\",\"active\":true,\"closed\":false,\"contracts\":[],\"fetched_at\":\"2026-12-01T11:59:30.000Z\"}"; } |
	    pm-store --db "$DB" >/dev/null 2>&1 &&
	run pm-summary --status --db "$DB" --flow static --now $NOW && expect_status 0
'

test_expect_success 'a name that is no flow: exit 2, the flows named, nothing opened' '
	for f in price Static "" "x'\''y"; do
		run pm-summary --status --db "$DB" --flow "$f" --now $NOW &&
		expect_status 2 && test ! -s out &&
		test_grep -x "pm-summary: --flow: not a flow: \"$f\" (daily, static, delta, events, prices, replay, retry-failures, trades)" err ||
		{ echo "flow [$f]"; return 1; }
	done &&
	run pm-summary --status --db "$TMP/none.db" --flow price && expect_status 2 &&
	test ! -e "$TMP/none.db"
'

test_expect_success 'every flow with data of its own is taken' '
	for f in daily static delta events prices retry-failures trades; do
		run pm-summary --status --db "$DB" --flow $f --now $NOW --json &&
		{ [ "$status" -eq 0 ] || [ "$status" -eq 5 ]; } &&
		jq -e ".flow == \"$f\"" out >/dev/null || { echo "flow $f: $status"; cat err; return 1; }
	done
'

# The replay flow stores the runs it replays, under their own flows: it
# has no data of its own, so --flow replay was "no data", exit 5, at
# every check, and a --notify check alerted at each change.
test_expect_success 'replay: exit 2, the flows --status checks named, nothing opened' '
	run pm-summary --status --db "$DB" --flow replay --now $NOW &&
	expect_status 2 && test ! -s out &&
	test_grep -x "pm-summary: --flow: the replay flow stores no data of its own to check (--status checks daily, static, delta, events, prices, trades, retry-failures)" err &&
	run pm-summary --status --db "$TMP/none.db" --flow replay --notify http://127.0.0.1:9/x &&
	expect_status 2 && test ! -e "$TMP/none.db" &&
	run "$TOP/pipelines.sh" status --env-file /dev/null --db "$DB" --flow replay &&
	expect_status 2 && test_grep "^pm-summary: --flow: the replay flow stores no data" err
'

test_expect_success 'pipelines.sh status --flow: the same usage error' '
	run "$TOP/pipelines.sh" status --env-file /dev/null --db "$DB" --flow price &&
	expect_status 2 && test_grep "^pm-summary: --flow: not a flow: \"price\"" err
'
test_done
