#!/bin/bash
# Times are times (pm-records(5)): pm-store refuses a record whose time
# member is not one in the form the tools write, YYYY-MM-DDTHH:MM:SS, a
# fraction or none, Z ("yesterday", 2026-13-45, a number, a date alone,
# an offset, a space for the T, no zone), a bad_record saying which
# member, its neighbours stored, on SQLite, PostgreSQL and ClickHouse
# alike.  What pm-normalize makes of the recorded API answers, and the
# dumps of old builds, store as before.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/ch.sh"
pg_start

BAD=('"yesterday"' '"2026-13-45T99:00:00Z"' 123 '"2026-12-04"'
    '"2026-12-04T10:00:00+02:00"' '"2026-12-04 10:00:00"'
    '"2026-12-04T10:00:00"' '"2026-02-30T10:00:00Z"'
    '"2026-12-04T10:00:00.Z"' '"2026-12-04t10:00:00z"')
GOOD=2026-12-04T10:00:00Z
KEY=$(printf k | sha256sum | cut -d" " -f1)
IS="is not a time (RFC 3339 in UTC: YYYY-MM-DDTHH:MM:SS[.fff]Z)"

price() { printf '{"kind":"price","token_id":"t1","side":"%s","price":0.5,"ts":%s}\n' "$1" "$2"; }
book() { printf '{"kind":"book","token_id":"t1","market_id":"m1","ts":%s,"bids":[{"level":0,"price":0.4,"size":1}],"asks":[]}\n' "$1"; }
trade() { printf '{"kind":"trade","trade_key":"%s","condition_id":"0x1","token_id":"t1","side":"BUY","size":1,"price":0.5,"ts":%s,"count":1}\n' "$1" "$2"; }
result() { rec_result v '{"m1":0.5}' | jq -c ".started_at = $1"; }

# Each bad record comes after a good one of its kind; fd 3: the member
# each names.  $1: nogroups, for ClickHouse (groups are stored elsewhere).
input() {
	local t n=0
	for t in "${BAD[@]}"; do
		n=$((n + 1))
		price buy "\"2026-12-04T10:00:0$((n % 10))Z\""; price sell "$t"
		echo ts >&3
	done
	price mid '"2026-12-04T10:00:00.123456789Z"'
	book "\"$GOOD\""; book '"2026-12-04T10:00:00+00:00"'; echo ts >&3
	trade "$KEY" "\"$GOOD\""; trade "${KEY%?}0" '"1764842400"'; echo ts >&3
	rec_market m1 close_time="$GOOD" fetched_at=2026-12-04T10:00:00.250Z
	rec_market m2 close_time=2026-12-04; echo close_time >&3
	rec_market m3 fetched_at="2026-12-04 10:00:00+00"; echo fetched_at >&3
	rec_market m4 resolved_at:=1764842400; echo resolved_at >&3
	rec_market m5 start_time=2026-12-04T10:00Z; echo start_time >&3
	rec_market m6 closed_time=2026-12-04T10:00:00-00:00; echo closed_time >&3
	rec_market m7 updated_at=now; echo updated_at >&3
	jq -cn '{kind:"event", source:"polymarket", event_id:"e1", start_time:"2026-12-04T10:00:00Z"}'
	jq -cn '{kind:"event", source:"polymarket", event_id:"e2", end_time:"2026-12-32T00:00:00Z"}'
	echo end_time >&3
	jq -cn '{kind:"event", source:"polymarket", event_id:"e3", updated_at:"2026-12-04T10:00:00+01:00"}'
	echo updated_at >&3
	rec_raw gamma markets '{}' '{"id":"1"}'
	rec_raw gamma markets '{}' '{"id":"2"}' | jq -c '.fetched_at = "2026-12-04T10:00:00+00:00"'
	echo fetched_at >&3
	rec_run_start r1 daily | jq -c '.started_at = "2026-11-23T08:00:00+01:00"'
	echo started_at >&3
	[ "${1:-}" != nogroups ] || return 0
	rec_group g1 null "$(rec_market g1m close_time="$GOOD")" |
	    jq -c --argjson r "$(result "\"$GOOD\"")" '.results = [$r]'
	rec_group g2 null "$(rec_market g2m close_time=2026-12-04T10:00:00.5+00:00)"
	echo close_time >&3
	rec_group g3 null "$(rec_market g3m)" |
	    jq -c --argjson r "$(result '"2026-11-23 07:00:00"')" '.results = [$r]'
	echo started_at >&3
	rec_group g4 null "$(rec_market m1 close_time="$GOOD")" |
	    jq -c --argjson r "$(result "\"$GOOD\"")" '.results = [$r |
		.lead = {m1: {close_time: "2026-12-04T11:00:00+01:00", lead_h: null}}]'
	echo "lead of market m1: close_time" >&3
}

