#!/bin/bash
# pm-fetch: options are checked before anything is fetched; misuse is 2.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

test_expect_success '--help is the synopsis on stdout, --version the version' '
	run pm-fetch --help && expect_status 0 &&
	test_grep "^usage: pm-fetch markets|events" out && test ! -s err &&
	run pm-fetch markets -h && expect_status 0 && test_grep usage: out &&
	run pm-fetch --version && expect_status 0 && test_grep "^pm-fetch [0-9]" out
'

# As the other tools': each option of the synopsis on a line of its own
# that says what it does (bash completion reads the options from it too).
test_expect_success '--help describes every option of its synopsis' '
	run pm-fetch --help && expect_status 0 &&
	sed -n "/^usage:/,/^markets, events:/p" out |
		grep -o -- "--[a-z][a-z-]*" | sort -u >opts &&
	test_line_count opts -gt 40 &&
	grep "^  *-" out >described &&
	while read -r o; do
		grep -q -- "$o\([^a-z-]\|\$\)" described ||
		{ echo "not described: $o"; return 1; }
	done <opts
'

test_expect_success 'a missing or unknown command is a usage error' '
	run pm-fetch && expect_status 2 && test_grep "a command is needed" err &&
	run pm-fetch listings && expect_status 2 &&
	test_grep "^pm-fetch: listings: unknown command" err && test ! -s out
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
		test_grep "^pm-fetch: " err || { echo "args: $args"; return 1; }
	done
'

test_expect_success '--rate with a blank in it: exit 2, as its other malformed values' '
	for v in "markets= 10" "markets=10/ 5" "markets=	10" "markets=10 " \
	    "markets =10"; do
		run pm-fetch markets --rate "$v" && expect_status 2 &&
		test ! -s out && test_grep "^pm-fetch: --rate: " err ||
		{ echo "value: $v"; return 1; }
	done &&
	run pm-fetch markets --rate "markets=10/5" --help && expect_status 0
'

test_expect_success '--rate: every budget name the refusal lists is taken' '
	run pm-fetch markets --rate nosuch=5 && expect_status 2 &&
	names=$(sed -n "s/.*NAME one of //p" err | tr -d " " | tr , " ") &&
	test_grep trades err &&
	for n in $names; do
		run pm-fetch trades --rate "$n=5/1" --help && expect_status 0 ||
		{ echo "name: $n"; return 1; }
	done
'

test_expect_success 'a past target date is refused' '
	run pm-fetch markets --target-date 2020-01-01 && expect_status 2 &&
	test_grep "2020-01-01 is in the past" err
'

test_expect_success 'target date and explicit end dates exclude each other' '
	run pm-fetch markets --target-date 2099-01-01 --end-date-min 2099-01-01T00:00:00Z &&
	expect_status 2 && test_grep "exclude" err
'

test_expect_success 'an end-date range that ends before it begins is refused, nothing asked' '
	run pm-fetch markets --end-date-min 2026-12-01T00:00:00+02:00 \
	    --end-date-max 2026-11-01T00:00:00Z &&
	expect_status 2 && not test -s out &&
	test_grep "^pm-fetch: --end-date-max 2026-11-01T00:00:00Z is before --end-date-min 2026-11-30T22:00:00Z$" err &&
	run pm-fetch events --pagination offset --end-date-min 2026-11-01T00:00:00.001Z \
	    --end-date-max 2026-11-01T00:00:00Z && expect_status 2 &&
	# one instant is a range: asked (here of a closed port, exit 3)
	run pm-fetch markets --end-date-min 2026-11-01T00:00:00Z \
	    --end-date-max 2026-11-01T00:00:00Z --attempts 1 &&
	expect_status 3 && not test_grep "is before" err
'

test_expect_success 'options of another command are mistakes' '
	run pm-fetch prices --tag 5 </dev/null && expect_status 2 &&
	run pm-fetch markets --batch 5 && expect_status 2 &&
	run pm-fetch prices --interval 1d </dev/null && expect_status 2 &&
	run pm-fetch history --endpoint book </dev/null && expect_status 2 &&
	run pm-fetch prices --side BUY </dev/null && expect_status 2 &&
	test_grep "endpoint price only" err &&
	run pm-fetch prices --endpoint price --side buy </dev/null && expect_status 2 &&
	run pm-fetch markets somefile && expect_status 2 &&
	test_grep "reads no input" err
