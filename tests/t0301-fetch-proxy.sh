#!/bin/bash
# pm-fetch and proxies: libcurl's http_proxy, https_proxy, all_proxy and
# no_proxy are honoured, 127.0.0.1 not exempt; HTTP_PROXY (upper case)
# is not.  The suite itself runs with none (lib.sh), whatever the
# environment it was started from.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

fake_start p --markets 20 --only-synthetic

test_expect_success 'the suite runs without the proxies of its environment' '
	{ env | grep -i -E "^(http|https|all)_proxy=" || :; } >proxies &&
	test_line_count proxies 0 &&
	run pm-fetch markets --limit 3 --attempts 1 && expect_status 0 &&
	test_count raw out 3
'

test_expect_success 'http_proxy is used, for 127.0.0.1 too; no_proxy exempts' '
	http_proxy=http://me:s3cret@127.0.0.1:9 run pm-fetch markets --limit 3 \
	    --attempts 1 &&
	expect_status 3 && test_count raw out 0 && test_count failure out 1 &&
	! grep s3cret out err &&
	test_grep "^pm-fetch: $FAKE_URL/markets/keyset: Failed to connect to 127.0.0.1 port 9" err &&
	http_proxy=http://127.0.0.1:9 no_proxy=127.0.0.1 run pm-fetch markets \
	    --limit 3 --attempts 1 &&
	expect_status 0 && test_count raw out 3 &&
	all_proxy=http://127.0.0.1:9 run pm-fetch markets --limit 3 \
	    --attempts 1 &&
	expect_status 3 &&
	HTTP_PROXY=http://127.0.0.1:9 run pm-fetch markets --limit 3 \
	    --attempts 1 &&
	expect_status 0 && test_count raw out 3
'
test_done
