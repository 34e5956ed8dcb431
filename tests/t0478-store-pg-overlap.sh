#!/bin/bash
# pm-store's PostgreSQL replay does not wait for a full batch's COMMIT:
# the next batch goes to the server behind it while it is in flight.  When
# the batch in flight fails (a row refused mid-way, or the COMMIT itself
# refused by a deferred trigger), the batch behind it must not commit
# before it: it is rolled back, the failed one stored record by record,
# then the next one applied again.  Records of the next batches rewrite
# keys of the failed ones; the rows, the statuses and the output must be
# those of storing one batch after the other (SQLite, which does not
# overlap, with triggers refusing the same records), every record
# annotated once, in input order; directly and through PgBouncer in
# transaction mode.  And the connection lost while batches are in flight:
# every record stored, reported once; and a pooled pm-store waiting for
# input holds no server connection (issue 18).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
pg_start
pgbouncer_start
N=2500

# 2 records a market, 2000 a batch: batch 1 has market 990 (in its last
# chunk, sent with the COMMIT: a question the
# server refuses at once), batch 2 market 1500 (one it refuses at COMMIT);
# early in batch 2, markets 50-60 and 990 again, changed; early in batch 3,
# markets 1400 and 1500 again, changed
python3 "$TOP/bench/gen-markets.py" $N | pm-normalize 2>/dev/null |
    python3 -c '
import json, sys
k = 0
again = {}
def out(r):
    print(json.dumps(r, separators=(",", ":")))
for line in sys.stdin:
    r = json.loads(line)
    if r["kind"] == "market":
        k += 1
        if k in list(range(50, 61)) + [990, 1400, 1500]:
            again[k] = dict(r, question="V2 " + r["question"])
        if k == 990:
            r["question"] = "BOOM " + r["question"]
        if k == 1500:
            r["question"] = "LATE " + r["question"]
    out(r)
    if r["kind"] == "market" and k == 1010:
        for m in list(range(50, 61)) + [990]:
            out(again[m])
    if r["kind"] == "market" and k == 2010:
        for m in (1400, 1500):
            out(again[m])' >"$TMP/in.ndjson"
RECORDS=$(wc -l <"$TMP/in.ndjson")

# pg_refusing's database, that also refuses a question starting "LATE",
# but only at COMMIT
refusing() {
	pg_refusing "$1" && psql -X -q -v ON_ERROR_STOP=1 "$(pg_url_via "$1" direct)" \
	    -c "CREATE FUNCTION no_late() RETURNS trigger LANGUAGE plpgsql AS
		\$\$ BEGIN IF NEW.question LIKE 'LATE%' THEN
		RAISE EXCEPTION 'no_late'; END IF; RETURN NULL; END \$\$" \
	    -c "CREATE CONSTRAINT TRIGGER no_late AFTER INSERT OR UPDATE ON markets
		DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION no_late()"
}

# what a record's output says: its status, the record as it came
shape() {
	grep -v '^{"kind":"failure"' "$1" | sed 's/,"stored":"\([a-z]*\)"}$/} \1/'
}

test_expect_success 'reference: SQLite refusing the same records' '
	pm-store --db "$TMP/ref.db" </dev/null >/dev/null 2>&1 &&
	sqlite3 "$TMP/ref.db" "CREATE TRIGGER no_i BEFORE INSERT ON markets
		WHEN NEW.question LIKE '\''BOOM%'\'' OR NEW.question LIKE '\''LATE%'\''
		BEGIN SELECT RAISE(ABORT, '\''no'\''); END;
	    CREATE TRIGGER no_u BEFORE UPDATE ON markets
		WHEN NEW.question LIKE '\''BOOM%'\'' OR NEW.question LIKE '\''LATE%'\''
		BEGIN SELECT RAISE(ABORT, '\''no'\''); END;" &&
	run pm-store --db "$TMP/ref.db" "$TMP/in.ndjson" && expect_status 1 &&
	test_count failure out 2 &&
	shape out >"$TMP/ref.shape" &&
	sed "s/ [a-z]*$//" "$TMP/ref.shape" >"$TMP/ref.records" && test_cmp "$TMP/in.ndjson" "$TMP/ref.records" &&
	grep -o "\"input\":\"[^\"]*\"" out >"$TMP/ref.failed" &&
	sqlite3 "$TMP/ref.db" "SELECT market_id, question FROM markets ORDER BY 1" >"$TMP/ref.rows" &&
	test "$(grep -c "|V2 " "$TMP/ref.rows")" -eq 14 && test_grep -v -E "[|](BOOM|LATE)" "$TMP/ref.rows"
