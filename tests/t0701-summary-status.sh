#!/bin/bash
# pm-summary --status on SQLite databases filled by pm-store: freshness
# levels and their exit codes, empty and failed-only databases, options.
. "$(dirname "$0")/lib.sh"

# mk ID CLOSED ACTIVE: one market record
mk() {
	rec_market "$1" event_id=e1 close_time=2026-11-24T00:00:00Z active:="$3" closed:="$2" \
		contracts:="$(rec_yes_no "${1}1" 0.5 "${1}2" 0.5)" tags:='[]'
}

# A database with one static run of three markets (two active, one closed).
filled() {
	{ rec_run_start r1 static; mk 1 false true; mk 2 false true; mk 3 true false; } |
		pm-store --db "$1" >/dev/null 2>&1
}

# now+N minutes as RFC 3339
later() { date -u -d "+$1 min" +%Y-%m-%dT%H:%M:%SZ; }

test_expect_success 'just stored: fresh, exit 0, counts and the run' '
	filled d.db &&
	run pm-summary --status --db d.db --json && expect_status 0 &&
	jq -e ".level == \"fresh\" and .last_update_from == \"markets\" and .age_seconds < 600 and
		.markets == {total:3, active:2, resolved:1} and
		.runs.listed == 1 and .runs.completed == 1 and .runs.success_rate == 1 and
		.runs.last[0].run_id == \"r1\" and .runs.last[0].flow == \"static\" and
		.runs.last[0].counts.inserted >= 3 and .failures.last_day == 0" out >/dev/null &&
	run pm-summary --status --db d.db && expect_status 0 &&
	test_grep "^status: fresh: last update .* (markets), .* ago; fresh under 20m, stale under 1h 0m$" out &&
	test_grep "^markets: 3 total, 2 active, 1 resolved$" out &&
	test_grep "^runs: last 1: 1 completed, 0 partial, 0 failed, 0 running; success rate 100%$" out
'

test_expect_success 'markets fetched long ago, stored now (a dump replayed): their fetch time, not fresh' '
	{ rec_run_start r1 static; { mk 1 false true; mk 2 false true; } |
		jq -c ".fetched_at = \"$(date -u -d "-3 hours" +%Y-%m-%dT%H:%M:%S.000Z)\""; } |
		pm-store --db old.db >/dev/null 2>&1 &&
	run pm-summary --status --db old.db --flow static --json && expect_status 5 &&
	jq -e ".level == \"very_stale\" and .age_seconds >= 10800 and .age_seconds < 11000" out >/dev/null &&
	mk 3 false true | pm-store --db old.db >/dev/null 2>&1 &&
	run pm-summary --status --db old.db --flow static --json && expect_status 0 &&
	jq -e ".level == \"fresh\" and .age_seconds < 600" out >/dev/null
'

test_expect_success 'ageing: stale exits 4, very stale 5; thresholds per flow' '
	filled d.db &&
	run pm-summary --status --db d.db --now "$(later 30)" && expect_status 4 &&
	test_grep "^status: stale: " out &&
	run pm-summary --status --db d.db --now "$(later 120)" && expect_status 5 &&
	test_grep "^status: very_stale: " out &&
	run pm-summary --status --db d.db --now "$(later 120)" --fresh 1d && expect_status 0 &&
	run pm-summary --status --db d.db --now "$(later 30)" --fresh 10m --stale 20m && expect_status 5 &&
	run pm-summary --status --db d.db --now "$(later 120)" --fresh 3h && expect_status 0 &&
	run pm-summary --status --db d.db --now "$(later 300)" --fresh 3h && expect_status 4
'

test_expect_success '--flow: only that flow'"'"'s runs and data; a daily flow is fresh for a day' '
	filled d.db &&
	rec_run_start r2 daily | pm-store --db d.db >/dev/null 2>&1 &&
	run pm-summary --status --db d.db --flow daily --now "$(later 600)" --json &&
	expect_status 5 &&
	jq -e ".fresh_seconds == 86400 and .stale_seconds == 172800 and
		.level == \"no_data\" and .flows[0].data_from == \"processed_events\" and
		.runs.listed == 1 and .runs.last[0].run_id == \"r2\"" out >/dev/null &&
	run pm-summary --status --db d.db --flow static --json && expect_status 0 &&
	jq -e ".flows[0].runs == 1 and .flows[0].consecutive_failed_runs == 0" out >/dev/null &&
	run pm-summary --status --db d.db --flow prices && expect_status 5 &&
	test_grep "^status: no data (nothing stored by this flow)$" out
