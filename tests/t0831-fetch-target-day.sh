#!/bin/bash
# pm-fetch: the target day is one UTC day, --target-date D or the run date
# (--now, PM_NOW) + --window-days N; the two exclude each other.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

NOW=2026-06-01T10:00:00Z
# market 10000000+i closes on day i%10 from 2026-06-01 (--spread-days)
fake_start spread --only-synthetic --markets 40 --spread-days 10 --now "$NOW" \
    --log "$TMP/req.log"

ids() { jq -r .payload.id out | sort; }
day_ids() { local j; for j in 0 1 2 3; do echo $((10000000 + 10 * j + $1)); done; }

test_expect_success '--window-days N: the day --now + N, bounds 00:00 to the last millisecond' '
	: >"$TMP/req.log" &&
	run pm-fetch markets --now "$NOW" --window-days 2 && expect_status 0 &&
	day_ids 2 >want && ids >got && test_cmp want got &&
	grep -q "end_date_min=2026-06-03T00%3A00%3A00Z&" "$TMP/req.log" &&
	grep -q "end_date_max=2026-06-03T23%3A59%3A59.999Z&" "$TMP/req.log" &&
	not grep -q "end_date_m[a-z]*=2026-06-0[^3]" "$TMP/req.log"
'
test_expect_success '--window-days 0 is the run date itself; PM_NOW is the clock' '
	PM_NOW=2026-06-05T23:59:59Z run pm-fetch markets --window-days 0 &&
	expect_status 0 && day_ids 4 >want && ids >got && test_cmp want got &&
	PM_NOW=garbage run pm-fetch markets --now "$NOW" --window-days 0 &&
	expect_status 0 && day_ids 0 >want && ids >got && test_cmp want got
'
test_expect_success '--target-date D alone: that day only' '
	run pm-fetch markets --now "$NOW" --target-date 2026-06-08 && expect_status 0 &&
	day_ids 7 >want && ids >got && test_cmp want got
'
test_expect_success '--target-date with --window-days: a usage error, nothing fetched' '
	: >"$TMP/req.log" &&
	run pm-fetch markets --now "$NOW" --target-date 2026-06-08 --window-days 1 &&
	expect_status 2 && grep -q "exclude each other" err && test ! -s out &&
	test ! -s "$TMP/req.log"
'
test_expect_success 'a target day before the run date is refused; --now decides' '
	run pm-fetch markets --now "$NOW" --target-date 2026-05-31 && expect_status 2 &&
	grep -q "2026-05-31 is in the past" err &&
	PM_NOW=2026-05-01T00:00:00Z run pm-fetch markets --target-date 2026-05-31 &&
	expect_status 0
'
test_expect_success 'bad --now, --window-days out of range: usage errors' '
	for args in "--now tomorrow --window-days 1" "--now 2026-13-01T00:00:00Z" \
	    "--now 2026-06-01 --window-days 1" "--now 1780308000" \
	    "--window-days 367" "--window-days -1"; do
		# shellcheck disable=SC2086
		run pm-fetch markets $args && expect_status 2 && test ! -s out &&
		grep -q "^pm-fetch: " err || { echo "args: $args"; return 1; }
	done &&
	PM_NOW=tomorrow run pm-fetch markets --window-days 1 && expect_status 2 &&
	grep -q "PM_NOW" err
'
test_done
