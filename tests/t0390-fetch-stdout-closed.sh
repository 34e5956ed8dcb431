#!/bin/bash
# pm-fetch whose reader goes away (pm-fetch ... | head -1): it stops
# asking, rather than page the whole listing or every trade of a market
# into a closed pipe (the shell waits for it all that time, and the
# user's shared budget pays), and ends quietly with status 3 (the output
# could not be written, pm-fetch(1) EXIT STATUS).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

# pm-fetch ARGS... | head -1: its status in ./rc, its stderr in ./err
head1() {
	{ pm-fetch "$@" 2>err; echo $? >rc; } | head -1 >first
}

fake_start list --markets 5000 --only-synthetic

for parts in 1 8; do
	test_expect_success "markets --partitions $parts | head -1: a few pages, not all" '
		fake_reset &&
		head1 markets --partitions '"$parts"' --page-size 10 \
		    --rate markets=100000/10 &&
		test_eq 3 "$(cat rc)" "status" && test_line_count err 0 &&
		jq -e ".kind == \"raw\"" first >/dev/null &&
		# a full listing is 500 pages; a page of ten is 30 kB and a
		# flush 256 kB: the pipe is found closed within a few dozen
		test_num "$(fake_stats .requests)" -lt 100 "requests"
	'
done

# prices keep a few hundred requests queued ahead (input is unbounded):
# those went out, and their answers were dropped, after the reader went
test_expect_success 'prices --endpoint book | head -1: the queued requests are not sent' '
	pm-fetch markets --rate markets=100000/10 2>/dev/null |
	    pm-normalize -R >many.ndjson &&
	test_count market many.ndjson 5000 &&
	fake_reset &&
	head1 prices --endpoint book --rate book=100000/10 many.ndjson &&
	test_eq 3 "$(cat rc)" "status" && test_line_count err 0 &&
	jq -e ".kind == \"market\" or .kind == \"raw\"" first >/dev/null &&
	# 10,000 books; a flush is a few dozen of them, and 256 were queued
	test_num "$(fake_stats .requests)" -lt 100 "requests"
'

fake_start trades --markets 1 --only-synthetic --trades 5000 \
    --trades-page-cap 1000
pm-fetch markets 2>/dev/null | pm-normalize -R >"$TMP/one.ndjson"

test_expect_success 'trades of a market | head -1: a few pages, not all' '
	test_count market "$TMP/one.ndjson" 1 &&
	fake_reset &&
	head1 trades --taker-only false --page-size 100 \
	    --rate trades=100000/10 "$TMP/one.ndjson" &&
	test_eq 3 "$(cat rc)" "status" && test_line_count err 0 &&
	jq -e ".kind == \"market\"" first >/dev/null &&
	# 5,000 trades are 50 pages of 100
	test_num "$(fake_stats .requests)" -lt 20 "requests"
'

test_expect_success 'the whole output read: the same runs fetch everything' '
	fake_reset &&
	run pm-fetch trades --taker-only false --page-size 100 \
	    --rate trades=100000/10 "$TMP/one.ndjson" &&
	expect_status 0 && test_num "$(fake_stats .requests)" -ge 50 "requests"
'

# Run with standard output closed (cron's >&-): the first file or socket
# opened took descriptor 1, and the records went into it (curl's own
# socket, the API's connection), "write error: Resource temporarily
# unavailable".  Now said, and nothing is asked.  Not under valgrind
# (make valgrind): its log file is the descriptor 1 pm-fetch finds.
test_expect_success 'standard output closed: said, status 3, nothing asked' '
	fake_reset &&
	if head -c 2 "$(command -v pm-fetch)" | grep -q "#!"; then
		return 0
	fi &&
	for cmd in markets "trades $TMP/one.ndjson"; do
		# shellcheck disable=SC2086
		pm-fetch $cmd --end-record >&- 2>err
		echo $? >rc &&
		test_eq 3 "$(cat rc)" "status" &&
		test_grep -x "pm-fetch: standard output is closed" err &&
		test_line_count err 1 || return 1
	done &&
	test_eq 0 "$(fake_stats .requests)" "requests"
'

test_done