# $1: a database URL; the failures said, the first also on stderr
check() {
	input "${2:-}" >in.ndjson 3>members &&
	sed "s/\$/ $IS/" members >want &&
	run pm-store --db "$1" in.ndjson && expect_status 1 &&
	jq -r "select(.kind == \"failure\") | select(.reason == \"bad_record\" and .retriable == false) | .detail" out >got &&
	test_cmp want got &&
	test_grep -F "pm-store: in.ndjson:2: ts $IS" err &&
	test_grep "$(wc -l <want) failed" err
}

# $1: a database URL; the rows of the good records
rows() {
	{ db_dump "$1" | jq -r ".[0]"
	  for t in books trades; do
		case $1 in
		postgres*) n=$(psql -X -A -t "$1" -c "SELECT count(*) FROM $t") ;;
		*) n=$(sqlite3 "${1#sqlite:}" "SELECT count(*) FROM $t") ;;
		esac
		for _ in $(seq "$n"); do echo $t; done
	  done; } | sort | uniq -c |
	    grep -E " (price_history|books|trades|markets|events|raw_responses|processing_runs|processed_events|experiment_results)\$" >got.rows &&
	want_rows | test_cmp - got.rows
}

want_rows() {
	cat <<-EOF
	      1 books
	      1 events
	      1 experiment_results
	      2 markets
	     11 price_history
	      1 processed_events
	      1 raw_responses
	      1 trades
	EOF
}

test_expect_success 'SQLite: each bad time a bad_record, the good records stored' '
	check sqlite:s.db && rows sqlite:s.db
'

test_expect_success 'PostgreSQL: the same' '
	pg_ready && url=$(pg_newdb times) && check "$url" && rows "$url"
'

test_expect_success 'ClickHouse: the same' '
	{ ch_start times || { say "$CH_ERR"; false; }; } &&
	ch_query "CREATE DATABASE t" && check "clickhouse://127.0.0.1:${CH_HTTP##*:}/t" nogroups &&
	for t in price_history:11 books:1 trades:1 markets:1 events:1 raw_responses:1; do
		test_eq "${t#*:}" "$(curl -sf --data-binary "SELECT count() FROM ${t%:*} FINAL" "$CH_HTTP/?database=t")" "${t%:*}"
	done
'

# raw records fetched at 18:30, 19:30, 20:30 and 23:30 on 2026-11-30
raws() {
	local h
	for h in 18 19 20 23; do
		rec_raw gamma markets '{}' "{\"id\":\"$h\"}" |
		    jq -c ".fetched_at = \"2026-11-30T$h:30:00.000Z\""
	done
}

# $1: a database URL: --prune-before with an offset cuts at its UTC time
prune_check() {
	raws | pm-store --db "$1" >/dev/null 2>&1 &&
	run pm-store --db "$1" -N --prune-before 2026-12-01T00:00:00+05:00 &&
	expect_status 0 && test_grep "1 raw payload versions fetched before 2026-11-30T19:00:00Z would go" err &&
	run pm-store --db "$1" --prune-before "2026-11-30 21:00:00+00" &&
	expect_status 0 && test_grep "3 raw payload versions fetched before 2026-11-30T21:00:00Z removed" err
}

test_expect_success '--prune-before a time with an offset: cut at that time, SQLite and PostgreSQL' '
	prune_check sqlite:p.db && pg_ready && prune_check "$(pg_newdb prune)"
'

test_expect_success '--prune-before a time with an offset: ClickHouse' '
	{ ch_start prune || { say "$CH_ERR"; false; }; } &&
	ch_query "CREATE DATABASE p" && prune_check "clickhouse://127.0.0.1:${CH_HTTP##*:}/p"
'

test_expect_success 'what pm-normalize makes of the recorded answers stores' '
	for f in "$FIXTURES"/gamma-markets-*.json; do
		case $f in *keyset*) jq -c ".markets[]" "$f" ;; *) jq -c ".[]" "$f" ;; esac
	done | pm-normalize -e markets >n.ndjson &&
	jq -c ".[]" "$FIXTURES"/gamma-events-bobaoxu2001-1.json | pm-normalize -e events >>n.ndjson &&
	run pm-store --db sqlite:n.db n.ndjson && expect_status 0 &&
	test_grep " 0 failed" err &&
	test_num "$(sqlite3 n.db "SELECT count(*) FROM markets WHERE close_time LIKE '\''____-__-__T__:__:__%Z'\''")" -gt 100
'

test_done
