#!/bin/bash
# A store whose output reader is gone (| head -1, a next stage that died)
# exits 3 and says why, also when the reader went before the last
# records were written: pm-store writes a record once it is committed,
# the last batch at the end, after its input was read whole.  Before,
# such a store stored every record and exited 3 without a word.  An
# output that fails otherwise (a full disk) stops the reading as well,
# which is said too.
. "$(dirname "$0")/lib.sh"

jq -c ".[]" "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json | pm-normalize -R \
    >"$TMP/m.ndjson" 2>/dev/null
N=$(wc -l <"$TMP/m.ndjson")

# gone ARGS...: pm-store ARGS with a standard output no one reads any
# more (the reader closed it before pm-store began); status into ./status
gone() {
	{ sleep 0.3; pm-store "$@" 2>err; echo $? >status; } |
	    { exec 0<&-; sleep 1; }
}

test_expect_success 'the reader gone before the end: every record stored, exit 3, said' '
	gone --db "$TMP/s.db" "$TMP/m.ndjson" &&
	test_eq 3 "$(cat status)" && test_line_count err -eq 2 &&
	test_grep "^pm-store: $N records: $N inserted, .* 0 failed in $TMP/s.db" err &&
	test_grep -x "pm-store: standard output closed by its reader: the input was stored to its end, not all of it written" err &&
	test_eq "$N" "$(sqlite3 "$TMP/s.db" "SELECT count(*) FROM markets")"
'

test_expect_success '-n and -N: the same, said without a store' '
	gone --db "$TMP/s.db" -n "$TMP/m.ndjson" &&
	test_eq 3 "$(cat status)" && test_line_count err -eq 2 &&
	test_grep -x "pm-store: standard output closed by its reader: the input was read to its end, not all of it written" err &&
	gone --db n.db -N "$TMP/m.ndjson" &&
	test_eq 3 "$(cat status)" && test_line_count err -eq 2 &&
	test_grep -x "pm-store: standard output closed by its reader: the input was read to its end, not all of it written" err &&
	test ! -e n.db
'

test_expect_success 'an output that fails mid-input (a full disk): the input left unread is said' '
	jq -cn "range(40000) | {kind: \"market\", source: \"polymarket\",
	    market_id: \"m\(.)\", question: \"Q\"}" >many.ndjson &&
	{ pm-store --db f.db many.ndjson >/dev/full 2>err; echo $? >status; } &&
	test_eq 3 "$(cat status)" &&
	test_grep -x "pm-store: write error: No space left on device" err &&
	test_grep -x "pm-store: standard output failed: stopped reading the input; what was not read is not stored" err &&
	n=$(sed -n "s/^pm-store: \([0-9]*\) records: .*/\1/p" err) &&
	test_num "$n" -lt 40000 &&
	test_eq "$n" "$(sqlite3 f.db "SELECT count(*) FROM markets")"
'

test_expect_success 'an export to a reader gone: exit 3, nothing said (it chose to stop)' '
	gone --db "$TMP/s.db" -e markets &&
	test_eq 3 "$(cat status)" && test_line_count err -eq 0
'

test_done