'

# it goes in the URL and in every record's request: a byte of another
# charset made each record one pm-normalize and pm-store refused
test_expect_success 'an --interval that is not letters and digits is refused, nothing fetched' '
	echo "{\"kind\":\"market\",\"market_id\":\"1\",\"contracts\":[{\"outcome\":\"Yes\",\"token_id\":\"7\"}]}" >mk &&
	for i in "$(printf "1d\377")" "" "1 d" "1d&x=1" "$(printf "x%016d" 0)"; do
		run pm-fetch history --clob-url http://127.0.0.1:9 --interval "$i" mk &&
		expect_status 2 && test ! -s out &&
		test_grep "is not 1 to 16 letters and digits" err || return 1
	done
'

test_expect_success 'base URLs must be http(s) and carry no credentials' '
	run pm-fetch markets --gamma-url ftp://example.org && expect_status 2 &&
	run pm-fetch markets --gamma-url http://user:secret@127.0.0.1:9 &&
	expect_status 2 && test_grep -v secret err &&
	PM_CLOB_URL=http://a:b@127.0.0.1:9 run pm-fetch prices </dev/null &&
	expect_status 2
'

test_expect_success 'a base URL libcurl cannot use is a usage error, nothing asked' '
	for u in http:// https:/// "http://127.0.0.1:9 " "http:// 127.0.0.1:9" \
	    http://127.0.0.1:99999 http://127.0.0.1:9:80 "http://127.0.0.1:9
x"; do
		run pm-fetch markets --gamma-url "$u" --attempts 1 &&
		expect_status 2 && test ! -s out &&
		test_grep "^pm-fetch: --gamma-url: .*not a URL libcurl can use" err &&
		PM_CLOB_URL=$u run pm-fetch prices --attempts 1 </dev/null &&
		expect_status 2 && test ! -s out &&
		test_grep "^pm-fetch: PM_CLOB_URL: .*not a URL libcurl can use" err ||
		return 1
	done &&
	run pm-fetch markets --gamma-url http://127.0.0.1:9/api/ --attempts 1 \
	    --partitions 1 &&
	expect_status 3 &&
	test_grep "^pm-fetch: http://127.0.0.1:9/api/markets/keyset: " err
'

test_expect_success 'a refused base URL does not show its password or its query' '
	for u in htps://user:secret@127.0.0.1:9 user:secret@127.0.0.1:9 \
	    "http://127.0.0.1:9/?key=secret" "ftp://127.0.0.1:9/?key=secret"; do
		run pm-fetch markets --gamma-url "$u" && expect_status 2 &&
		test_grep -v secret err &&
		PM_DATA_URL=$u run pm-fetch trades </dev/null &&
		expect_status 2 && test_grep -v secret err || return 1
	done
'

test_expect_success 'an API that cannot be reached is exit 3, with a failure record' '
	run pm-fetch markets --gamma-url http://127.0.0.1:9 --partitions 1 --attempts 2 --backoff 1 &&
	expect_status 3 && test_count failure out 1 &&
	jq_all "select(.kind==\"failure\") | .reason == \"fetch_failed\" and .retriable and
		(.url | startswith(\"http://127.0.0.1:9/markets/keyset?\"))" out &&
	test_grep "^pm-fetch: http://127.0.0.1:9/markets/keyset: .* after 2 attempts$" err
'
test_expect_success 'a base URL with a query or a fragment is refused, nothing fetched' '
	PM_GAMMA_URL="http://127.0.0.1:9/x#frag" run pm-fetch markets &&
	expect_status 2 && test ! -s out &&
	grep -q "PM_GAMMA_URL: .*: a base URL has no query or fragment" err &&
	run pm-fetch history --clob-url "http://127.0.0.1:9/?a=1" </dev/null &&
	expect_status 2 && grep -q -- "--clob-url: .*no query or fragment" err
'
test_done
