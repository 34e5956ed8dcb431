#!/bin/bash
# Keys longer than 256 bytes (a 1 MB market id, a 3 KB event key, a 3 KB
# token id) are stored as their first bytes, "#sha256:" and the SHA-256 of
# the whole key: the same on SQLite and PostgreSQL, found again on the next
# run, never a retriable failure.  A short key that looks like a stored
# long one cannot take its row.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
pg_start

BIG=$(head -c 1000000 /dev/zero | tr '\0' 7)
EV=$(head -c 3000 /dev/zero | tr '\0' e)
TOK=$(head -c 3000 /dev/zero | tr '\0' 9)
# stored form: $1 the key, $2 the length of its prefix
short() { printf '%s#sha256:%s' "${1:0:$2}" "$(printf %s "$1" | sha256sum | cut -d" " -f1)"; }

input() {
	rec_market X event_id=E contracts:="$(rec_yes_no T 0.25 u 0.75)" |
	    jq -c --rawfile big big --rawfile ev ev --rawfile tok tok \
	    '.market_id = $big | .event_id = $ev | .contracts[0].token_id = $tok'
	# a short id spelled like the stored form of the long one
	rec_market "$(short "$BIG" 184)" contracts:="$(rec_yes_no v 0.5 w 0.5)"
}

# $1: a database URL
check() {
	printf %s "$BIG" >big && printf %s "$EV" >ev && printf %s "$TOK" >tok &&
	input | pm-group | pm-experiment >g.ndjson 2>/dev/null &&
	pm-store --db "$1" g.ndjson >/dev/null 2>err && test_count failure g.ndjson 0 &&
	test_grep "2 records: 2 inserted" err &&
	db_dump "$1" >dump &&
	jq -r "select(.[0] == \"processed_markets\") | .[2]" dump | sort >ids &&
	{ short "$BIG" 184; echo; short "$(short "$BIG" 184)" 184; echo; } | sort >want &&
	test_cmp want ids &&
	test "$(jq -r "select(.[0] == \"processed_events\") | .[1]" dump | sort | head -1)" = "$(short "$EV" 184)" &&
	jq -r "select(.[0] == \"processed_contracts\") | .[6]" dump | grep -qx "$(short "$TOK" 184)" &&
	pm-store --db "$1" g.ndjson >out 2>err &&
	test_grep "0 inserted" err && test_count failure out 0 &&
	input | pm-group | pm-store --new-only --db "$1" 2>/dev/null | pm-experiment >again 2>&1 &&
	test "$(jq -r .why again | sort -u)" = already_processed &&
	jq -c "select(.[0] | test(\"^(processed_events|processed_markets|processed_contracts|experiment_markets)$\")) | .[0:3]" dump >"$2"
}

test_expect_success 'SQLite: long keys stored short, found again' '
	check sqlite:l.db "$TMP/sqlite.dump"
'

test_expect_success 'PostgreSQL: the same rows, no retriable failure' '
	pg_ready && url=$(pg_newdb longkeys) && check "$url" "$TMP/pg.dump" &&
	test_line_count "$TMP/pg.dump" -ge 8 &&
	test_cmp "$TMP/sqlite.dump" "$TMP/pg.dump"
'

test_done
