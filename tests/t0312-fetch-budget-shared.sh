#!/bin/bash
# Two pm-fetch at once (the static and delta flows under cron) share one
# budget per API through the state file: together they stay under it.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

# 20 requests a second at the server, and as the limiter's budget
fake_start budget --markets 600 --only-synthetic --budget markets=20/1 \
    --latency 10

# two STATE1 STATE2: two listings of the 600 at once, 60 pages each
two() {
	PM_STATE_DIR=$1 pm-fetch markets --closed false --page-size 10 \
	    --rate markets=20/1 --backoff 50 --attempts 30 >a 2>aerr &
	PM_STATE_DIR=$2 pm-fetch markets --closed false --page-size 10 \
	    --rate markets=20/1 --backoff 50 --attempts 30 >b 2>berr
	sb=$?
	wait $! && test_eq 0 "$sb" &&
	test_line_count a 600 && test_line_count b 600 &&
	test ! -s aerr && test ! -s berr
}

test_expect_success 'one state directory: both listings whole, not one request over budget' '
	fake_reset && two "$TMP/shared" "$TMP/shared" &&
	test_num "$(fake_stats ".budget_429.markets // 0")" -eq 0 &&
	test_num "$(fake_stats ".status[\"429\"] // 0")" -eq 0 &&
	test_num "$(fake_stats ".endpoints[\"markets/keyset\"]")" -ge 120 &&
	test -f "$TMP/shared/budget-127.0.0.1-$FAKE_PORT"
'

test_expect_success 'the state file: the user s, mode 0600, in a 0700 directory' '
	test_eq 600 "$(stat -c %a "$TMP/shared/budget-127.0.0.1-$FAKE_PORT")" &&
	test_eq "$(id -u)" "$(stat -c %u "$TMP/shared/budget-127.0.0.1-$FAKE_PORT")" &&
	mkdir -p "$TMP/fresh" && rm -rf "$TMP/fresh/pm" &&
	PM_STATE_DIR="$TMP/fresh/pm" pm-fetch markets --limit 1 >/dev/null &&
	test_eq 700 "$(stat -c %a "$TMP/fresh/pm")"
'

# Without sharing each runs at the whole budget: the same test fails.
test_expect_success 'a state directory each: together over budget, the server refuses some' '
	fake_reset && two "$TMP/one" "$TMP/two" &&
	test_num "$(fake_stats ".budget_429.markets // 0")" -gt 0
'

test_expect_success 'HOME/.cache/pm when PM_STATE_DIR is not set, XDG_RUNTIME_DIR or not' '
	mkdir -p "$TMP/xdg" "$TMP/home" &&
	(unset PM_STATE_DIR; XDG_RUNTIME_DIR=$TMP/xdg HOME=$TMP/home \
	    pm-fetch markets --limit 1 >/dev/null) &&
	test -f "$TMP/home/.cache/pm/budget-127.0.0.1-$FAKE_PORT" &&
	not test -e "$TMP/xdg/pm" &&
	rm -r "$TMP/home/.cache" &&
	(unset PM_STATE_DIR XDG_RUNTIME_DIR; HOME=$TMP/home pm-fetch markets --limit 1 >/dev/null) &&
	test -f "$TMP/home/.cache/pm/budget-127.0.0.1-$FAKE_PORT"
'

# A login session has XDG_RUNTIME_DIR, cron has not: a flow started by
# hand while cron's runs is the user's too, and shares its budget.
test_expect_success 'a session with XDG_RUNTIME_DIR and cron without: one budget' '
	fake_reset &&
	(unset PM_STATE_DIR; HOME=$TMP/home XDG_RUNTIME_DIR=$TMP/xdg \
	    pm-fetch markets --closed false --page-size 10 --rate markets=20/1 \
	    --backoff 50 --attempts 30 >a 2>aerr) &
	(unset PM_STATE_DIR XDG_RUNTIME_DIR; HOME=$TMP/home \
	    pm-fetch markets --closed false --page-size 10 --rate markets=20/1 \
	    --backoff 50 --attempts 30 >b 2>berr)
	sb=$?
	wait $! && test_eq 0 "$sb" &&
	test_line_count a 600 && test_line_count b 600 &&
	test ! -s aerr && test ! -s berr &&
	test_num "$(fake_stats ".budget_429.markets // 0")" -eq 0
'

test_done
