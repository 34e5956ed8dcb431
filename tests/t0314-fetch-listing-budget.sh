#!/bin/bash
# The /markets and /events listings share one more budget (900 per 10 s
# at Polymarket): a markets and an events listing at once stay under it
# together; the static flow lists both at once and writes the events
# after the markets.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

PM_STATE_DIR=$TMP/state
export PM_STATE_DIR

# 400 markets, 100 events: 40 + 10 pages of 10
fake_start listing --markets 400 --only-synthetic --event-size 4 \
    --no-end-every 50 --budget listing=20/1 --latency 5

# both ARGS...: a markets and an events listing at once
both() {
	pm-fetch events --page-size 10 --backoff 50 --attempts 30 "$@" >ev 2>everr &
	pm-fetch markets --page-size 10 --backoff 50 --attempts 30 "$@" >mk 2>mkerr
	sm=$?
	wait $! && test_eq 0 "$sm" &&
	test_line_count mk 400 && test_line_count ev 100
}

test_expect_success 'markets and events at once: the listing budget holds for both' '
	fake_reset &&
	both --rate markets=1000/1 --rate events=1000/1 --rate listing=20/1 &&
	test_num "$(fake_stats ".status[\"429\"] // 0")" -eq 0 &&
	test_num "$(fake_stats ".span.listing[2]")" -ge 50 &&
	test_num "$(fake_stats ".span.markets[2]")" -ge 40 &&
	test_num "$(fake_stats ".span.events[2]")" -ge 10
'

# A faster /markets and /events raise the listing budget to their sum:
# over the server's, which refuses some (retried, nothing lost).
test_expect_success 'without a listing budget of their own, the server refuses some' '
	fake_reset &&
	both --rate markets=1000/1 --rate events=1000/1 &&
	test_num "$(fake_stats ".budget_429.listing // 0")" -gt 0
'

test_expect_success '--rate listing=N is accepted, listing=0 is not' '
	run pm-fetch markets --limit 1 --rate listing=900/10 && expect_status 0 &&
	run pm-fetch markets --rate listing=0 && expect_status 2 &&
	test_grep "listing=0: N from 1" err
'

fake_start flow --markets 300 --events 4 --latency 20 --log "$TMP/flow.log"

test_expect_success 'pipelines.sh static: events listed during the markets, written after them' '
	run "$TOP/pipelines.sh" static --db "$TMP/pm.db" --env-file /dev/null &&
	expect_status 0 &&
	test_num "$(sqlite3 "$TMP/pm.db" "SELECT count(*) FROM events")" -ge 4 &&
	# the log: an events request before the last markets request
	first_ev=$(grep -n "GET /events/keyset" "$TMP/flow.log" | head -1 | cut -d: -f1) &&
	last_mk=$(grep -n "GET /markets/keyset" "$TMP/flow.log" | tail -1 | cut -d: -f1) &&
	test_num "$first_ev" -lt "$last_mk" "events begun before the markets ended"
'

# pm-fetch events fails, pm-fetch markets does not: the listing fails.
mkdir "$TMP/wrap" && ln -s "$PM_BIN"/* "$TMP/wrap/" && rm "$TMP/wrap/pm-fetch" &&
printf '#!/bin/sh\n[ "$1" = events ] && { echo "pm-fetch: events refused" >&2; exit 3; }\nexec "%s/pm-fetch" "$@"\n' \
    "$PM_BIN" >"$TMP/wrap/pm-fetch" && chmod +x "$TMP/wrap/pm-fetch" || exit 1

test_expect_success 'pipelines.sh static: a failed events listing fails the fetch stage' '
	PM_BIN=$TMP/wrap run "$TOP/pipelines.sh" static --db "$TMP/pm2.db" --env-file /dev/null &&
	expect_status 3 && test_grep "events refused" err &&
	test_grep "static: pm-fetch failed (status 3)" err &&
	test_num "$(sqlite3 "$TMP/pm2.db" "SELECT count(*) FROM markets")" -ge 300
'

test_done