'

# daily_group KEY FINISHED: a group of one market forecast by the
# market, its result finished at FINISHED (none when empty)
daily_group() {
	jq -cn --arg k "$1" --arg at "$2" --argjson m "$(mk "m$1" false true)" \
	    --argjson r "$(rec_result market "{\"m$1\":{\"Yes\":0.5,\"No\":0.5}}")" \
	    '{kind:"group", event_key:$k, event:null, markets:[$m],
	      results:(if $at == "" then [] else [$r | .finished_at = $at] end)}'
}

test_expect_success 'a daily dump of days ago stored today (a replay): its forecasts'"'"' time, not fresh' '
	old=$(date -u -d "-3 days" +%Y-%m-%dT%H:%M:%SZ) &&
	{ rec_run_start r1 daily; daily_group e1 "$old"; } |
		pm-store --db daily.db >/dev/null 2>&1 &&
	run pm-summary --status --db daily.db --flow daily --json && expect_status 5 &&
	jq -e ".level == \"very_stale\" and .last_update == \"$old\" and
		.flows[0].data_from == \"processed_events\"" out >/dev/null &&
	run "$TOP/pipelines.sh" status --db daily.db --env-file /dev/null && expect_status 6 &&
	test_grep "^  daily  *very_stale  *$old in processed_events, 3d 0h ago;" out &&
	{ rec_run_start r2 daily; daily_group e2 "$(date -u +%Y-%m-%dT%H:%M:%SZ)"; } |
		pm-store --db daily.db >/dev/null 2>&1 &&
	run pm-summary --status --db daily.db --flow daily --json && expect_status 0 &&
	jq -e ".level == \"fresh\" and .age_seconds < 600" out >/dev/null
'
test_expect_success 'a processed event without results, or with later ones (a retry): when it was stored' '
	{ rec_run_start r1 daily; daily_group e1 ""; } |
		pm-store --db bare.db >/dev/null 2>&1 &&
	run pm-summary --status --db bare.db --flow daily --json && expect_status 0 &&
	jq -e ".level == \"fresh\" and .age_seconds < 600" out >/dev/null &&
	{ rec_run_start r1 daily; daily_group e1 2099-01-01T00:00:00Z; } |
		pm-store --db late.db >/dev/null 2>&1 &&
	run pm-summary --status --db late.db --flow daily --json && expect_status 0 &&
	jq -e ".level == \"fresh\" and .age_seconds < 600" out >/dev/null
'

test_expect_success 'retry-failures after daily: judged as the daily flow, whose data it is: fresh for a day' '
	{ rec_run_start r1 daily; daily_group e1 "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	  rec_run_start r2 retry-failures; } | pm-store --db retry.db >/dev/null 2>&1 &&
	run pm-summary --status --db retry.db --now "$(later 120)" --json && expect_status 0 &&
	jq -e ".level == \"fresh\" and (.flows[] | select(.flow == \"retry-failures\") |
		.level == \"fresh\" and .runs == 1 and .fresh_seconds == 86400 and
		.stale_seconds == 172800)" out >/dev/null &&
	run "$TOP/pipelines.sh" status --db retry.db --env-file /dev/null --now "$(later 120)" &&
	expect_status 0 &&
	run pm-summary --status --db retry.db --flow retry-failures --now "$(later 1500)" &&
	expect_status 4 && test_grep "fresh under 1d 0h, stale under 2d 0h$" out
'

# price TS: a price record at TS
# price TS [SIDE]: a price record of token t1 (a history point)
price() {
	jq -cn --arg ts "$1" --arg side "${2:-history}" '{kind:"price",
		token_id:"t1", market_id:"m1", outcome:"Yes", side:$side, ts:$ts,
		price:0.5}'
}

