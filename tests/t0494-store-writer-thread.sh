#!/bin/bash
# Into SQLite, the rows of raw and market records are written by a thread
# of their own while pm-store reads on: what it stores and what it says
# of each record must be what storing the records one at a time gives.
# Statuses come back per record (a payload twice, a market inserted then
# changed then repeated in one batch); other kinds and bad records, written
# in line, wait for the thread and keep the input's order; an error in the
# thread's rows fails only its record, the batch replayed in line.
. "$(dirname "$0")/lib.sh"

# 150 real markets, raw and normalized (the thread's groups are 64 ops)
jq -c '.[]' "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json |
    jq -c 'range(2) as $k | .id = "\(.id)\($k)" | .slug = "\(.slug)-\($k)"' |
    head -150 | pm-normalize >"$TMP/base.ndjson"
M=$(jq -r 'select(.kind == "market") | .market_id' "$TMP/base.ndjson" | sed -n 3p)

# the stream: the markets, then one of them changed and the same again,
# a raw record again, an event, a bad market and a bad line among them
{
	sed -n 1,100p "$TMP/base.ndjson"
	rec_market "$M" question=changed
	echo '{"kind":"market","market_id":"no source"}'
	rec_market "$M" question=changed
	sed -n 1p "$TMP/base.ndjson"
	echo 'not json'
	echo '{"kind":"event","source":"polymarket","event_id":"e1","title":"E"}'
	rec_market m9 'contracts:=[{"outcome":"Yes","token_id":"t9","price":0.5}]'
	sed -n '101,$p' "$TMP/base.ndjson"
} >"$TMP/in.ndjson"

test_expect_success 'the stream stored whole: as stored one record at a time' '
	run pm-store --db "$TMP/whole.db" "$TMP/in.ndjson" && expect_status 1 &&
	cp out "$TMP/whole.out" &&
	test_grep " 1 updated, 1 unchanged, 1 duplicate, 0 skipped, 2 failed" err &&
	: >each.out &&
	while IFS= read -r line; do
		printf "%s\n" "$line" | pm-store --db each.db >>each.out 2>/dev/null
	done <"$TMP/in.ndjson" &&
	jq -c "del(.input)" each.out >each.cmp &&
	jq -c "del(.input)" "$TMP/whole.out" >whole.cmp &&
	test_cmp each.cmp whole.cmp &&
	sqlite_rows each.db >each.rows && sqlite_rows "$TMP/whole.db" >whole.rows &&
	test_cmp each.rows whole.rows
'

test_expect_success 'statuses in order: inserted, updated, failed, unchanged, duplicate' '
	test_eq "inserted inserted updated failed unchanged duplicate" "$(jq -r \
	    "select(.kind == \"market\" and .market_id == \"$M\" or
	    .kind == \"raw\" and .sha256 == \"$(sed -n 1p "$TMP/base.ndjson" |
	    jq -r .sha256)\" or .market_id == \"no source\") | .stored" \
	    "$TMP/whole.out" | tr "\n" " " | sed "s/ $//")" &&
	test_eq "$(jq -c "select(.kind == \"failure\") | .input" "$TMP/whole.out" |
	    tr "\n" " ")" "\"$TMP/in.ndjson:102\" \"$TMP/in.ndjson:105\" "
'

test_expect_success 'a contract the database refuses: its market fails, the rest stored' '
	pm-store --db f.db </dev/null >/dev/null 2>&1 &&
	sqlite3 f.db "CREATE TRIGGER no_contract BEFORE INSERT ON contracts
	    WHEN NEW.token_id = '\''t9'\'' BEGIN
	    SELECT RAISE(ABORT, '\''refused for the test'\''); END" &&
	run pm-store --db f.db "$TMP/in.ndjson" && expect_status 1 &&
	test_grep " 3 failed" err &&
	test_eq "store_failed refused for the test" "$(jq -r "select(.kind ==
	    \"failure\" and .input == \"$TMP/in.ndjson:107\") |
	    \"\\(.reason) \\(.detail)\"" out)" &&
	test_eq "$(jq -c "del(.stored)" out | grep -v "\"m9\"" |
	    grep -v "^{\"kind\":\"failure\"")" \
	    "$(jq -c "del(.stored)" "$TMP/whole.out" | grep -v "\"m9\"" |
	    grep -v "^{\"kind\":\"failure\"")" &&
	test_eq "$(jq -c "select(.stored and .market_id != \"m9\") | .stored" out)" \
	    "$(jq -c "select(.stored and .market_id != \"m9\") | .stored" "$TMP/whole.out")" &&
	test_eq 0 "$(sqlite3 f.db "SELECT count(*) FROM markets
	    WHERE market_id = '\''m9'\''")" &&
	test_eq 150 "$(sqlite3 f.db "SELECT count(*) FROM markets")"
'

test_done
