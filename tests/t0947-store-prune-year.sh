#!/bin/bash
# pm-store --prune-before after a year of cron: what a data engineer's
# monthly prune meets.  On PostgreSQL the prune reads every table once,
# whatever its size: a NOT IN list larger than work_mem was scanned again
# for every fetch (a year of price history: hours, the stores locked out
# meanwhile).  The same bytes fetched in January and again in June, the
# January fetch stored again in July (a dump replayed): ClickHouse kept
# the fetch stored last, January's, so a prune before March deleted a
# payload fetched in June once the server had merged; the three engines
# now keep the same payloads.  And ClickHouse kept a payload that only an
# older version of a row, not merged away yet, named: a market's January
# payload after June's, or a January dump replayed, stayed (0 removed)
# until the server merged.  A fetch in the second after a whole-second
# cut, its time written with milliseconds as pm-fetch writes it, is not
# fetched before the cut.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/ch.sh"
pg_start
ch_start prune || { say "$CH_ERR"; exit 1; }

# psql on database $1, the rest its -c commands
sql() { local d=$1; shift; printf -- '-c\0%s\0' "$@" | xargs -0 psql -X -q -v ON_ERROR_STOP=1 "$d" >/dev/null; }

test_expect_success 'PostgreSQL: the prune reads each table once, the lists larger than work_mem' '
	pg_ready && url=$(pg_newdb plan) && pm-store --db "$url" </dev/null &&
	sql "$url" "ALTER DATABASE plan SET work_mem = '\''64kB'\''" \
	    "ALTER DATABASE plan SET session_preload_libraries = '\''auto_explain'\''" \
	    "ALTER DATABASE plan SET auto_explain.log_min_duration = 0" \
	    "ALTER DATABASE plan SET auto_explain.log_analyze = on" \
	    "ALTER DATABASE plan SET auto_explain.log_timing = off" \
	    "INSERT INTO raw_payloads SELECT md5(i::text) || md5((-i)::text),
	        NULL, convert_to(i::text, '\''UTF8'\'') FROM generate_series(1, 3000) i" \
	    "INSERT INTO raw_observations (sha256, source, endpoint, url, fetched_at,
	        stored_at) SELECT sha256, '\''clob'\'', '\''prices-history'\'', '\''u'\'',
	        '\''2026-01-05T00:00:00.000Z'\'', '\''x'\'' FROM raw_payloads" \
	    "INSERT INTO price_history SELECT '\''t'\'' || i, '\''history'\'',
	        '\''2026-01-05T00:00:00Z'\'', 0.5, '\''m'\'', '\''Yes'\'',
	        md5(i::text) || md5((-i)::text), NULL FROM generate_series(1, 3000, 2) i" \
	    "ANALYZE" &&
	log=$PG_DIR/server.log && from=$(wc -l <"$log") &&
	run pm-store --db "$url" --prune-before 2026-02-01 -N && expect_status 0 &&
	test_grep "^pm-store: 1500 raw payload versions fetched before 2026-02-01 would go" err &&
	run pm-store --db "$url" --prune-before 2026-02-01 && expect_status 0 &&
	test_grep "^pm-store: 1500 raw payload versions fetched before 2026-02-01 removed" err &&
	test_eq 1500 "$(psql -X -At "$url" -c "SELECT count(*) FROM raw_payloads")" &&
	tail -n +"$((from + 1))" "$log" >plans &&
	test_grep "Query Text: DELETE FROM raw_payloads" plans &&
	test_grep -E -v "actual rows=[1-9][0-9]* loops=([2-9]|[1-9][0-9]+)" plans
'

sha() { printf '%s' "$1" | sha256sum | cut -c1-64; }
# fetched TIME PAYLOAD [MARKET]: a fetch of PAYLOAD at TIME, and the
# record of MARKET made from it
fetched() {
	rec_fetched "$1" markets "$2"
	[ -z "${3:-}" ] ||
	    rec_market "$3" question="$2" raw_sha256="$(sha "$2")" fetched_at="$1"
}
A='{"a": 1}' B='{"b": 2}' C='{"c": 3}' D='{"d": 4}'
# January: A, a market of A; June: B, the market now of B, A again
fetched 2026-01-05T00:00:00.000Z "$A" m1 >"$TMP/jan.ndjson"
{
	fetched 2026-06-05T00:00:00.000Z "$B" m1
	fetched 2026-06-06T00:00:00.000Z "$A"
} >"$TMP/jun.ndjson"
# m2 of payload C in January, of D in June: C is named by no row then
fetched 2026-01-05T00:00:00.000Z "$C" m2 >"$TMP/jan2.ndjson"
fetched 2026-06-05T00:00:00.000Z "$D" m2 >"$TMP/jun2.ndjson"

# year URL: January, June, then January again, each as a run stores it
year() {
	for f in jan jun jan; do
		pm-store --db "$1" "$TMP/$f.ndjson" >/dev/null 2>&1 || return 1
	done
}