# pm-store refuses such times now (t0160): an older build stored them.
old_row() {
	sqlite3 p.db "INSERT INTO price_history (token_id, side, ts, price) VALUES (\"t1\", \"history\", \"$1\", 0.5)"
}

# The static and delta flows fetch current prices too (pm-fetch prices):
# their quotes kept a prices flow stopped three days ago fresh, exit 0.
# Its data is the history: points, and fetches of prices-history.
test_expect_success 'a stopped prices flow: the quotes of static and delta keep it no fresher' '
	{ rec_run_start r1 prices; price 2026-12-01T00:00:00Z; } |
		pm-store --db h.db >/dev/null 2>&1 &&
	{ rec_run_start r2 delta; price 2026-12-04T11:55:00.000Z mid;
	  price 2026-12-04T11:55:00.000Z buy; } | pm-store --db h.db >/dev/null 2>&1 &&
	rec_fetched 2026-12-04T11:55:00.000Z prices "{\"t1\":{\"BUY\":\"0.5\"}}" clob |
		pm-store --db h.db >/dev/null 2>&1 &&
	run pm-summary --status --db h.db --flow prices --json --now 2026-12-04T12:00:00Z &&
	expect_status 5 &&
	jq -e ".level == \"very_stale\" and .last_update == \"2026-12-01T00:00:00Z\" and
		.flows[0].data_from == \"price_history\"" out >/dev/null &&
	rec_fetched 2026-12-04T11:58:00.000Z prices-history "{\"history\":[]}" clob |
		pm-store --db h.db >/dev/null 2>&1 &&
	run pm-summary --status --db h.db --flow prices --json --now 2026-12-04T12:00:00Z &&
	expect_status 0 &&
	jq -e ".level == \"fresh\" and .last_update == \"2026-12-04T11:58:00.000Z\" and
		.flows[0].data_from == \"raw_observations\"" out >/dev/null
'

test_expect_success 'a time after now is ignored however it is written; one that is no time gives way' '
	{ rec_run_start r1 prices; price 2026-12-01T00:00:00Z; } |
		pm-store --db p.db >/dev/null 2>&1 && old_row 2026-12-04T12:00:00-10:00 &&
	run pm-summary --status --db p.db --flow prices --json --now 2026-12-04T18:00:00Z &&
	expect_status 5 &&
	jq -e ".level == \"very_stale\" and .last_update == \"2026-12-01T00:00:00Z\"" out >/dev/null &&
	old_row "2026-12-04T12:30 junk" &&
	run pm-summary --status --db p.db --flow prices --json --now 2026-12-04T22:10:00Z &&
	expect_status 0 &&
	jq -e ".level == \"fresh\" and .last_update == \"2026-12-04T12:00:00-10:00\" and
		.age_seconds == 600" out >/dev/null
'

# What a flow fetched as pm-fetch lists it: Gamma markets 1 and 2 and
# their event, a Data API page of trades (empty: no new trades)
T0=2026-12-04T10:00:00.000Z
T50=2026-12-04T10:50:00.000Z
N55=2026-12-04T10:55:00Z
markets_at() {
	rec_fetched "$1" markets/keyset "$(gamma_market 1 e1 false "" 0.5 0.5)"
	rec_fetched "$1" markets/keyset "$(gamma_market 2 e1 false "" 0.25 0.75)"
}
events_at() { rec_fetched "$1" events/keyset '{"id":"e1","title":"E"}'; }
# stored DB RUN FLOW STREAM-MAKER...: a run of FLOW, normalized and stored
stored() {
	local db=$1 id=$2 flow=$3
	shift 3
	{ rec_run_start "$id" "$flow"; "$@"; } | pm-normalize 2>/dev/null |
		pm-store --db "$db" >/dev/null 2>"$TMP/store.err"
}
both_at() { markets_at "$1"; events_at "$1"; }
# at DB FLOW NOW: pm-summary --status --flow FLOW at NOW, JSON
at() { run pm-summary --status --db "$1" --flow "$2" --now "$3" --json; }

