#!/bin/bash
# pm-store --prune-before after a year of cron: what a data engineer's
# monthly prune meets.  On PostgreSQL the prune reads every table once,
# whatever its size: a NOT IN list larger than work_mem was scanned again
# for every fetch (a year of price history: hours, the stores locked out
# meanwhile).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
pg_start

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

test_done
