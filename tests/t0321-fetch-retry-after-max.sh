#!/bin/bash
# pm-fetch never waits longer than --retry-after-max (default 60 s) for a
# Retry-After: a server asking for 27 hours gets the maximum, and the
# failure record says what it asked for, however long that is.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

ms() { date +%s%3N; }

fake_start ra --markets 50 --only-synthetic

test_expect_success 'Retry-After: 100000 is cut to --retry-after-max; the failure says so' '
	fake_control "{\"every_429\":1,\"retry_after\":100000}" &&
	t0=$(ms) &&
	run timeout 60 pm-fetch markets --limit 10 --partitions 1 --backoff 5 \
	    --attempts 3 --retry-after-max 1 &&
	t1=$(ms) && expect_status 1 &&
	test $((t1 - t0)) -ge 2000 && test $((t1 - t0)) -lt 30000 &&
	test "$(count_kind failure out)" -eq 1 &&
	jq -r "select(.kind == \"failure\") | .detail" out >detail &&
	grep -q "HTTP 429 after 3 attempts (the server asked to wait 100000 s; waits are cut to 1 s)" detail &&
	grep -q "asked to wait 100000 s" err
'

# 1e300 seconds: no clock reaches it, and no long holds it in
# milliseconds; a server that asks for it has asked for the longest wait
test_expect_success 'Retry-After: 1e+300 is the longest wait asked for, not none' '
	fake_control "{\"every_429\":1,\"retry_after\":1e300}" &&
	run timeout 60 pm-fetch markets --limit 10 --partitions 1 --backoff 5 \
	    --attempts 2 --retry-after-max 1 && expect_status 1 &&
	jq -r "select(.kind == \"failure\") | .detail" out >detail &&
	grep -q "HTTP 429 after 2 attempts (the server asked to wait 3162240000 s; waits are cut to 1 s)" detail
'

# what a server might send instead of seconds: each is a wait of some
# length or none, the run ends within the maximum, and says why
test_expect_success 'Retry-After that is no number of seconds: the run ends, and says why' '
	for ra in -5 nan inf 1e999 0x10 99999999999999999999999999 "" "1, 2" \
	    "Fri, 31 Dec 9999 23:59:59 GMT" "Thu, 01 Jan 1970 00:00:00 GMT" \
	    "$(printf "%0200d" 7)"; do
		fake_control "{\"every_429\":1,\"retry_after\":\"$ra\"}" >/dev/null &&
		run timeout 60 pm-fetch markets --limit 10 --partitions 1 --backoff 5 \
		    --attempts 2 --retry-after-max 1 && expect_status 1 &&
		test_grep -v "runtime error" err &&
		jq -r "select(.kind == \"failure\") | .detail" out | test_grep "^HTTP 429 after 2 attempts" ||
		{ echo "Retry-After: $ra" >&2; return 1; }
	done
'

# a date is on the server's clock: one an hour ahead of ours asking
# for a second was taken as an hour (cut to the maximum, the whole
# endpoint paused that long, the failure saying 3601 s were asked for)
test_expect_success 'Retry-After as a date counts from the server'"'"'s Date' '
	at=$(date -u -d "@$(($(date +%s) + 3601))" "+%a, %d %b %Y %H:%M:%S GMT") &&
	fake_control "{\"every_429\":1,\"clock_skew\":3600,\"retry_after\":\"$at\"}" &&
	run timeout 50 pm-fetch markets --limit 10 --partitions 1 --backoff 5 \
	    --attempts 2 --retry-after-max 100 && expect_status 1 &&
	jq -r "select(.kind == \"failure\") | .detail" out >detail &&
	test_grep "^HTTP 429 after 2 attempts$" detail &&
	fake_control "{\"clock_skew\":0}"
'

# the pause goes through the shared state file: another process that
# allows a longer wait (a backfill by hand) made a cron run with the
# default wait as long, up to a day
test_expect_success 'another process'"'"'s pause waits no longer than this one'"'"'s --retry-after-max' '
	fake_control "{\"every_429\":1,\"retry_after\":300}" &&
	{ timeout 4 pm-fetch markets --limit 10 --partitions 1 --attempts 2 \
	    --retry-after-max 600 >/dev/null 2>&1 || :; } &&
	fake_control "{\"every_429\":0}" &&
	t0=$(ms) &&
	run timeout 40 pm-fetch markets --limit 10 --partitions 1 \
	    --retry-after-max 2 &&
	t1=$(ms) && expect_status 0 && test_line_count out 10 &&
	test $((t1 - t0)) -lt 20000
'

test_expect_success 'the default maximum is 60 s, documented' '
	run pm-fetch --help && grep -q -- "--retry-after-max SEC" out &&
	grep -qF "Fl \-retry\-after\-max Ar seconds" "$TOP/man/pm-fetch.1" &&
	grep -A1 -F "Fl \-retry\-after\-max Ar seconds" "$TOP/man/pm-fetch.1" | grep -q "(default 60)"
'

test_expect_success 'a bad maximum is a usage error' '
	run pm-fetch markets --retry-after-max -1 && expect_status 2
'

test_done
