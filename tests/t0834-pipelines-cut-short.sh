#!/bin/bash
# A daily run cut short before pm-group (pm-fetch or pm-normalize killed
# after its first N lines, for every N), or whose listing lost a page: no
# group of the markets read so far is processed, and a rerun gives the
# rows of one uninterrupted run.
# Before pm-fetch --end-record and pm-group --require-end, the cut run
# stored an event with part of its markets, and the rerun processed the
# rest as markets joining it: a second result row per variant (t0930's
# kill -9 stress found it, now and then).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

P=$TOP/pipelines.sh
NOW=2026-06-01T10:00:00Z
# the target day (7 days on): 10 markets in events of 2
fake_start pm --only-synthetic --markets 80 --spread-days 8 \
    --group-size 2 --now "$NOW"

# what identifies each stored row (tests/stress.sh)
KEYS="SELECT 'e', event_key, n_markets FROM processed_events
    UNION ALL SELECT 'm', event_key || ' ' || market_id, 0 FROM processed_markets
    UNION ALL SELECT 'r', event_key || ' ' || experiment_id || ' ' || status, 0 FROM experiment_results
    UNION ALL SELECT 'k', market_id, 0 FROM markets"
rows() { sqlite3 "$1" "$KEYS" | LC_ALL=C sort; }
daily() {
	PM_BIN=${BIN_DIR:-$PM_BIN} "$P" daily --env-file /dev/null --no-dump \
	    --now "$NOW" --db "$1" >/dev/null 2>>"$TMP/flow.err"
}

# cut_after STAGE N: programs where STAGE writes its first N lines, then is
# killed (kill -9: no end of its own, no message)
cut_after() {
	mkdir -p "$TMP/cut" && rm -f "$TMP"/cut/* &&
	for p in "$PM_BIN"/pm-*; do ln -s "$p" "$TMP/cut/"; done &&
	rm "$TMP/cut/$1" &&
	cat >"$TMP/cut/$1" <<-W &&
	#!/bin/bash
	"$PM_BIN/$1" "\$@" | head -n $2
	kill -9 \$\$
	W
	chmod +x "$TMP/cut/$1"
}

test_expect_success 'an uninterrupted run: 5 events, 10 markets' '
	daily "$TMP/ref.db" && rows "$TMP/ref.db" >"$TMP/ref.rows" &&
	test_eq 5 "$(grep -c "^e|" "$TMP/ref.rows")" &&
	test_eq 10 "$(grep -c "^m|" "$TMP/ref.rows")" &&
	! grep -q "processed no group" "$TMP/flow.err"
'

# each cut before the end record: pm-fetch writes 10 raw records and its
# end record; pm-normalize the run record, 10 markets and the end record
for stage in pm-fetch:10 pm-normalize:11; do
	lines=${stage#*:} stage=${stage%:*}
	test_expect_success "$stage killed after each of its first $lines lines: no group, and the rerun gives the clean rows" '
		for n in $(seq 1 '"$lines"'); do
			cut_after '"$stage"' "$n" && db=$TMP/'"$stage"'-$n.db &&
			first=0 && { BIN_DIR=$TMP/cut daily "$db" || first=$?; } &&
			test_num "$first" -eq 3 &&
			test_eq 0 "$(sqlite3 "$db" "SELECT count(*) FROM processed_events")" \
			    "groups stored after a cut at line $n" &&
			test_eq "failed" "$(sqlite3 "$db" "SELECT status FROM processing_runs")" &&
			daily "$db" && rows "$db" >got &&
			test_cmp "$TMP/ref.rows" got || { say "cut at line $n"; return 1; }
		done
	'
done

test_expect_success 'the cut run says why: input_cut_short, stage group' '
	cut_after pm-normalize 4 && db=$TMP/why.db &&
	{ BIN_DIR=$TMP/cut daily "$db" || :; } &&
	sqlite3 "$db" "SELECT stage, reason, retriable FROM processing_failures
	    WHERE reason = '\''input_cut_short'\''" >got &&
	test_eq "group|input_cut_short|1" "$(cat got)" &&
	test_grep "pm-group: the input ended without an end record" "$TMP/flow.err" &&
	test_grep "^pipelines.sh: daily: run .* processed no group (its listing was cut short); to do its target day, run pipelines.sh daily --target-date 2026-06-08 again, on 2026-06-08 at the latest$" "$TMP/flow.err"
'
# A page of the listing that still fails after its retries: the partition
# of 03:00 to 06:00 of the target day, market 10000015, whose event's
# other market (10000007) closes at 00:30.  Before, that event was stored
# with one market and the rerun added the other as a market joining it:
# a second result per variant.
test_expect_success 'a page of the listing lost (fetch_failed): no group, the run partial, and the rerun gives the clean rows' '
	db=$TMP/lost.db && : >"$TMP/flow.err" &&
	fake_control "{\"listing_fail_end_min\":\"2026-06-08T03:00:00Z\"}" &&
	first=0 && { daily "$db" || first=$?; } &&
	fake_control "{\"listing_fail_end_min\":null}" &&
	test_num "$first" -eq 1 &&
	test_eq 0 "$(sqlite3 "$db" "SELECT count(*) FROM processed_events")" &&
	test_eq partial "$(sqlite3 "$db" "SELECT status FROM processing_runs")" &&
	sqlite3 "$db" "SELECT stage, reason, retriable FROM processing_failures
	    ORDER BY stage" >got &&
	printf "%s\n" "fetch|fetch_failed|1" "group|input_cut_short|1" >want &&
	test_cmp want got &&
	test_grep "pm-group: the listing lost 1 page(s) .*: its 9 market and event records are not grouped" "$TMP/flow.err" &&
	test_eq 1 "$(grep -c "processed no group (its listing was cut short); to do its target day, run pipelines.sh daily --target-date 2026-06-08 again" "$TMP/flow.err")" &&
	daily "$db" && rows "$db" >got && test_cmp "$TMP/ref.rows" got &&
	test_eq 1 "$(grep -c "processed no group" "$TMP/flow.err")"
'
test_done
