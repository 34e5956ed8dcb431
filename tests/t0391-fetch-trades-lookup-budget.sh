#!/bin/bash
# pm-fetch trades looks up on Gamma the markets of trades it was not
# given (GET /markets?condition_ids=): those requests count against the
# /markets budget that every pm-fetch of the user shares, so a trades run
# beside a listing (the trades and static flows under cron) stays under
# it with the listing.  Before, the lookups' budget was the process's
# own, and the two together went over it.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

# a wallet of the recorded trades: it trades in every cloned market
USER_ADDR=0xbefa95c276ee8ef6ff3ef43d1c1c454f52bc300d
fake_start lookup --markets 300 --budget markets=4/1

test_expect_success 'a listing and a trades run'"'"'s lookups at once: together under the budget' '
	PM_STATE_DIR=$TMP/state pm-fetch markets --closed any --page-size 5 \
	    --rate markets=4/1 --backoff 50 --attempts 30 >list 2>list.err &
	lp=$! &&
	PM_STATE_DIR=$TMP/state pm-fetch trades --user $USER_ADDR \
	    --taker-only false --rate markets=4/1 --rate trades=100000/10 \
	    --backoff 50 --attempts 30 </dev/null >trades 2>trades.err &&
	wait $lp &&
	test ! -s list.err && test ! -s trades.err &&
	# the lookups ran while the listing did
	jq -r "select(.kind == \"raw\" and .endpoint == \"markets\" and
	    (.url | test(\"condition_ids\"))) | .url" trades | sort -u >looked &&
	test_line_count looked -gt 10 &&
	test_num "$(fake_stats ".budget_429.markets // 0")" -eq 0 &&
	test_num "$(fake_stats ".status[\"429\"] // 0")" -eq 0
'

test_done