test_expect_success 'fetched again, unchanged: fresh from the fetch, not the row (static, delta, events)' '
	stored q.db r1 static both_at $T0 && stored q.db r2 static both_at $T50 &&
	test_grep " 1 inserted, 0 updated, 3 unchanged" "$TMP/store.err" &&
	test_eq "$T0 $T0" "$(sqlite3 q.db "SELECT MAX(fetched_at) FROM markets; SELECT MAX(fetched_at) FROM events" | paste -sd " ")" &&
	for flow in static delta events; do
		at q.db $flow $N55 && expect_status 0 &&
		jq -e ".level == \"fresh\" and .last_update == \"$T50\" and .age_seconds == 300 and
			.last_update_from == \"raw_observations\" and
			.flows[0].data_from == \"raw_observations\"" out >/dev/null || return 1
	done &&
	run pm-summary --status --db q.db --now $N55 && expect_status 0 &&
	test_grep "^status: fresh: last update $T50 (raw_observations), 5m ago" out &&
	test_grep "^  static *fresh *$T50 in raw_observations, 5m ago; 2 runs" out
'

test_expect_success 'a flow is as fresh as its own endpoints: markets fetched, events not; prices are no markets' '
	stored q.db r1 static both_at $T0 && stored q.db r2 delta markets_at $T50 &&
	rec_fetched $T50 prices "{\"1\":{\"BUY\":\"0.5\"}}" clob | pm-store --db q.db 2>/dev/null &&
	rec_fetched $T50 events/keyset "{\"id\":\"e2\"}" data | pm-store --db q.db 2>/dev/null &&
	at q.db static $N55 && expect_status 0 && jq -e ".last_update == \"$T50\"" out >/dev/null &&
	at q.db events $N55 && expect_status 4 &&
	jq -e ".level == \"stale\" and .last_update == \"$T0\" and .flows[0].data_from == \"events\"" out >/dev/null &&
	stored p.db r1 static both_at $T0 &&
	rec_fetched $T50 prices "{\"1\":{\"BUY\":\"0.5\"}}" clob | pm-store --db p.db 2>/dev/null &&
	at p.db static $N55 && expect_status 4 &&
	jq -e ".level == \"stale\" and .last_update == \"$T0\" and .last_update_from == \"markets\"" out >/dev/null
'

test_expect_success 'the fetches keep the rules: after now ignored, fetched_at not stored_at, else stored_at' '
	stored q.db r1 static both_at $T0 && stored q.db r2 static both_at $T50 &&
	stored q.db r3 static both_at 2026-12-04T12:00:00.000Z &&
	at q.db static $N55 && expect_status 0 &&
	jq -e ".last_update == \"$T50\" and .age_seconds == 300" out >/dev/null &&
	at q.db static 2026-12-04T12:10:00Z && expect_status 0 &&
	jq -e ".last_update == \"2026-12-04T12:00:00.000Z\"" out >/dev/null &&
	old=$(date -u -d "-3 hours" +%Y-%m-%dT%H:%M:%S.000Z) &&
	stored d.db r1 static both_at "$old" && stored d.db r2 static both_at "$old" &&
	run pm-summary --status --db d.db --flow static --json && expect_status 5 &&
	jq -e ".level == \"very_stale\" and .last_update == \"$old\"" out >/dev/null &&
	stored d.db r3 static markets_at "" &&
	test_grep " 1 inserted, 0 updated, 2 unchanged" "$TMP/store.err" &&
	test_eq 2 "$(sqlite3 d.db "SELECT count(*) FROM raw_observations WHERE fetched_at IS NULL AND run_id = '\''r3'\''")" &&
	run pm-summary --status --db d.db --flow static --json && expect_status 0 &&
	jq -e ".level == \"fresh\" and .age_seconds < 600 and .last_update_from == \"raw_observations\"" out >/dev/null &&
	run pm-summary --status --db d.db --flow events --json && expect_status 5
'

