#!/bin/bash
# The end record: pm-fetch --end-record writes it last when it ends on its
# own, whatever it met; pm-group --require-end writes groups only when its
# input ends with one, and otherwise a failure record (input_cut_short)
# and exit 1; without the option it passes through; pm-store skips it.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

fake_start pm --markets 30 --only-synthetic
END='{"kind":"end","stage":"fetch"}'
FAIL='{"kind":"failure","stage":"fetch","reason":"fetch_failed","retriable":true}'

test_expect_success 'pm-fetch --end-record: the listing, then one end record, last' '
	run pm-fetch markets && expect_status 0 && mv out plain &&
	test_count end plain 0 &&
	run pm-fetch markets --end-record && expect_status 0 &&
	test_count raw out 30 && test_count end out 1 &&
	test_eq "$END" "$(tail -n 1 out)" &&
	head -n -1 out | jq -r .payload.id | sort >got &&
	jq -r .payload.id plain | sort >want && test_cmp want got
'
test_expect_success 'pm-fetch --end-record: the API unreachable, exit 3, the end record still last' '
	PM_GAMMA_URL=http://127.0.0.1:9 run pm-fetch markets --end-record \
	    --attempts 1 && expect_status 3 &&
	test_eq "$END" "$(tail -n 1 out)" && test_count raw out 0
'

# the 30 market records alone
markets() { pm-fetch markets | pm-normalize | grep "^{\"kind\":\"market\""; }

test_expect_success 'pm-group --require-end: the input ends with the end record, every group, no end record out' '
	markets >in && run pm-group in && expect_status 0 && mv out want &&
	{ cat in; echo "$END"; } >in.end &&
	run pm-group --require-end in.end && expect_status 0 &&
	test_cmp want out && test_count group out -gt 1 && test_count end out 0
'
test_expect_success 'pm-group --require-end: no end record, no group: input_cut_short, exit 1' '
	{ echo "{\"kind\":\"run\",\"phase\":\"start\"}"; markets | head -n 20; } >in &&
	run pm-group --require-end in && expect_status 1 &&
	test_count group out 0 && test_count run out 1 && test_count failure out 1 &&
	jq -e "select(.kind == \"failure\") | .stage == \"group\" and
		.reason == \"input_cut_short\" and .retriable == true" out >/dev/null &&
	test_grep "^pm-group: the input ended without an end record .*: its 20 market and event records are not grouped" err
'
test_expect_success 'pm-group --require-end: a market after the end record, cut short' '
	markets >in && { head -n 29 in; echo "$END"; tail -n 1 in; } >in.late &&
	run pm-group --require-end in.late && expect_status 1 &&
	test_count group out 0 && test_count failure out 1
'
test_expect_success 'pm-group --require-end: a fetch failure before the end record (a page lost), no group' '
	markets >in && { head -n 20 in; echo "$FAIL"; tail -n 10 in; echo "$END"; } >in.lost &&
	run pm-group --require-end in.lost && expect_status 1 &&
	test_count group out 0 && test_count failure out 2 &&
	test_grep -x -F "$FAIL" out &&
	jq -e "select(.kind == \"failure\" and .stage == \"group\") |
		.reason == \"input_cut_short\" and .retriable == true" out >/dev/null &&
	test_grep "^pm-group: the listing lost 1 page(s) .*: its 30 market and event records are not grouped" err &&
	run pm-group in.lost && expect_status 0 && test_count group out -gt 1
'
# Every page lost: no market read, and the run is still to be done again
# (before, only the fetch failure said so, and pipelines.sh did not).
test_expect_success 'pm-group --require-end: every page lost, no market read: input_cut_short too' '
	{ echo "$FAIL"; echo "$END"; } >in.none &&
	run pm-group --require-end in.none && expect_status 1 &&
	test_count group out 0 && test_count failure out 2 &&
	test_grep "^pm-group: the listing lost 1 page(s) .*: its 0 market and event records are not grouped" err
'
test_expect_success 'pm-group --require-end: a failure of another stage is passed on, the groups written' '
	{ markets; echo "{\"kind\":\"failure\",\"stage\":\"normalize\",\"reason\":\"normalization_failed\"}"; echo "$END"; } >in &&
	run pm-group --require-end in && expect_status 0 &&
	test_count group out -gt 1 && test_count failure out 1
'
# An input that could not be read (missing, a directory, a read error)
# is cut short as much as a killed stage's: its markets were not read.
# The groups of the other files were written, exit 3 alone saying so.
test_expect_success 'pm-group --require-end: an input that cannot be read, no group' '
	{ markets; echo "$END"; } >in &&
	for files in "in gone.ndjson" "gone.ndjson in" "in ."; do
		run pm-group --require-end $files && expect_status 3 &&
		test_count group out 0 && test_count failure out 1 &&
		jq -e "select(.kind == \"failure\") | .reason == \"input_cut_short\"
			and .retriable == true" out >/dev/null &&
		test_grep "^pm-group: an input could not be read: its 30 market and event records are not grouped" err ||
		{ say "files: $files"; return 1; }
	done
'
test_expect_success 'pm-group without --require-end: the end record passes through' '
	{ markets; echo "$END"; } >in &&
	run pm-group in && expect_status 0 &&
	test_count end out 1 && test_grep -x -F "$END" out && test_count group out -gt 1
'
test_expect_success 'pm-store: an end record is skipped, not stored, not a failure' '
	{ markets | head -n 3; echo "$END"; } >in &&
	run pm-store --db "$TMP/end.db" in && expect_status 0 &&
	test_eq 0 "$(sqlite3 "$TMP/end.db" "SELECT count(*) FROM processing_failures")" &&
	test_eq 3 "$(sqlite3 "$TMP/end.db" "SELECT count(*) FROM markets")"
'
test_done
