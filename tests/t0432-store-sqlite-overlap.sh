#!/bin/bash
# Into SQLite a full batch does not wait for its end: its payloads and its
# COMMIT go to the writer thread behind its rows, and the next batch is read
# (and its rows queued) meanwhile.  When the batch in flight fails (a row
# refused, or its COMMIT refused: a deferred foreign key), nothing of the
# next batch may go into its broken transaction: both are rolled back, the
# failed one is stored again record by record, then the next one again, so
# that every record is stored or reported, in the input's order, the rows
# are those of stores that never overlap (a batch at a time), and a market
# written in two batches ends as the later record says.
. "$(dirname "$0")/lib.sh"

# 20000 markets: 40000 records, batches of 16000 (two full, one at the
# end).  Market 2000's first contract is refused at COMMIT (batch 1), market
# 12000's question when written (batch 2, batch 1 in flight), market
# 18000's too (batch 3, not in flight); market 6000 (batch 1) comes again,
# changed, in batch 2.
N=20000
python3 "$TOP/bench/gen-markets.py" $N | pm-normalize 2>/dev/null |
    python3 "$TESTS_DIR/mark-markets.py" c:2000 q:12000,18000 >"$TMP/marked.ndjson"
{
	sed -n 1,24000p "$TMP/marked.ndjson"
	sed -n 12000p "$TMP/marked.ndjson" | jq -c '.question = "changed"'
	sed -n '24001,$p' "$TMP/marked.ndjson"
} >"$TMP/in.ndjson"
M=$(sed -n 12000p "$TMP/marked.ndjson" | jq -r .market_id)

# a database that refuses those markets: a question at once, a contract
# only when its transaction commits
refusing() {
	pm-store --db "$1" </dev/null >/dev/null 2>&1 &&
	sqlite3 "$1" "CREATE TABLE boom_parent (id TEXT PRIMARY KEY);
	    CREATE TABLE boom (id TEXT REFERENCES boom_parent (id)
	        DEFERRABLE INITIALLY DEFERRED);
	    CREATE TRIGGER boom_question BEFORE INSERT ON markets
	    WHEN NEW.question LIKE 'BOOM %' BEGIN
	        SELECT RAISE(ABORT, 'question refused for the test'); END;
	    CREATE TRIGGER boom_contract AFTER INSERT ON contracts
	    WHEN NEW.outcome = 'BOOM' BEGIN
	        INSERT INTO boom VALUES (NEW.token_id); END"
}

test_expect_success 'failures in and behind a batch in flight: each record stored or reported, in order' '
	refusing "$TMP/o.db" &&
	run pm-store --db "$TMP/o.db" "$TMP/in.ndjson" && expect_status 1 &&
	cp out "$TMP/o.out" &&
	test_grep "40001 records: 39997 inserted, 1 updated, 0 unchanged, 0 duplicate, 0 skipped, 3 failed" err &&
	test_count failure out 3 &&
	test_eq 3 "$(grep -c "\"stored\":\"failed\"}$" out)" &&
	for l in 4000 24000 36001; do
		test_grep "\"reason\":\"store_failed\",\"retriable\":true,\"input\":\"$TMP/in.ndjson:$l\"" out || exit 1
	done &&
	test_eq 1 "$(grep -c "FOREIGN KEY constraint failed" out)" &&
	test_eq 2 "$(grep -c "question refused for the test" out)" &&
	jq -c "select(.kind != \"failure\") | [.kind, .sha256, .market_id,
	    .question]" out >got &&
	jq -c "[.kind, .sha256, .market_id, .question]" "$TMP/in.ndjson" >want &&
	test_cmp want got
'

test_expect_success 'a market in two batches, the first failed in flight, ends as the second says' '
	test_eq changed "$(sqlite3 "$TMP/o.db" "SELECT question FROM markets
	    WHERE market_id = '\''$M'\''")" &&
	test_eq 19997 "$(sqlite3 "$TMP/o.db" "SELECT count(*) FROM markets")" &&
	test_eq 0 "$(sqlite3 "$TMP/o.db" "SELECT count(*) FROM boom")"
'

test_expect_success 'the rows and statuses of stores a batch at a time, never overlapping' '
	refusing one.db &&
	split -l 8000 "$TMP/in.ndjson" part. &&
	: >one.out &&
	for p in part.*; do
		pm-store --db one.db "$p" >>one.out 2>/dev/null
		test $? -le 1 || exit 1
	done &&
	who="[.kind, .sha256, .market_id, .stored, .reason, .detail]" &&
	jq -c "$who" one.out >one.cmp && jq -c "$who" "$TMP/o.out" >o.cmp &&
	test_cmp one.cmp o.cmp &&
	sqlite_rows one.db >one.rows && sqlite_rows "$TMP/o.db" >o.rows &&
	test_cmp one.rows o.rows
'

test_expect_success 'stored again once allowed: the failed ones in, nothing else moves' '
	sqlite3 "$TMP/o.db" "DROP TRIGGER boom_question;
	    DROP TRIGGER boom_contract" &&
	run pm-store --db "$TMP/o.db" "$TMP/in.ndjson" && expect_status 0 &&
	test_grep "40001 records: 3 inserted, 2 updated, 19996 unchanged, 20000 duplicate, 0 skipped, 0 failed" err
'

test_done