# payloads URL: the raw export as fetch time, sha256, payload's bytes
payloads() {
	pm-store --db "$1" --export raw | jq -r '"\(.fetched_at) \(.sha256)"' | sort
}

test_expect_success 'a payload fetched again after the cut, its old fetch stored last: kept, on all three engines' '
	ch_query "CREATE DATABASE y" && ch="clickhouse://127.0.0.1:${CH_HTTP##*:}/y" &&
	pg=$(pg_newdb year) &&
	for u in sqlite:y.db "$pg" "$ch"; do year "$u" || return 1; done &&
	cq() { curl -sf --data-binary "$1" "$CH_HTTP/?database=y"; } &&
	printf "%s %s\n" 2026-01-05T00:00:00.000Z "$(sha "$A")" \
	    2026-06-05T00:00:00.000Z "$(sha "$B")" 2026-06-06T00:00:00.000Z "$(sha "$A")" |
	    sort >want-sql &&
	payloads sqlite:y.db >got && test_cmp want-sql got &&
	payloads "$pg" >got && test_cmp want-sql got &&
	printf "%s %s\n" 2026-06-05T00:00:00.000Z "$(sha "$B")" \
	    2026-06-06T00:00:00.000Z "$(sha "$A")" | sort >want &&
	payloads "$ch" >got && test_cmp want got &&
	cq "OPTIMIZE TABLE raw_responses FINAL" &&
	# ClickHouse counts payloads (pm-store(1)): the fetch of A kept is June
	for u in "sqlite:y.db 1" "$pg 1" "$ch 0"; do
		set -- $u &&
		run pm-store --db "$1" --prune-before 2026-03-01 && expect_status 0 &&
		test_grep "^pm-store: $2 raw payload versions fetched before 2026-03-01 removed" err &&
		payloads "$1" >got && test_cmp want got || return 1
	done &&
	for u in sqlite:y.db "$pg" "$ch"; do
		pm-store --db "$u" --export raw >raw &&
		test_grep -F "\"payload\":$A" raw && test_grep -F "\"payload\":$B" raw || return 1
	done
'

test_expect_success 'ClickHouse: a payload only an older version of a row names goes, merged or not, as on SQLite' '
	ch_query "CREATE DATABASE v" && ch="clickhouse://127.0.0.1:${CH_HTTP##*:}/v" &&
	pm-store --db "$ch" </dev/null >/dev/null 2>&1 &&
	ch_query "SYSTEM STOP MERGES v.markets" &&
	test_when_finished "ch_query \"SYSTEM START MERGES v.markets\"" &&
	for u in sqlite:v.db "$ch"; do
		for f in jan2 jun2; do
			pm-store --db "$u" "$TMP/$f.ndjson" >/dev/null 2>&1 || return 1
		done
		# a dump of January replayed after the prune: the same again
		for f in "" jan2; do
			if [ -n "$f" ]; then pm-store --db "$u" "$TMP/$f.ndjson" >/dev/null 2>&1 || return 1; fi
			run pm-store --db "$u" --prune-before 2026-03-01 && expect_status 0 &&
			test_grep "^pm-store: 1 raw payload versions fetched before 2026-03-01 removed" err &&
			payloads "$u" >got &&
			echo "2026-06-05T00:00:00.000Z $(sha "$D")" >want &&
			test_cmp want got || return 1
		done
	done &&
	test_eq 3 "$(curl -sf --data-binary "SELECT count() FROM markets" "$CH_HTTP/?database=v")" "rows of m2, none merged"
'

# $1: a database URL: fetches just before, at and after the cut
cut_check() {
	for t in 2026-02-28T23:59:59.999Z 2026-03-01T00:00:00.000Z 2026-03-01T00:00:00.500Z; do
		rec_fetched "$t" markets "{\"t\":\"$t\"}"
	done | pm-store --db "$1" >/dev/null 2>&1 &&
	run pm-store --db "$1" -N --prune-before 2026-03-01T00:00:00.5Z && expect_status 0 &&
	test_grep "^pm-store: 2 raw payload versions fetched before 2026-03-01T00:00:00.5Z would go" err &&
	run pm-store --db "$1" --prune-before 2026-03-01 && expect_status 0 &&
	test_grep "^pm-store: 1 raw payload versions fetched before 2026-03-01 removed" err &&
	pm-store --db "$1" --export raw | jq -r .fetched_at | sort >got &&
	printf "%s\n" 2026-03-01T00:00:00.000Z 2026-03-01T00:00:00.500Z >want &&
	test_cmp want got
}

test_expect_success 'a fetch at or just after the cut is not before it: SQLite, PostgreSQL, ClickHouse' '
	ch_query "CREATE DATABASE c" && cut_check sqlite:c.db &&
	cut_check "$(pg_newdb cut)" && cut_check "clickhouse://127.0.0.1:${CH_HTTP##*:}/c"
'

test_done
