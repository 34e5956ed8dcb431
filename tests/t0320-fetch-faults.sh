#!/bin/bash
# pm-fetch under faults: 429s, 500s, Retry-After, truncated bodies, dropped
# connections, a looping cursor, budgets.  Every record still comes exactly
# once; what cannot be fetched is a failure record and exit 1.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

# A fast retry schedule: the tests are about correctness, not patience.
# shellcheck disable=SC2034 # used in the case bodies
FAST="--backoff 5 --attempts 10 --rate markets=100000/10"

ms() { date +%s%3N; }

fake_start big --markets 5000 --only-synthetic

test_expect_success 'every 5th request a 429, every 7th a 500: still 5,000, each once' '
	fake_reset && fake_control "{\"every_429\":5,\"every_5xx\":7}" &&
	test_when_finished fake_control "{\"every_429\":0,\"every_5xx\":0}" &&
	# shellcheck disable=SC2086
	run pm-fetch markets --partitions 8 $FAST && expect_status 0 &&
	test_line_count out 5000 && test_count raw out 5000 &&
	jq -r .payload.id out | sort -u | wc -l | test_grep -x 5000 &&
	test_num "$(fake_stats .injected[\"429\"])" -gt 5 &&
	test_num "$(fake_stats .injected[\"5xx\"])" -gt 3
'

fake_start small --markets 1000 --only-synthetic

test_expect_success 'Retry-After: 0 is honoured without a busy loop' '
	fake_reset && fake_control "{\"every_429\":2,\"retry_after\":0}" &&
	test_when_finished fake_control "{\"every_429\":0}" &&
	run pm-fetch markets --partitions 1 --backoff 20 --attempts 10 \
	    --rate markets=100000/10 && expect_status 0 &&
	test_count raw out 1000 &&
	# 10 pages, every other answer a 429: about 20 requests, not thousands
	test_num "$(fake_stats .requests)" -le 22
'

test_expect_success 'Retry-After: 1 pauses the endpoint for a second' '
	fake_reset && fake_control "{\"every_429\":2,\"retry_after\":1}" &&
	test_when_finished fake_control "{\"every_429\":0,\"retry_after\":0}" &&
	t0=$(ms) &&
	run pm-fetch markets --limit 200 --partitions 1 --backoff 5 &&
	t1=$(ms) && expect_status 0 && test_count raw out 200 &&
	test_num $((t1 - t0)) -ge 1000 "ms taken"
'

test_expect_success 'a 429 without Retry-After pauses the endpoint for its backoff' '
	# Four cursors, 1,000 markets in pages of 20; every 6th request a
	# 429 with no Retry-After.  A backoff of 1 s waits 0.5 to 1 s: from
	# 0.2 s to 0.45 s after a 429 no cursor may ask (the one that got
	# it did not, nor may the others, which would meet 429s too).
	fake_reset &&
	fake_control "{\"every_429\":6,\"retry_after\":-1,\"latency_ms\":10,\"quiet_ms\":[200,450]}" &&
	test_when_finished fake_control "{\"every_429\":0,\"retry_after\":0,\"latency_ms\":0,\"quiet_ms\":null}" &&
	run pm-fetch markets --page-size 20 --partitions 4 --backoff 1000 \
	    --attempts 10 --rate markets=100000/10 && expect_status 0 &&
	test_count raw out 1000 &&
	test_num "$(fake_stats .injected[\"429\"])" -ge 4 &&
	test_num "$(fake_stats .in_quiet)" -eq 0 "requests 0.2-0.45 s after a 429"
'

test_expect_success 'bodies cut short (Content-Length not met) are fetched again' '
	fake_reset && fake_control "{\"every_truncate\":3,\"truncate_mode\":\"cut\"}" &&
	test_when_finished fake_control "{\"every_truncate\":0}" &&
	# shellcheck disable=SC2086
	run pm-fetch markets --partitions 4 $FAST && expect_status 0 &&
	test_count raw out 1000 &&
	jq -r .payload.id out | sort -u | wc -l | test_grep -x 1000 &&
	test_num "$(fake_stats .injected.truncated)" -gt 2
'

test_expect_success 'bodies cut short behind a matching Content-Length (not JSON) too' '
	fake_reset &&
	fake_control "{\"every_truncate\":3,\"truncate_mode\":\"json\",\"gzip\":false}" &&
	test_when_finished fake_control "{\"every_truncate\":0,\"truncate_mode\":\"cut\",\"gzip\":true}" &&
	# shellcheck disable=SC2086
	run pm-fetch markets --partitions 4 $FAST && expect_status 0 &&
	test_count raw out 1000 &&
	jq -r .payload.id out | sort -u | wc -l | test_grep -x 1000 &&
	test_num "$(fake_stats .injected.truncated)" -gt 2
'