test_expect_success 'trades: an empty page fetched is fresh however old the last trade' '
	{ rec_run_start r1 trades
	  echo "{\"kind\":\"trade\",\"trade_key\":\"$(printf k1 | sha256sum | cut -d" " -f1)\",\"condition_id\":\"0xc1\",\"side\":\"BUY\",\"size\":1,\"price\":0.5,\"ts\":\"2026-12-04T10:00:00Z\"}"
	} | pm-store --db t.db 2>/dev/null &&
	at t.db trades $N55 && expect_status 4 &&
	{ rec_run_start r2 trades; rec_fetched $T50 trades "[]" data; } | pm-normalize | pm-store --db t.db 2>/dev/null &&
	at t.db trades $N55 && expect_status 0 &&
	jq -e ".last_update == \"$T50\" and .flows[0].data_from == \"raw_observations\"" out >/dev/null &&
	at t.db static $N55 && expect_status 5 && jq -e ".level == \"no_data\"" out >/dev/null
'

test_expect_success 'an empty database: no data, exit 5' '
	pm-store --db e.db </dev/null 2>/dev/null &&
	run pm-summary --status --db e.db --json && expect_status 5 &&
	jq -e ".level == \"no_data\" and .last_update == null and .age_seconds == null and
		.markets.total == 0 and .runs.listed == 0 and .runs.success_rate == null" out >/dev/null &&
	jq -S "del(.now)" out >empty.json &&
	: >blank.db &&
	run pm-summary --status --db blank.db && expect_status 5 &&
	test_grep "^status: no data (no pm-store tables)$" out &&
	# no tables at all: the same members, for a probe that reads them
	run pm-summary --status --db blank.db --json && expect_status 5 &&
	jq -S "del(.now)" out >blank.json &&
	test_cmp empty.json blank.json
'

test_expect_success 'only failed runs: no data, exit 5, the runs and failures shown' '
	for i in 1 2; do
		{ rec_run_start f$i static; echo "{\"kind\":\"raw\",\"source\":\"gamma\",\"payload\":{}}"; } |
			pm-store --db f.db >/dev/null 2>&1 || true
	done &&
	run pm-summary --status --db f.db --json && expect_status 5 &&
	jq -e ".level == \"no_data\" and .runs.listed == 2 and .runs.failed == 2 and
		.runs.success_rate == 0 and .failures.last_day == 2 and
		(.failures.recent | length) == 2 and .failures.recent[0].reason == \"bad_record\"" out >/dev/null &&
	run pm-summary --status --db f.db --failures 1 --runs 1 && expect_status 5 &&
	test_grep "^runs: last 1: 0 completed, 0 partial, 1 failed, 0 running; success rate 0%$" out &&
	test_num "$(grep -c " bad_record" out)" -eq 1
'

test_expect_success 'a run still going (no end stored yet) keeps the failures in a row' '
	for i in 1 2; do
		{ rec_run_start g$i static | jq -c ".started_at = \"2026-11-23T0$i:00:00Z\"";
		  echo "{\"kind\":\"raw\",\"source\":\"gamma\",\"payload\":{}}"; } |
			pm-store --db g.db >/dev/null 2>&1 || true
	done &&
	rec_run_start g3 static | jq -c ".started_at = \"2026-11-23T03:00:00Z\"" |
		pm-store --db g.db >/dev/null 2>&1 &&
	# the row of a run in progress, as pm-store keeps it until its end
	sqlite3 g.db "UPDATE processing_runs SET status = NULL, finished_at = NULL WHERE run_id = '\''g3'\''" &&
	run pm-summary --status --db g.db --flow static --json && expect_status 5 &&
	jq -e ".flows[0].runs == 3 and .flows[0].failed_runs == 2 and
		.flows[0].consecutive_failed_runs == 2 and .flows[0].last_run_status == \"running\" and
		.runs.running == 1" out >/dev/null &&
	run pm-summary --status --db g.db --flow static && expect_status 5 &&
	test_grep "^  static .*; 3 runs, 2 failed, 2 failed in a row$" out &&
	# its end breaks the streak when it did not fail
	sqlite3 g.db "UPDATE processing_runs SET status = '\''completed'\'' WHERE run_id = '\''g3'\''" &&
	run pm-summary --status --db g.db --flow static --json && expect_status 5 &&
	jq -e ".flows[0].consecutive_failed_runs == 0" out >/dev/null
'

