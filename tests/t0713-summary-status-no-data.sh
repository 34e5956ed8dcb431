#!/bin/bash
# pm-summary --status when a flow ran and stored nothing while another
# flow's data is fresh: no data, exit 5, the text naming that flow (it
# said "nothing stored" of a database full of markets), and --notify
# telling it once (no data was never told: a flow broken from its first
# run left the webhook silent at every check).  A database nothing ran
# on is still not told.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"	# webhook_start; fake_stop_all stops it

webhook_start /hook/sekret

DB=$TMP/d.db
NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
mk() {
	rec_market "$1" event_id=e1 close_time=2026-11-24T00:00:00Z active:=true closed:=false \
		contracts:="$(rec_yes_no "${1}1" 0.5 "${1}2" 0.5)" tags:='[]'
}
# run_failed ID FLOW: a run of FLOW that started now and failed
run_failed() {
	rec_run_start "$1" "$2" | jq -c --arg t "$NOW" '.started_at = $t,
		(.started_at = $t | .phase = "end" | .status = "failed" |
		 .finished_at = $t)'
}

test_expect_success 'a fresh static flow: fresh, nothing told' '
	{ rec_run_start r1 static; mk 1; } | pm-store --db "$DB" >/dev/null 2>&1 &&
	run pm-summary --status --db "$DB" --notify "$HOOK" && expect_status 0 &&
	test_eq 0 "$(posts)"
'

test_expect_success 'the trades flow ran and stored nothing: no data, that flow named' '
	run_failed t1 trades | pm-store --db "$DB" >/dev/null 2>&1 &&
	run pm-summary --status --db "$DB" && expect_status 5 &&
	test_grep "^status: no data (the trades flow ran and stored nothing)$" out &&
	not grep "nothing stored)" out &&
	run pm-summary --status --db "$DB" --json && expect_status 5 &&
	jq -e ".level == \"no_data\" and .markets.total == 1 and
		(.flows[] | select(.flow == \"trades\") | .runs == 1 and .level == \"no_data\")" \
		out >/dev/null
'

test_expect_success 'told once, as the change from fresh it is; with --flow, per flow' '
	for i in 1 2 3; do
		run pm-summary --status --db "$DB" --notify "$HOOK" && expect_status 5 || exit 1
	done &&
	test_eq 1 "$(posts)" &&
	jq -e "(.text | test(\"none stored by a flow that ran\")) and .level == \"no_data\"" \
		"$TMP/hook.log" >/dev/null &&
	run pm-summary --status --db "$DB" --flow static --notify "$HOOK" && expect_status 0 &&
	run pm-summary --status --db "$DB" --flow trades --notify "$HOOK" && expect_status 5 &&
	test_eq 2 "$(posts)" &&
	tail -n 1 "$TMP/hook.log" | jq -e "(.text | test(\"flow trades\"))" >/dev/null &&
	not grep sekret err
'

test_expect_success 'nothing ran: no data, not told (an empty database, a flow never run)' '
	n=$(posts) &&
	pm-store --db "$TMP/e.db" </dev/null 2>/dev/null &&
	run pm-summary --status --db "$TMP/e.db" --notify "$HOOK" && expect_status 5 &&
	test_grep "^status: no data (nothing stored)$" out &&
	run pm-summary --status --db "$DB" --flow prices --notify "$HOOK" && expect_status 5 &&
	test_grep "^status: no data (nothing stored by this flow)$" out &&
	test_eq "$n" "$(posts)"
'

test_done
