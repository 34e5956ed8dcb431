#!/bin/bash
# pm-fetch markets while the API changes between two pages of a listing:
# the fake applies a change once a given page is made (on_page), before
# it is sent, so the next page sees it; one request at a time (-j 1)
# fixes which page that is.  A market that matched during the whole
# listing is listed exactly once; what a listing cannot see (a market
# that moved behind its cursor) the delta flow's next run lists.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

PM_STATE_DIR=$TMP/state
export PM_STATE_DIR
FAST="--rate markets=100000/10 --rate events=100000/10 -j 1 --page-size 10"

# 40 markets, ids 10000000 to 10000039, ending in id order from a month
# back to a year ahead; 8 partitions of about 5, the open low end first.
fake_start live --markets 40 --only-synthetic --log "$TMP/live.log"

# each FILE: the ids of FILE's raw records, each once
each() { jq -r .payload.id "$1" | sort | uniq -c | awk '$1 != 1 { exit 1 }'; }

# has FILE ID: FILE lists market ID
has() { jq -r .payload.id "$1" | grep -qx "$2"; }

# on_page N JSON...: keyset cursors, and the changes after the Nth
# listing page from now
on_page() {
	local n=$1
	shift
	fake_control "{\"cursor\": \"keyset\", \"on_page\": {\"after\": $n, \"do\": [$(IFS=,; echo "$*")]}}"
}

test_expect_success 'a listed market closing or deleted: nothing after it lost' '
	on_page 1 "{\"close\": \"10000003\"}" "{\"delete\": \"10000005\"}" &&
	# shellcheck disable=SC2086
	run pm-fetch markets --closed false --partitions 1 $FAST &&
	expect_status 0 && test ! -s err && each out &&
	test_num "$(fake_stats .changes)" -eq 1 &&
	# both were on the first page, listed as they were then
	test_line_count out 40 && has out 10000003 && has out 10000005
'

fake_start live2 --markets 40 --only-synthetic --log "$TMP/live.log"

test_expect_success 'an end date moved to a partition still to come: listed once' '
	: >"$TMP/live.log" &&
	# 10000000 (the open low end, listed first) moves a year ahead, into
	# the open high end, listed last: the API gives it twice
	on_page 1 "{\"end\": [\"10000000\", \"2099-01-01T00:00:00Z\"]}" &&
	# shellcheck disable=SC2086
	run pm-fetch markets --closed false $FAST &&
	expect_status 0 && test ! -s err && each out && test_line_count out 40 &&
	has out 10000000 &&
	head -n 1 "$TMP/live.log" | test_grep "closed=false&order=endDate&ascending=true&limit"
'

test_expect_success 'an end date dropped: the open high end lists it with the others without one' '
	on_page 1 "{\"end\": [\"10000020\", null]}" &&
	# shellcheck disable=SC2086
	run pm-fetch markets --closed false $FAST &&
	expect_status 0 && each out && test_line_count out 40 &&
	jq -r "select(.payload.endDate == null) | .payload.id" out | test_grep -x 10000020
'

test_expect_success 'an end date moved behind its cursor: this listing misses it, the next delta has it' '
	start=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) &&
	# 10000039 (the open high end, listed last) moves before all the
	# others, into the open low end, listed first: no cursor meets it
	on_page 1 "{\"end\": [\"10000039\", \"2000-01-01T00:00:00Z\"]}" &&
	# shellcheck disable=SC2086
	run pm-fetch markets --closed false $FAST &&
	expect_status 0 && each out && test_line_count out 39 &&
	not has out 10000039 &&
	# the delta flow from that run: its end date changed, so did
	# updatedAt (with what changed in the second before, as the Date
	# header has whole seconds: pm-fetch takes that for a skew)
	# shellcheck disable=SC2086
	run pm-fetch markets --closed any --updated-since "$start" $FAST &&
	expect_status 0 && has out 10000039 &&
	# and the static flow next time
	# shellcheck disable=SC2086
	run pm-fetch markets --closed false $FAST &&
	expect_status 0 && each out && test_line_count out 40 && has out 10000039
'

fake_start delta --markets 40 --only-synthetic