test_expect_success 'DATABASE_URL names the database; a missing one exits 3' '
	filled d.db &&
	DATABASE_URL=d.db run pm-summary --status && expect_status 0 &&
	run pm-summary --status --db nosuch.db && expect_status 3 &&
	test_grep "^pm-summary: no database at nosuch.db; run a flow first$" err &&
	test ! -e nosuch.db
'

test_expect_success 'status reads, never writes' '
	filled d.db && cp d.db before.db &&
	run pm-summary --status --db d.db && cmp d.db before.db
'

test_expect_success 'status usage errors exit 2' '
	run pm-summary --status --fresh 5x && expect_status 2 &&
	run pm-summary --status --fresh 1h --stale 10m && expect_status 2 &&
	run pm-summary --status --now yesterday && expect_status 2 &&
	run pm-summary --status --runs -1 && expect_status 2 &&
	run pm-summary --status --json out.json && expect_status 2
'

test_expect_success 'an option of another mode: exit 2 naming it, never ignored' '
	filled d.db && cp d.db before.db &&
	for a in "--score --flow daily" "--score --now 2026-11-23T07:00:00Z" \
	    "--score --fresh 1h" "--score --runs 3" "--score --failures 3" \
	    "--score --status-path s.json" "--status --buckets 5" \
	    "--status --clamp 0.01" "--status --plot p.svg" \
	    "--status --wait 0" "--status --ttl 60" "--score --run-id r" \
	    "--hold daily --json" "--hold daily --flow daily" \
	    "--hold daily --buckets 5" "--score --notify http://127.0.0.1:9/" \
	    "--hold daily --notify http://127.0.0.1:9/"; do
		opt=${a#--* } && opt=${opt#daily } && opt=${opt%% *} &&
		run pm-summary --db d.db $a </dev/null && expect_status 2 &&
		test_grep "^pm-summary: $opt: only with --" err &&
		test_line_count err 1 && test ! -s out || { echo "$a"; return 1; }
	done &&
	test ! -e s.json && test ! -e p.svg && cmp d.db before.db &&
	: the options of each mode, all at once, are taken &&
	run pm-summary --db d.db --status --flow daily --fresh 1h --stale 2h \
	    --now 2026-11-23T08:00:00Z --runs 3 --failures 3 --json \
	    --status-path s.json && test -s s.json &&
	case $status in 0|4|5) ;; *) echo "status $status"; false ;; esac &&
	run pm-summary --db d.db --score --buckets 5 --clamp 0.01 --json \
	    --plot p.svg && expect_status 0
'

test_expect_success '--status-path - and --plot -: usage errors, no file named -' '
	filled d.db &&
	run pm-summary --status --db d.db --status-path - && expect_status 2 &&
	test_grep -x "pm-summary: --status-path -: standard output has the report (--json makes it this JSON): give a file" err &&
	test ! -s out &&
	run pm-summary --score --db d.db --plot - && expect_status 2 &&
	test_grep -x "pm-summary: --plot -: standard output has the report: give a file" err &&
	test ! -s out && test ! -e ./- &&
	run pm-summary --status --db d.db --status-path ./- && test -s ./-
'

test_expect_success 'a stored failure with control characters: shown as ?, never sent to the terminal' '
	filled d.db &&
	printf "%s\n" "{\"kind\":\"failure\",\"stage\":\"fetch\",\"reason\":\"http_error\",\"retriable\":true,\"market_id\":\"9\\u001b[31m\",\"input\":\"x:1\",\"detail\":\"a\\u001b]0;pwned\\u0007b\"}" |
		pm-store --db d.db >/dev/null 2>&1 &&
	run pm-summary --status --db d.db && expect_status 0 &&
	test_grep "9?\[31m.*a?\]0;pwned?b" out &&
	not grep -q "$(printf "[\033\007]")" out
'

