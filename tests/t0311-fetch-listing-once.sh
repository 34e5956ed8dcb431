#!/bin/bash
# pm-fetch markets|events over an open range: end-date partitions listed
# in end-date order, the open ends reading what has no end date, long
# partitions halved while they run.  Every active object exactly once,
# the same set as the server's, markets without an end date included.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

PM_STATE_DIR=$TMP/state
export PM_STATE_DIR
FAST="--rate markets=100000/10 --rate events=100000/10"

# ids_equal FILE KIND: the raw records' ids are the server's open ones,
# each once
ids_equal() {
	jq -r .payload.id "$1" | sort >got &&
	curl -sf "$FAKE_URL/_ids" | jq -r ".$2[]" | sort >want &&
	test_cmp want got
}

fake_start spread --markets 3000 --only-synthetic --no-end-every 50 \
    --event-size 4 --closed-every 7 --log "$TMP/spread.log"

test_expect_success 'markets: every open one once, the 60 without an end date too' '
	: >"$TMP/spread.log" &&
	# shellcheck disable=SC2086
	run pm-fetch markets --closed false --page-size 50 $FAST &&
	expect_status 0 && test ! -s err &&
	ids_equal out markets &&
	test_num "$(jq -r "select(.payload.endDate == null) | .payload.id" out | wc -l)" -eq 51 &&
	# eight partitions, the open ends in end-date order
	test_grep "order=endDate&ascending=false" "$TMP/spread.log" &&
	test_grep "order=endDate&ascending=true" "$TMP/spread.log"
'

test_expect_success 'events: every open one once, those without an end date too' '
	# shellcheck disable=SC2086
	run pm-fetch events --closed false --page-size 20 $FAST &&
	expect_status 0 && test ! -s err &&
	ids_equal out events &&
	test_num "$(jq -r "select(.payload.endDate == null) | .payload.id" out | wc -l)" -gt 0
'

test_expect_success 'a bounded range excludes what has no end date, as the API does' '
	# shellcheck disable=SC2086
	run pm-fetch markets --closed false --end-date-min 2000-01-01T00:00:00Z \
	    --end-date-max 2100-01-01T00:00:00Z $FAST && expect_status 0 &&
	test_num "$(jq -r "select(.payload.endDate == null)" out | wc -l)" -eq 0 &&
	jq -r .payload.id out | sort -u | wc -l | test_grep -x 2520
'

test_expect_success 'a range bounded on one side excludes what has no end date, as with --partitions 1' '
	for b in "--end-date-min 2000-01-01T00:00:00Z" "--end-date-max 2100-01-01T00:00:00Z"; do
		# shellcheck disable=SC2086
		run pm-fetch markets --closed false $b --partitions 1 $FAST &&
		expect_status 0 && jq -r .payload.id out | sort >one &&
		# shellcheck disable=SC2086
		run pm-fetch markets --closed false $b $FAST && expect_status 0 &&
		jq -r .payload.id out | sort >eight &&
		test_cmp one eight && test_line_count out 2520 || return 1
	done
'

test_expect_success '--closed any: all 3,000 once' '
	# shellcheck disable=SC2086
	run pm-fetch markets --closed any --page-size 50 $FAST && expect_status 0 &&
	jq -r .payload.id out | sort -u | wc -l | test_grep -x 3000 &&
	test_line_count out 3000
'

test_expect_success 'offset paging over an open range: those without an end date too' '
	: >"$TMP/spread.log" &&
	# shellcheck disable=SC2086
	run pm-fetch markets --closed false --pagination offset --page-size 100 \
	    $FAST && expect_status 0 && test ! -s err &&
	ids_equal out markets &&
	test_num "$(jq -r "select(.payload.endDate == null) | .payload.id" out | wc -l)" -eq 51 &&
	test_grep "order=endDate&ascending=false" "$TMP/spread.log" &&
	# shellcheck disable=SC2086
	run pm-fetch events --closed false --pagination offset --page-size 100 \
	    $FAST && expect_status 0 && test ! -s err &&
	ids_equal out events
'

# All 3,000 close within three days: the first partition holds them all,
# and is halved while it runs until the cursors are enough.
fake_start skew --markets 3000 --only-synthetic --no-end-every 50 \
    --spread-days 3 --log "$TMP/skew.log"

test_expect_success 'skewed end dates: the long partition is halved, nothing lost or doubled' '
	: >"$TMP/skew.log" &&
	# shellcheck disable=SC2086
	run pm-fetch markets --closed false --page-size 20 $FAST &&
	expect_status 0 && test ! -s err &&
	ids_equal out markets && test_line_count out 3000 &&
	# halves are new cursors with both bounds, begun mid-listing
	n=$(grep -v after_cursor= "$TMP/skew.log" | grep -c "end_date_min=.*end_date_max=") &&
	test_num "$n" -gt 6 "first pages of bounded partitions"
'

test_expect_success '--partitions 1: one cursor by id, no order, everything' '
	: >"$TMP/skew.log" &&
	# shellcheck disable=SC2086
	run pm-fetch markets --closed false --partitions 1 --page-size 100 $FAST &&
	expect_status 0 && ids_equal out markets &&
	test_grep -v "order=" "$TMP/skew.log" &&
	test_num "$(wc -l <"$TMP/skew.log")" -eq 30
'

# An API that ignores order=endDate: no partition may stop on what it
# takes for the end of its range.
fake_start noorder --markets 1000 --only-synthetic --no-end-every 50 \
    --ignore-order

test_expect_success 'listed out of end-date order: every market still once, and a warning' '
	# shellcheck disable=SC2086
	run pm-fetch markets --closed false --page-size 50 $FAST &&
	expect_status 0 && ids_equal out markets && test_line_count out 1000 &&
	test_grep "not in end-date order: each partition lists all of its cursor" err &&
	test_num "$(grep -c "not in end-date order" err)" -eq 1
'

# The published listing budgets enforced: /markets, /events and both.
fake_start published --markets 1500 --only-synthetic --no-end-every 50 \
    --event-size 3 --published-budgets

test_expect_success 'the pm-fetch(1) example: markets and events at once, within every budget' '
	pm-fetch events > events.ndjson &
	pm-fetch markets > markets.ndjson; wait $! &&
	ids_equal markets.ndjson markets && ids_equal events.ndjson events &&
	test_num "$(jq -r "select(.payload.endDate == null) | .payload.id" markets.ndjson | wc -l)" -eq 30 &&
	test_num "$(fake_stats ".status[\"429\"] // 0")" -eq 0 &&
	test_num "$(fake_stats ".span.listing[2]")" -ge 20
'

test_done