'

for via in direct pgbouncer; do
	test_expect_success "$via: a failed batch in flight, the next one behind it: as one after the other" '
		pgb_ready && refusing "o_$via" && u=$(pg_url_via "o_$via" "$via") &&
		run pm-store --db "$u" "$TMP/in.ndjson" && expect_status 1 &&
		test_count failure out 2 &&
		shape out >pg.shape && test_cmp "$TMP/ref.shape" pg.shape &&
		grep -o "\"input\":\"[^\"]*\"" out >pg.failed && test_cmp "$TMP/ref.failed" pg.failed &&
		test_grep "violates check constraint .*no_boom" out &&
		test_grep "no_late" out &&
		test_grep "$RECORDS records: .* 2 failed" err &&
		psql -X -A -t -F"|" "$u" -c "SELECT market_id, question FROM markets ORDER BY 1" >pg.rows &&
		test_cmp "$TMP/ref.rows" pg.rows
	'
done

# the server's backend terminated while batches are in flight: pm-store
# connects again, stores every batch whose COMMIT was not answered again,
# and reports every record once, in input order
python3 "$TOP/bench/gen-markets.py" 8000 | pm-normalize 2>/dev/null >"$TMP/big.ndjson"
test_expect_success 'direct: the connection lost with a batch in flight: all stored, each record reported once' '
	u=$(pg_newdb o_kill) && pm-store --db "$u" </dev/null >/dev/null 2>&1 || exit 1
	{ pm-store --db "$u" "$TMP/big.ndjson" >out 2>err; echo $? >status; } &
	n=0
	for _ in $(seq 200); do
		n=$(psql -X -A -t "$u" -c "SELECT count(*) FROM markets") &&
		[ "$n" -gt 0 ] && break
		sleep 0.05
	done &&
	test "$n" -gt 0 && test "$n" -lt 8000 &&
	psql -X -A -t "$PG_URL" -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '\''o_kill'\''" >killed &&
	wait && test "$(cat status)" = 0 && test "$(cat killed)" -ge 1 &&
	shape out | sed "s/ [a-z]*$//" >records && test_cmp "$TMP/big.ndjson" records &&
	test "$(psql -X -A -t "$u" -c "SELECT count(*) FROM markets")" -eq 8000 &&
	test "$(psql -X -A -t "$u" -c "SELECT count(*) FROM contracts")" -eq 16000
'

# the server connection of a pooled pm-store that waits for input is the
# pool's again: its batches committed and the pipeline synced (no
# backend left in a transaction or an unsynced pipeline)
test_expect_success 'pgbouncer: waiting for input, the server connection back to the pool' '
	pgb_ready && u=$(pg_newdb o_idle) && pm-store --db "$u" </dev/null >/dev/null 2>&1 &&
	mkfifo in && { pm-store --db "$(pgb_url o_idle)" <in >out 2>err & } &&
	exec 3>in && head -n 4500 "$TMP/big.ndjson" >&3 &&
	for _ in $(seq 600); do
		test "$(wc -l <out)" -ge 4500 && break
		sleep 0.05
	done &&
	psql -X -A -t "$PG_URL" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '\''o_idle'\'' AND state <> '\''idle'\''" >busy
	exec 3>&-
	wait && test "$(wc -l <out)" -eq 4500 && test "$(cat busy)" = 0
'

test_expect_success 'pgbouncer: nothing left prepared on the pool' '
	pgb_ready &&
	pgb_held "$(pgb_url o_pgbouncer)" >held &&
	test "$(wc -l <held)" -eq 2 && test "$(cut -d" " -f2 held | sort -u)" = 0
'
test_done