test_expect_success '--now in the past: the report then, without the failures recorded or runs started after it' '
	# runs started at 06:00 and 08:00 of 2026-11-23, each with a failure
	# recorded as it was stored: 06:30, 08:30, and one stored now
	for i in 6 8; do
		{ rec_run_start s$i static | jq -c ".started_at = \"2026-11-23T0$i:00:00Z\"";
		  echo "{\"kind\":\"raw\",\"source\":\"gamma\",\"payload\":{}}"; } |
			pm-store --db n.db >/dev/null 2>&1 || true
		sqlite3 n.db "UPDATE processing_failures SET recorded_at = '\''2026-11-23T0$i:30:00.000Z'\'' WHERE run_id = '\''s$i'\''" || return 1
	done &&
	printf "%s\n" "{\"kind\":\"failure\",\"stage\":\"fetch\",\"reason\":\"http_error\",\"retriable\":true,\"market_id\":\"9\",\"input\":\"x:1\",\"detail\":\"d\"}" |
		pm-store --db n.db >/dev/null 2>&1 &&
	run pm-summary --status --db n.db --now 2026-11-23T07:00:00Z --json && expect_status 5 &&
	jq -e ".failures.last_day == 1 and [.failures.recent[].run_id] == [\"s6\"] and
		.runs.listed == 1 and .runs.last[0].run_id == \"s6\" and
		.flows[0].runs == 1 and .flows[0].consecutive_failed_runs == 1" out >/dev/null &&
	run pm-summary --status --db n.db --now 2026-11-23T08:30:00Z && expect_status 5 &&
	test_grep "^failures: 2 in the last day$" out &&
	test_grep "^runs: last 2: 0 completed, 0 partial, 2 failed, 0 running; success rate 0%$" out &&
	run pm-summary --status --db n.db --json && expect_status 5 &&
	jq -e ".failures.last_day == 1 and (.failures.recent | length) == 3 and .runs.listed == 2" out >/dev/null
'

test_expect_success 'the last day of failures: one recorded less than a day before --now counts, to the second' '
	{ rec_run_start d1 static; echo "{\"kind\":\"raw\",\"source\":\"gamma\",\"payload\":{}}"; } |
		pm-store --db day.db >/dev/null 2>&1 || true
	# recorded with its milliseconds, as pm-store records a failure
	sqlite3 day.db "UPDATE processing_failures SET recorded_at = '\''2026-11-23T06:30:00.250Z'\''" &&
	for now in 2026-11-24T06:29:59Z 2026-11-24T06:30:00Z; do
		run pm-summary --status --db day.db --now $now --json && expect_status 5 &&
		jq -e ".failures.last_day == 1 and (.failures.recent | length) == 1" out >/dev/null || return 1
	done &&
	run pm-summary --status --db day.db --now 2026-11-24T06:30:00Z && expect_status 5 &&
	test_grep "^failures: 1 in the last day$" out &&
	run pm-summary --status --db day.db --now 2026-11-24T06:30:01Z --json && expect_status 5 &&
	jq -e ".failures.last_day == 0 and (.failures.recent | length) == 1" out >/dev/null
'

test_expect_success '--help: the --status usage has every option of the man synopsis' '
	run pm-summary --help && expect_status 0 &&
	sed -n "/^       pm-summary --status/,/^       pm-summary --score/p" out >usage &&
	# the options of the synopsis block of --status, --notify aside (the
	# help says each mode takes it)
	sed -n "/^\.Fl -status$/,/^\.Nm$/p" "$TOP/man/pm-summary.1" |
		sed -n "s/^\.Op Fl -\([a-z-]*\).*/\1/p" | grep -vx notify >opts &&
	test_num "$(wc -l <opts)" -ge 9 &&
	while read -r o; do
		grep -q -- "\[--$o[] ]" usage || { say "--$o missing"; return 1; }
	done <opts
'

test_expect_success 'PM_NOTIFY_URL is left alone by --score and --hold, which post nothing' '
	filled d.db &&
	PM_NOTIFY_URL=hooks.invalid/no-scheme run pm-summary --score --db d.db &&
	expect_status 0 && test ! -s err &&
	echo | PM_NOTIFY_URL=hooks.invalid/no-scheme run pm-summary --hold static --db d.db &&
	expect_status 0 && test_grep "^locked$" out && test ! -s err &&
	PM_NOTIFY_URL=hooks.invalid/no-scheme run pm-summary --status --db d.db &&
	expect_status 2 && test_grep "PM_NOTIFY_URL: not an http" err
'

test_done
