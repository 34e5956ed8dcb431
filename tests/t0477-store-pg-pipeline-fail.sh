#!/bin/bash
# pm-store's PostgreSQL bulk path when the server refuses a row in a chunk
# sent while the batch was still read (the later chunks then never run):
# the batch is rolled back and stored again record by record, so exactly
# the records refused fail, each with its own position and the server's
# reason, and every other is stored; directly and through PgBouncer in
# transaction mode.  Stored again once the server takes them: the failed
# ones go in, nothing else moves (issue 18).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
pg_start
pgbouncer_start
N=600

# markets 100 and 520 (the first chunk and the last) ask a question the
# server will refuse, market 300 has a contract it will refuse
python3 "$TOP/bench/gen-markets.py" $N | pm-normalize 2>/dev/null |
    python3 "$TESTS_DIR/mark-markets.py" q:100,520 c:300 >"$TMP/in.ndjson"
# the lines of those markets in the input
LINES="200 600 1040"

for via in direct pgbouncer; do
	test_expect_success "$via: exactly the refused records fail, each at its line" '
		pgb_ready && pg_refusing "f_$via" && u=$(pg_url_via "f_$via" "$via") &&
		run pm-store --db "$u" "$TMP/in.ndjson" && expect_status 1 &&
		test_grep "$((2 * N)) records: $((2 * N - 3)) inserted, 0 updated, 0 unchanged, 0 duplicate, 0 skipped, 3 failed" err &&
		test_count failure out 3 &&
		for l in $LINES; do
			test_grep "\"reason\":\"store_failed\",\"retriable\":true,\"input\":\"$TMP/in.ndjson:$l\"" out || exit 1
		done &&
		test "$(grep -c "violates check constraint .*no_boom" out)" -eq 3 &&
		test "$(grep -c "\"stored\":\"inserted\"}$" out)" -eq $((2 * N - 3)) &&
		test "$(grep -c "\"stored\":\"failed\"}$" out)" -eq 3 &&
		test "$(psql -X -A -t "$u" -c "SELECT count(*) FROM markets")" -eq $((N - 3)) &&
		test "$(psql -X -A -t "$u" -c "SELECT count(*) FROM contracts")" -eq $((2 * N - 6)) &&
		test "$(psql -X -A -t "$u" -c "SELECT count(*) FROM raw_observations")" -eq $N &&
		test "$(psql -X -A -t "$u" -c "SELECT count(*) FROM markets WHERE question LIKE '\''BOOM%'\''")" -eq 0
	'

	test_expect_success "$via: taken once allowed: the failed ones in, nothing else moves" '
		pgb_ready && u=$(pg_url_via "f_$via" "$via") &&
		psql -X -q "$u" -c "ALTER TABLE markets DROP CONSTRAINT no_boom" \
		    -c "ALTER TABLE contracts DROP CONSTRAINT no_boom" &&
		run pm-store --db "$u" "$TMP/in.ndjson" && expect_status 0 &&
		test_grep "$((2 * N)) records: 3 inserted, 0 updated, $((N - 3)) unchanged, $N duplicate, 0 skipped, 0 failed" err &&
		test "$(psql -X -A -t "$u" -c "SELECT count(*) FROM contracts")" -eq $((2 * N))
	'
done
test_done