test_expect_success 'every 200 body cut short: exit 3 (no whole answer); a whole non-JSON one: exit 1' '
	fake_reset && fake_control "{\"every_truncate\":1,\"truncate_mode\":\"cut\"}" &&
	test_when_finished fake_control "{\"every_truncate\":0,\"truncate_mode\":\"cut\",\"gzip\":true}" &&
	run pm-fetch markets --partitions 1 --attempts 2 --backoff 5 &&
	expect_status 3 && test_count raw out 0 && test_count failure out 1 &&
	jq_all "select(.kind==\"failure\") | .retriable and
		(.detail|test(\"after 2 attempts\$\"))" out &&
	fake_control "{\"truncate_mode\":\"json\",\"gzip\":false}" &&
	run pm-fetch markets --partitions 1 --attempts 2 --backoff 5 &&
	expect_status 1 && test_count raw out 0 &&
	jq_all "select(.kind==\"failure\") | .retriable and
		(.detail|test(\"not JSON.*after 2 attempts\$\"))" out &&
	sed -n "/^\.Sh EXIT STATUS/,/^\.It 4/p" "$TOP/man/pm-fetch.1" |
		test_grep "no request got a whole HTTP answer"
'

test_expect_success 'dropped connections are retried' '
	fake_reset && fake_control "{\"every_drop\":3}" &&
	test_when_finished fake_control "{\"every_drop\":0}" &&
	# shellcheck disable=SC2086
	run pm-fetch markets --partitions 4 $FAST && expect_status 0 &&
	test_count raw out 1000 &&
	jq -r .payload.id out | sort -u | wc -l | test_grep -x 1000 &&
	test_num "$(fake_stats .injected.dropped)" -gt 2
'

test_expect_success 'all faults at once, events too' '
	fake_reset &&
	fake_control "{\"every_429\":5,\"every_5xx\":7,\"every_drop\":11,\"every_truncate\":13}" &&
	test_when_finished fake_control "{\"every_429\":0,\"every_5xx\":0,\"every_drop\":0,\"every_truncate\":0}" &&
	# shellcheck disable=SC2086
	run pm-fetch markets --partitions 8 --closed any $FAST && expect_status 0 &&
	test_count raw out 1000 &&
	jq -r .payload.id out | sort -u | wc -l | test_grep -x 1000
'

test_expect_success 'a page that keeps failing: a failure record, the rest written, exit 1' '
	fake_reset && fake_control "{\"every_5xx\":1}" &&
	test_when_finished fake_control "{\"every_5xx\":0}" &&
	run pm-fetch markets --partitions 1 --attempts 3 --backoff 5 && expect_status 1 &&
	test_line_count out 1 &&
	jq_all "select(.kind==\"failure\") | .stage==\"fetch\" and .reason==\"fetch_failed\" and
		.retriable and .detail==\"HTTP 500 after 3 attempts\" and
		(.url|startswith(\"$FAKE_URL/markets/keyset?\"))" out &&
	test_grep "^pm-fetch: $FAKE_URL/markets/keyset: HTTP 500 after 3 attempts$" err &&
	test_num "$(fake_stats .requests)" -eq 3
'

# A next_cursor of another type (an API that changed it) ended the
# listing after its first page as if it were the last: exit 0, the rest
# of the markets left out without a word.
test_expect_success 'a next_cursor that is not a string: a failure, not the end' '
	fake_reset && fake_control "{\"cursor\":\"number\"}" &&
	test_when_finished fake_control "{\"cursor\":\"offset\"}" &&
	run pm-fetch markets --partitions 1 --page-size 100 && expect_status 1 &&
	test_count raw out 100 && test_count failure out 1 &&
	jq_all "select(.kind==\"failure\") | .retriable and
		.detail==\"next_cursor is not a string: the pages after this one cannot be asked for\"" out &&
	test_grep "^pm-fetch: $FAKE_URL/markets/keyset: next_cursor is not a string" err
'

test_expect_success 'a failing partition does not lose what the others fetched' '
	fake_reset && fake_control "{\"stuck_cursor\":3}" &&
	test_when_finished fake_control "{\"stuck_cursor\":0}" &&
	run pm-fetch markets --partitions 2 --rate markets=100000/10 && expect_status 1 &&
	test_count failure out -ge 2 &&
	# three pages each at least; a partition left alone is halved (gamma.h)
	test_count raw out -ge 600 &&
	n=$(jq -r "select(.kind==\"raw\") | .payload.id" out | sort -u | wc -l) &&
	test_count raw out -eq "$n" &&
	test_grep "next_cursor repeats a cursor already followed" err &&
	jq_all "select(.kind==\"failure\") | .retriable == false" out
'

test_expect_success 'a timeout is retried, then a retriable failure (exit 3: no answer)' '
	fake_reset && fake_control "{\"latency_ms\":1500}" &&
	test_when_finished fake_control "{\"latency_ms\":0}" &&
	run pm-fetch markets --limit 5 --timeout 1 --attempts 2 --backoff 5 &&
	expect_status 3 &&
	jq_all "select(.kind==\"failure\") | .retriable and (.detail|test(\"timed out.*after 2 attempts\"))" out
'

fake_start budget --markets 1200 --only-synthetic --budget markets=50/1 --latency 20

test_expect_success 'within the server s budget: zero 429s, and the limiter sets the pace' '
	fake_reset && t0=$(ms) &&
	run pm-fetch markets --partitions 6 --page-size 10 --rate markets=50/1 &&
	t1=$(ms) &&
	expect_status 0 && test_count raw out 1200 &&
	test_num "$(fake_stats ".budget_429.markets // 0")" -eq 0 &&
	test_num "$(fake_stats ".status[\"429\"] // 0")" -eq 0 &&
	n=$(fake_stats .requests) &&
	test_num "$n" -ge 120 &&
	# a burst of 1.5, then 48 a second: n requests take at least this
	test_num $((t1 - t0)) -ge $(( (n - 2) * 1000 / 49 )) "ms taken"
'

test_expect_success 'over the server s budget: its 429s are retried, nothing lost' '
	fake_reset &&
	run pm-fetch markets --partitions 6 --page-size 10 --rate markets=1000/1 \
	    --backoff 50 --attempts 20 &&
	expect_status 0 && test_count raw out 1200 &&
	jq -r .payload.id out | sort -u | wc -l | test_grep -x 1200 &&
	test_num "$(fake_stats ".budget_429.markets // 0")" -gt 0
'
test_done
