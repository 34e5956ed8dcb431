#!/bin/bash
# A failed result that a later one made good is not retried again.  A
# forecaster fails on an event (markets A), a market B joins it and the
# next daily run fails on A and B too (a second row, markets A,B);
# retry-failures of that run makes the A,B forecast, which replaces its
# own failed row only: the first stays failed, as stored.  It is never
# scored, and it is no longer something to retry: pm-store --export
# retry writes neither that event nor any other whose failures were all
# made good, so a retry-failures of either run again runs nothing, not
# even a forecaster added since (before, it forecast every repaired
# event: paid for).  The score counts each market once a variant, and
# a store moved with --export group has the same rows and scores.
# SQLite and PostgreSQL (ClickHouse keeps no experiment results: t0481).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/pg.sh"

P=$TOP/pipelines.sh
# the start of today: the forecasts, made now, come before the markets
# close (a week on); one made after its market closed is not scored
NOW=$(date -u +%Y-%m-%dT00:00:00Z)
# 5 events of 2 markets on the target day (t0844)
fake_start pm --only-synthetic --markets 80 --spread-days 8 \
    --group-size 2 --now "$NOW"
pg_start

# flaky fails while $TMP/down exists; each variant's runs are lines (the
# event keys) in $TMP/<variant>.log
variant() {
	jq -cn --arg v "$1" --arg fail "$2" --arg log "$TMP/$1.log" '{variant: $v,
	    type: "command", argv: ["sh", "-c", ("g=$(cat); printf \"%s\\n\" \"$g\" | jq -r .event_key >>" + $log + "; " + $fail + "printf %s \"$g\" | jq -c \"{probabilities: ((.forecast_markets // (.markets | map(.market_id))) | map({key: ., value: 0.5}) | from_entries)}\"")]}'
}
FLAKY=$(variant flaky "[ -e $TMP/down ] && exit 3; ")
jq -n --argjson f "$FLAKY" '{suites: [{id: "builtin", forecast: [
    {variant: "market", type: "builtin"}, $f]}]}' >"$TMP/exp.json"
# the same and a forecaster added since
jq --argjson z "$(variant zed "")" '.suites[0].forecast += [$z]' \
    "$TMP/exp.json" >"$TMP/more.json"

q() {
	case $DB in
	postgres*) psql -X -A -t -q "$DB" -c "$1" ;;
	*) sqlite3 "${DB#sqlite:}" "$1" ;;
	esac
}
flow() {
	run "$P" "$@" --env-file /dev/null --no-dump --now "$NOW" --db "$DB"
}
add_market() {
	curl -sf -X POST --data "{\"event_id\":\"$1\"}" "$FAKE_URL/_add_market" |
	    jq -r .added
}
FLAKY_ID=builtin:forecast:flaky
flaky_rows() {
	q "SELECT markets || '|' || status FROM experiment_results WHERE
	    event_key = '$key' AND experiment_id = '$FLAKY_ID' ORDER BY markets"
}
# the rows of experiments' work but their run (a group record has none)
work() {
	db_dump "$1" | jq -c 'if .[0] == "experiment_markets" then del(.[6])
	    elif .[0] == "experiment_results" then del(.[3]) else empty end' |
	    LC_ALL=C sort
}

