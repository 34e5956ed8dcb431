#!/bin/bash
# pm-fetch: options are checked before anything is fetched; misuse is 2.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

test_expect_success '--help is the synopsis on stdout, --version the version' '
	run pm-fetch --help && expect_status 0 &&
	grep -q "^usage: pm-fetch markets|events" out && test ! -s err &&
	run pm-fetch markets -h && expect_status 0 && grep -q usage: out &&
	run pm-fetch --version && expect_status 0 && grep -q "^pm-fetch [0-9]" out
'

test_expect_success 'a missing or unknown command is a usage error' '
	run pm-fetch && expect_status 2 && grep -q "a command is needed" err &&
	run pm-fetch listings && expect_status 2 &&
	grep -q "^pm-fetch: listings: unknown command" err && test ! -s out
'

test_expect_success 'bad option values are usage errors naming the option' '
	for args in "--bogus" "--closed maybe" "--active=yes" "--page-size 0" \
	    "--page-size 101" "--limit abc" "--limit 0" "--partitions 0" \
	    "--window-days 367" "--end-date-min yesterday" "--updated-since x" \
	    "--tag nine" "--id 12a" "--pagination pages" "-j 0" "--attempts 0" \
	    "--rate markets" "--rate nosuch=5/1" "--rate markets=0/10" \
	    "--timeout 0" "--backoff -1" "--target-date 2030-02-30" \
	    "--target-date 20300101"; do
		# shellcheck disable=SC2086
		run pm-fetch markets $args && expect_status 2 && test ! -s out &&
		grep -q "^pm-fetch: " err || { echo "args: $args"; return 1; }
	done
'

test_expect_success 'a past target date is refused' '
	run pm-fetch markets --target-date 2020-01-01 && expect_status 2 &&
	grep -q "2020-01-01 is in the past" err
'

test_expect_success 'target date and explicit end dates exclude each other' '
	run pm-fetch markets --target-date 2099-01-01 --end-date-min 2099-01-01T00:00:00Z &&
	expect_status 2 && grep -q "exclude" err
'

test_expect_success 'options of another command are mistakes' '
	run pm-fetch prices --tag 5 </dev/null && expect_status 2 &&
	run pm-fetch markets --batch 5 && expect_status 2 &&
	run pm-fetch prices --interval 1d </dev/null && expect_status 2 &&
	run pm-fetch history --endpoint book </dev/null && expect_status 2 &&
	run pm-fetch prices --side BUY </dev/null && expect_status 2 &&
	grep -q "endpoint price only" err &&
	run pm-fetch prices --endpoint price --side buy </dev/null && expect_status 2 &&
	run pm-fetch markets somefile && expect_status 2 &&
	grep -q "reads no input" err
'

test_expect_success 'base URLs must be http(s) and carry no credentials' '
	run pm-fetch markets --gamma-url ftp://example.org && expect_status 2 &&
	run pm-fetch markets --gamma-url http://user:secret@127.0.0.1:9 &&
	expect_status 2 && not grep -q secret err &&
	PM_CLOB_URL=http://a:b@127.0.0.1:9 run pm-fetch prices </dev/null &&
	expect_status 2
'

test_expect_success 'an API that cannot be reached is exit 3, with a failure record' '
	run pm-fetch markets --gamma-url http://127.0.0.1:9 --attempts 2 --backoff 1 &&
	expect_status 3 && test "$(count_kind failure out)" -eq 1 &&
	jq_all "select(.kind==\"failure\") | .reason == \"fetch_failed\" and .retriable and
		(.url | startswith(\"http://127.0.0.1:9/markets/keyset?\"))" out &&
	grep -q "after 2 attempts" err
'
test_done
