#!/bin/bash
# pm-store behind PgBouncer in transaction mode prepares its bulk
# statements once per transaction (named, parsed ahead of their first
# chunk) and deallocates them in the round trip that ends it: nothing
# prepared outlives a transaction on a pooled server connection, not
# after a commit, not after a batch whose statement the server refused
# (rolled back, then stored record by record), and two clients on the same
# pool do not meet each other's statements (issue 18).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
pg_start
pgbouncer_start
N=600

# market 100 asks a question the server will refuse (its statement parsed,
# then refused), market 300 a contract (in the second chunk)
python3 "$TOP/bench/gen-markets.py" $N | pm-normalize 2>/dev/null |
    python3 "$TESTS_DIR/mark-markets.py" q:100 c:300 >"$TMP/in.ndjson"

# the server logs every statement, named or not, from here on
psql -X -q "$PG_URL" -c "ALTER SYSTEM SET log_statement = 'all'" \
    -c "SELECT pg_reload_conf()" >/dev/null

test_expect_success 'a batch refused mid-way: rolled back, stored record by record, nothing left prepared' '
	pgb_ready && pg_refusing fail && u=$(pg_url_via fail direct) &&
	: >"$PG_DIR/server.log" &&
	run pm-store --db "$(pgb_url fail)" "$TMP/in.ndjson" && expect_status 1 &&
	test_grep "$((2 * N)) records: $((2 * N - 2)) inserted, 0 updated, 0 unchanged, 0 duplicate, 0 skipped, 2 failed" err &&
	test "$(grep -c "violates check constraint .*no_boom" out)" -eq 2 &&
	test "$(psql -X -A -t "$u" -c "SELECT count(*) FROM markets")" -eq $((N - 2)) &&
	test "$(psql -X -A -t "$u" -c "SELECT count(*) FROM contracts")" -eq $((2 * N - 4)) &&
	grep -E "execute pm[0-9]+_[0-9]+: WITH ins AS \(INSERT INTO markets" "$PG_DIR/server.log" >named &&
	test_grep "statement: ROLLBACK;DEALLOCATE pm" "$PG_DIR/server.log" &&
	test_grep "statement: DEALLOCATE pm.*;COMMIT" "$PG_DIR/server.log" &&
	pgb_held "$(pgb_url fail)" >held &&
	test "$(wc -l <held)" -eq 2 && test "$(cut -d" " -f1 held | sort -u | wc -l)" -eq 2 &&
	test "$(cut -d" " -f2 held | sort -u)" = 0
'

test_expect_success 'two clients on one pool at once: each stores its own, nothing left prepared' '
	pgb_ready && u=$(pg_newdb two) && pm-store --db "$u" </dev/null >/dev/null 2>&1 &&
	sed -n "1,600p" "$TMP/in.ndjson" >a.ndjson &&
	sed -n "601,\$p" "$TMP/in.ndjson" >b.ndjson &&
	{ pm-store --db "$(pgb_url two)" a.ndjson >a.out 2>a.err & } &&
	pm-store --db "$(pgb_url two)" b.ndjson >b.out 2>b.err && wait &&
	test_grep "600 records: 600 inserted, 0 updated, 0 unchanged, 0 duplicate, 0 skipped, 0 failed" a.err &&
	test_grep "600 records: 600 inserted, 0 updated, 0 unchanged, 0 duplicate, 0 skipped, 0 failed" b.err &&
	test "$(psql -X -A -t "$u" -c "SELECT count(*) FROM markets")" -eq $N &&
	test "$(psql -X -A -t "$u" -c "SELECT count(*) FROM contracts")" -eq $((2 * N)) &&
	pgb_held "$(pgb_url two)" >held &&
	test "$(cut -d" " -f2 held | sort -u)" = 0
'
test_done