# protocol N MOVED: the failure, the join, the retry, on the Nth event
protocol() {
	rm -f "$TMP"/*.log && touch "$TMP/down" &&
	flow daily --config "$TMP/exp.json" && expect_status 1 &&
	run1=$(q "SELECT run_id FROM processing_runs") &&
	key=$(q "SELECT event_key FROM processed_events ORDER BY event_key
	    LIMIT 1 OFFSET $1") &&
	a=$(flaky_rows) && test_eq "failed" "${a#*|}" "day 1" && a=${a%|*} &&
	id=$(add_market "$key") && test -n "$id" &&

	flow daily --config "$TMP/exp.json" && expect_status 1 &&
	run2=$(q "SELECT run_id FROM processing_runs WHERE run_id <> '$run1'") &&
	printf "%s|failed\n" "$a" "$a,$id" >want && flaky_rows >got &&
	test_cmp want got &&

	rm "$TMP/down" "$TMP/flaky.log" &&
	flow retry-failures "$run2" --config "$TMP/exp.json" \
	    --summary-path r.json && expect_status 0 &&
	test_eq 5 "$(jq .totals.processed r.json)" processed &&
	test_eq 0 "$(jq .totals.failed r.json)" failed &&
	test_line_count "$TMP/flaky.log" -eq 5 &&
	printf "%s|%s\n" "$a" failed "$a,$id" ok >want && flaky_rows >got &&
	test_cmp want got &&

	# nothing is left to retry, of either run: nothing runs, not even
	# the forecaster added since
	flow retry-failures "$run1" --config "$TMP/more.json" \
	    --summary-path r1.json && expect_status 0 &&
	cat "$TMP"/*.log >calls && test_line_count calls -eq 5 &&
	test_eq 0 "$(jq .totals.grouped r1.json)" grouped &&
	for r in "$run1" "$run2"; do
		run pm-store --db "$DB" --export retry --run "$r" &&
		expect_status 0 && test_line_count out -eq 0 || return 1
	done &&

	# each market scored once by each variant, every variant on all
	n=$(q "SELECT count(*) FROM processed_markets") && test_num "$n" -ge 11 &&
	resolve_yes "$DB" &&
	run pm-summary --score --db "$DB" --json && expect_status 0 &&
	jq -c "[.variants[] | [.variant, .markets]], .paired.markets" out >got &&
	printf "%s\n" "[[\"flaky\",$n],[\"market\",$n]]" "$n" >want &&
	test_cmp want got && mv out score &&
	test_eq 5 "$(jq ".variants[] | select(.variant == \"flaky\") | .forecasts" score)" &&

	# moved: the same rows, and the same report
	pm-store --db "$DB" --export group >g.ndjson &&
	pm-store --db "$DB" --export markets >m.ndjson &&
	cat g.ndjson m.ndjson | pm-store --db "$2" >/dev/null 2>&1 &&
	work "$DB" >before && work "$2" >after && test_cmp before after &&
	run pm-summary --score --db "$2" --json && expect_status 0 &&
	test_cmp score out
}

test_expect_success 'SQLite: the failure made good is not retried again' '
	DB=sqlite:pm.db && protocol 0 sqlite:moved.db
'
test_expect_success 'PostgreSQL: the same' '
	pg_ready && DB=$(pg_newdb made) && protocol 1 "$(pg_newdb moved)"
'

# By hand: x fails on two markets of an event, then a later run makes one
# of them good: the other is still to retry, by x alone; once both are,
# the event is not exported.
F=$TESTS_DIR/fixtures-store/run.ndjson
# hgroup RUN STATUS MARKET...: run RUN storing event 16183's group with
# one result of x, on those markets (a failure record when it failed),
# of fingerprint $FP (f1 unless set), started at $AT (none unless set)
hgroup() {
	local r=$1 st=$2 ids
	shift 2
	ids=$(printf '%s\n' "$@" | jq -R . | jq -sc .)
	jq -cn --arg r "$r" '{kind: "run", phase: "start", run_id: $r,
	    flow: "daily", run_date: "2026-11-23",
	    started_at: "2026-11-23T07:00:00Z"}'
	jq -c --arg st "$st" --arg fp "${FP:-f1}" --argjson at "${AT:-null}" \
	    --argjson ids "$ids" \
	    'select(.event_key == "16183") |
	    .results = [{experiment_id: "s:forecast:x", suite: "s",
	      stage: "forecast", variant: "x", type: "jq", status: $st,
	      fingerprint: $fp, market_ids: $ids, started_at: $at,
	      probabilities: (if $st == "ok" then ($ids | map({key: .,
	        value: {Yes: 0.5, No: 0.5}}) | from_entries) else null end),
	      error: (if $st == "ok" then null else "boom" end)}]' "$F"
	[ "$st" = ok ] || jq -cn '{kind: "failure", stage: "experiment",
	    reason: "experiment_failed", retriable: true, event_key: "16183",
	    detail: "s:forecast:x: boom"}'
}
partly() {
	hgroup r1 failed 1642124 516950 | pm-store --db "$1" >/dev/null 2>&1 &&
	hgroup r2 ok 1642124 | pm-store --db "$1" >/dev/null 2>&1 &&
	run pm-store --db "$1" --export retry --run r1 && expect_status 0 &&
	jq -c "[.event_key, [.markets[].market_id], .retry_experiments]" out >got &&
	echo '["16183",["516950"],["s:forecast:x"]]' >want && test_cmp want got &&
	hgroup r3 ok 516950 | pm-store --db "$1" >/dev/null 2>&1 &&
	run pm-store --db "$1" --export retry --run r1 && expect_status 0 &&
	test_line_count out -eq 0
}
test_expect_success 'SQLite: a failure made good in part is retried on the rest' '
	partly sqlite:h.db
'
test_expect_success 'PostgreSQL: the same' '
	pg_ready && partly "$(pg_newdb partly)"
'

# x fixed after its failure (its fingerprint changed): its results under
# the new one make the old failures good, market by market, as a retry
# would (before, the event was to retry for ever, with nothing to run);
# a result of the old one made before does not make good a failure of
# the new one
fixed() {
	AT=\"2026-11-23T07:00:00Z\" hgroup r1 failed 1642124 516950 |
	    pm-store --db "$1" >/dev/null 2>&1 &&
	FP=f2 AT=\"2026-11-24T07:00:00Z\" hgroup r2 ok 1642124 |
	    pm-store --db "$1" >/dev/null 2>&1 &&
	run pm-store --db "$1" --export retry --run r1 && expect_status 0 &&
	jq -c "[.event_key, [.markets[].market_id], .retry_experiments]" out >got &&
	echo '["16183",["516950"],["s:forecast:x"]]' >want && test_cmp want got &&
	FP=f2 AT=\"2026-11-25T07:00:00Z\" hgroup r3 ok 516950 |
	    pm-store --db "$1" >/dev/null 2>&1 &&
	run pm-store --db "$1" --export retry --run r1 && expect_status 0 &&
	test_line_count out -eq 0 &&
	FP=f3 AT=\"2026-11-26T07:00:00Z\" hgroup r4 failed 1642124 |
	    pm-store --db "$1" >/dev/null 2>&1 &&
	run pm-store --db "$1" --export retry --run r4 && expect_status 0 &&
	jq -c "[.event_key, [.markets[].market_id], .retry_experiments]" out >got &&
	echo '["16183",["1642124"],["s:forecast:x"]]' >want && test_cmp want got
}
test_expect_success 'SQLite: a failure made good by the variant fixed since' '
	fixed sqlite:fixed.db
'
test_expect_success 'PostgreSQL: the same' '
	pg_ready && fixed "$(pg_newdb fixed)"
'

test_done
