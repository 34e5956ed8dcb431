#!/bin/bash
# pm-store's PostgreSQL bulk path (rows as array parameters, sent in chunks
# while the batch is read, libpq's pipeline mode): 1,100 markets (two
# batches, several chunks each) give the rows SQLite gives, directly and
# through PgBouncer in transaction mode; stored again nothing is inserted
# and no row is written again; markets that changed are updated and keep
# only the contracts they still have (issue 18).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
pg_start
pgbouncer_start
N=1100

python3 "$TOP/bench/gen-markets.py" $N | pm-normalize >"$TMP/in.ndjson" 2>/dev/null
# every seventh market asks another question and keeps one contract
python3 - "$TMP/in.ndjson" >"$TMP/changed.ndjson" <<'PY'
import json, sys
k = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["kind"] == "market":
        k += 1
        if k % 7 == 0:
            r["question"] += " (edited)"
            r["contracts"] = r["contracts"][:1]
    print(json.dumps(r, separators=(",", ":")))
PY
CHANGED=$((N / 7))

# versions DB: each market and contract row's version (xmin), sorted: the
# same after a run that wrote none of them again
versions() {
	psql -X -A -t -q "$1" -c "SELECT market_id || ' ' || xmin FROM markets
	    UNION ALL SELECT market_id || ':' || outcome_index || ' ' || xmin
	    FROM contracts" | LC_ALL=C sort
}

test_expect_success 'direct, through PgBouncer, SQLite: the same rows, every record inserted' '
	pgb_ready && direct=$(pg_newdb direct) && pg_newdb pooled >/dev/null &&
	pooled=$(pgb_url pooled) &&
	pm-store --db "$TMP/a.db" "$TMP/in.ndjson" >sq.out 2>sq.err &&
	run pm-store --db "$direct" "$TMP/in.ndjson" && expect_status 0 &&
	test_grep "$((2 * N)) records: $((2 * N)) inserted, 0 updated, 0 unchanged, 0 duplicate, 0 skipped, 0 failed" err &&
	test_cmp sq.out out && mv out direct.out &&
	run pm-store --db "$pooled" "$TMP/in.ndjson" && expect_status 0 &&
	test_grep "$((2 * N)) records: $((2 * N)) inserted, 0 updated" err &&
	test_cmp sq.out out &&
	db_dump "$TMP/a.db" >sq && db_dump "$direct" >one &&
	db_dump "$pooled" >two && test_cmp sq one && test_cmp one two &&
	test "$(grep -c "^\[\"markets\"" two)" -eq $N &&
	test "$(grep -c "^\[\"contracts\"" two)" -eq $((2 * N))
'

test_expect_success 'stored again through PgBouncer: nothing inserted, no row written again' '
	pgb_ready && pooled=$(pgb_url pooled) && versions "$pooled" >before &&
	db_dump "$pooled" >one &&
	run pm-store --db "$pooled" "$TMP/in.ndjson" && expect_status 0 &&
	test_grep "$((2 * N)) records: 0 inserted, 0 updated, $N unchanged, $N duplicate, 0 skipped, 0 failed" err &&
	test "$(grep -c "\"stored\":\"unchanged\"}$" out)" -eq $N &&
	versions "$pooled" >after && test_cmp before after &&
	db_dump "$pooled" >two && test_cmp one two
'

test_expect_success 'changed markets: updated, their contracts cut, as on SQLite' '
	pgb_ready && direct=$(pg_newdb direct) &&
	pooled=$(pgb_url pooled) &&
	pm-store --db "$direct" "$TMP/in.ndjson" >/dev/null 2>&1 &&
	pm-store --db "$TMP/a.db" "$TMP/changed.ndjson" >sq.out 2>sq.err &&
	test_grep " 0 inserted, $CHANGED updated, $((N - CHANGED)) unchanged, $N duplicate" sq.err &&
	for u in "$direct" "$pooled"; do
		run pm-store --db "$u" "$TMP/changed.ndjson" && expect_status 0 &&
		test_grep " 0 inserted, $CHANGED updated, $((N - CHANGED)) unchanged, $N duplicate, 0 skipped, 0 failed" err &&
		test_cmp sq.out out || exit 1
	done &&
	db_dump "$TMP/a.db" >sq && db_dump "$direct" >one &&
	db_dump "$pooled" >two && test_cmp sq one && test_cmp one two &&
	test "$(grep -c "^\[\"contracts\"" two)" -eq $((2 * N - CHANGED)) &&
	test "$(grep -c "(edited)" two)" -ge $CHANGED
'
test_done
