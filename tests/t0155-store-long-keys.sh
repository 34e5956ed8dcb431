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

# $1: a database URL
export_check() {
	printf %s "$BIG" >big && printf %s "$EV" >ev && printf %s "$TOK" >tok &&
	# as pm-normalize writes a market: the record its columns give back
	jq -c ".[0]" "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json | pm-normalize -R |
	    jq -c --rawfile big big --rawfile ev ev \
	    ".market_id = \$big | .event_id = \$ev | .event.event_id = \$ev" >m.ndjson &&
	jq -c ".[1]" "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json | pm-normalize -R |
	    jq -c --arg id "$(short "$BIG" 184)" ".market_id = \$id" >>m.ndjson &&
	sort m.ndjson >want &&
	pm-store --db "$1" m.ndjson >/dev/null 2>err && test_grep "2 records: 2 inserted" err &&
	pm-store --db "$1" --export markets >exp && sort exp >got && test_cmp want got &&
	pm-store --db "$1" --export market --all >exp && sort exp >got && test_cmp want got &&
	pm-store --db "$1" exp >/dev/null 2>err && test_grep "2 records: 0 inserted, 0 updated, 2 unchanged" err &&
	rm -f again.db && pm-store --db sqlite:again.db exp >/dev/null 2>&1 &&
	pm-store --db sqlite:again.db --export markets | sort >got && test_cmp want got
}

test_expect_success 'SQLite: an export gives the long keys back whole, and stores again as the same market' '
	export_check sqlite:x.db
'

test_expect_success 'PostgreSQL: an export gives the long keys back whole' '
	pg_ready && url=$(pg_newdb longkeysexp) && export_check "$url"
'

test_expect_success 'PostgreSQL: the same rows, no retriable failure' '
	pg_ready && url=$(pg_newdb longkeys) && check "$url" "$TMP/pg.dump" &&
	test_line_count "$TMP/pg.dump" -ge 8 &&
	test_cmp "$TMP/sqlite.dump" "$TMP/pg.dump"
'

# $1, a SQLite file: the long keys back, as a pm-store before schema 6
# wrote them
unshorten() {
	local ek mk t cs gk gs
	ek=$(short "$EV" 184) mk=$(short "$BIG" 184)
	for t in processed_events processed_markets processed_contracts \
	    experiment_results research_artifacts experiment_markets; do
		echo "UPDATE $t SET event_key = replace(hex(zeroblob(1500)), '0', 'e') WHERE event_key = '$ek';"
	done
	for t in markets contracts processed_markets processed_contracts experiment_markets; do
		echo "UPDATE $t SET market_id = replace(hex(zeroblob(500000)), '0', '7') WHERE market_id = '$mk';"
	done
	for t in experiment_results research_artifacts experiment_markets; do
		echo "UPDATE $t SET markets = replace(hex(zeroblob(500000)), '0', '7') WHERE markets = '$mk';"
	done
	# the lone market whose id is spelled like a stored key: 256 bytes,
	# in a group key of 263
	cs=$(short "$mk" 184) gk=market:$mk
	gs=$(short "$gk" 184)
	for t in processed_events processed_markets processed_contracts \
	    experiment_results research_artifacts experiment_markets; do
		echo "UPDATE $t SET event_key = '$gk' WHERE event_key = '$gs';"
	done
	for t in markets contracts processed_markets processed_contracts experiment_markets; do
		echo "UPDATE $t SET market_id = '$mk' WHERE market_id = '$cs';"
	done
	for t in experiment_results research_artifacts experiment_markets; do
		echo "UPDATE $t SET markets = '$mk' WHERE markets = '$cs';"
	done
	echo "DELETE FROM schema_migrations WHERE version > 5;"
}

test_expect_success 'long keys stored before schema 6: shortened by the migration, still done' '
	printf %s "$BIG" >big && printf %s "$EV" >ev && printf %s "$TOK" >tok &&
	input | pm-group | pm-experiment >g.ndjson 2>/dev/null &&
	PM_SCHEMA_VERSION=5 pm-store --db sqlite:o.db g.ndjson >/dev/null 2>&1 &&
	unshorten | sqlite3 o.db &&
	test "$(sqlite3 o.db "SELECT group_concat(length(event_key)) FROM processed_events")" = 3000,263 &&
	test "$(sqlite3 o.db "SELECT max(length(market_id)) FROM experiment_markets")" -eq 1000000 &&
	pm-store --db sqlite:o.db </dev/null 2>/dev/null &&
	for t in processed_events processed_markets experiment_results experiment_markets; do
		test "$(sqlite3 o.db "SELECT max(length(event_key)) FROM $t")" -le 256 || return 1
	done &&
	test "$(sqlite3 o.db "SELECT max(length(market_id)) FROM markets")" -le 256 &&
	test "$(sqlite3 o.db "SELECT max(length(markets)) FROM experiment_markets")" -le 256 &&
	input | pm-group | pm-store --new-only --db sqlite:o.db 2>/dev/null | pm-experiment >again 2>&1 &&
	test "$(jq -r .why again | sort -u)" = already_processed &&
	pm-store --db sqlite:o.db g.ndjson >/dev/null 2>err && test_grep "0 inserted" err
'

test_done