test_expect_success 'delta: a market changed ahead of the cursor jumps behind it; the next delta has it' '
	fake_control "{\"cursor\": \"keyset\"}" &&
	# shellcheck disable=SC2086
	run pm-fetch markets --closed any --updated-since 2000-01-01T00:00:00Z $FAST &&
	expect_status 0 && test_line_count out 40 &&
	late=$(jq -r .payload.id out | sed -n 35p) &&
	start=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) &&
	on_page 1 "{\"touch\": \"$late\"}" &&
	# shellcheck disable=SC2086
	run pm-fetch markets --closed any --updated-since 2000-01-01T00:00:00Z $FAST &&
	expect_status 0 && each out && test_line_count out 39 && not has out "$late" &&
	# the next delta, from the start of this one
	# shellcheck disable=SC2086
	run pm-fetch markets --closed any --updated-since "$start" $FAST &&
	expect_status 0 && has out "$late"
'

test_expect_success 'delta: a market closing during the listing is listed once, closed' '
	# shellcheck disable=SC2086
	run pm-fetch markets --closed any --updated-since 2000-01-01T00:00:00Z $FAST &&
	late=$(jq -r .payload.id out | sed -n 30p) &&
	# the open listing goes first (-j 1): the market leaves it unread,
	# and joins the closed one, newest first, before that one begins
	on_page 1 "{\"close\": \"$late\"}" &&
	# shellcheck disable=SC2086
	run pm-fetch markets --closed any --updated-since 2000-01-01T00:00:00Z $FAST &&
	expect_status 0 && each out && test_line_count out 40 &&
	jq -r "select(.payload.id == \"$late\") | .payload.closed" out | test_grep -x true
'

test_expect_success 'delta: a market listed, then closing, is written once as first listed; the next delta has it closed' '
	# shellcheck disable=SC2086
	run pm-fetch markets --closed any --updated-since 2000-01-01T00:00:00Z $FAST &&
	first=$(jq -r .payload.id out | head -n 1) &&
	start=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) &&
	# on the open listing'"'"'s first page, then on the closed one'"'"'s: the
	# second copy is a duplicate, and pm-fetch writes an object once
	on_page 1 "{\"close\": \"$first\"}" &&
	# shellcheck disable=SC2086
	run pm-fetch markets --closed any --updated-since 2000-01-01T00:00:00Z $FAST &&
	expect_status 0 && each out && test_line_count out 40 &&
	jq -r "select(.payload.id == \"$first\") | .payload.closed" out | test_grep -x false &&
	# shellcheck disable=SC2086
	run pm-fetch markets --closed any --updated-since "$start" $FAST &&
	expect_status 0 &&
	jq -r "select(.payload.id == \"$first\") | .payload.closed" out | test_grep -x true
'

# 10 events of 4 markets, 40000000 to 40000009, ending in id order
fake_start events --markets 40 --only-synthetic --event-size 4

test_expect_success 'events: an end date moved behind its cursor: this listing misses it, the next has it' '
	on_page 1 "{\"end\": [\"40000009\", \"2000-01-01T00:00:00Z\"]}" &&
	# shellcheck disable=SC2086
	run pm-fetch events --closed false $FAST &&
	expect_status 0 && each out && test_line_count out 9 && not has out 40000009 &&
	# the events flow has no delta: its next run
	# shellcheck disable=SC2086
	run pm-fetch events --closed false $FAST &&
	expect_status 0 && each out && test_line_count out 10 && has out 40000009
'

fake_start offset --markets 40 --only-synthetic

test_expect_success 'offset paging: a listed market closing hides the next from this listing, not from the next' '
	# the page after it starts one market further than the first page
	# ended: 10000010 moved to the first page
	on_page 1 "{\"close\": \"10000003\"}" &&
	# shellcheck disable=SC2086
	run pm-fetch markets --closed false --pagination offset --partitions 1 $FAST &&
	expect_status 0 && each out && test_line_count out 39 &&
	not has out 10000010 &&
	# shellcheck disable=SC2086
	run pm-fetch markets --closed false --pagination offset --partitions 1 $FAST &&
	expect_status 0 && each out && test_line_count out 39 && has out 10000010
'

test_done
