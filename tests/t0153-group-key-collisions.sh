#!/bin/bash
# Event keys cannot collide: a lone market "1,2" against the markets 1 and
# 2, an event id "market:123" against the lone market 123; and keys stored
# by the old grammar are migrated in place (schema 6), so nothing processed
# before is processed again.  SQLite and PostgreSQL.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
pg_start

m() {	# m ID FIELD...: a market with Yes/No contracts
	local id=$1
	shift
	rec_market "$id" contracts:="$(rec_yes_no "t$id" 0.25 "u$id" 0.75)" "$@"
}
# processed by the old code: one of each pair that collided there
old_in() {
	m "1,2"; m 7 event_id=market:123; m 8 event_id=event:x
	m 9 event_id=777; m 5 event_slug=s5; m 6 event_slug=s5; m "a%b"
}
# then the other halves of the pairs
new_in() { m 1 event_slug=s; m 2 event_slug=s; m 123; }
# the old grammar: event ids as they are, market ids joined unescaped
to_old='.event_key |= (if startswith("event:") then .[6:]
	else gsub("%2C"; ",") | gsub("%25"; "%") end)'

test_expect_success 'pm-group: one key per group, none shared, plain keys unchanged' '
	{ old_in; new_in; } >in.ndjson &&
	run pm-group in.ndjson && expect_status 0 &&
	jq -r ".event_key + \" \" + ([.markets[].market_id] | join(\" \"))" out >got &&
	cat >want <<-\EOT &&
	777 9
	event:event:x 8
	event:market:123 7
	market:1%2C2 1,2
	market:1,2 1 2
	market:123 123
	market:5,6 5 6
	market:a%25b a%b
	EOT
	test_cmp want got
'

# $1: a database URL.  The old groups go in at schema 5 under their old
# keys; after the migration the same groups are processed, the new not.
check() {
	old_in | pm-group | jq -c "$to_old" | pm-experiment >old.ndjson &&
	jq -r .event_key old.ndjson | grep -qx "market:1,2" &&
	PM_SCHEMA_VERSION=5 pm-store --db "$1" old.ndjson >/dev/null &&
	test "$(db_dump "$1" | grep -c "^\[\"experiment_results\"")" -eq 12 &&
	pm-store --db "$1" </dev/null >/dev/null &&
	db_dump "$1" >dump &&
	grep "^\[\"schema_migrations\",\"6\"" dump &&
	jq -r "select(.[0] == \"processed_events\") | .[1]" dump >keys &&
	printf "%s\n" 777 event:event:x event:market:123 market:1%2C2 \
	    market:5,6 market:a%25b >want && test_cmp want keys &&
	jq -r "select(.[0] | test(\"^(processed_markets|processed_contracts|experiment_results|experiment_markets|research_artifacts)$\")) | .[1]" dump |
	    sort -u >keys2 && test_cmp want keys2 &&
	{ old_in; new_in; } | pm-group | pm-store --new-only --db "$1" 2>err |
	    pm-experiment >out 2>>err &&
	jq -r "select(.kind == \"group\") | .event_key" out >got &&
	printf "%s\n" market:1,2 market:123 >want && test_cmp want got &&
	test "$(jq -r "select(.kind == \"skip\") | .why" out | sort -u)" = already_processed &&
	test_count skip out 6 &&
	pm-store --export group --db "$1" | jq -r .event_key >exp &&
	grep -qx "event:market:123" exp
}

test_expect_success 'SQLite: old keys migrated, processed groups stay processed' '
	check sqlite:k.db
'

test_expect_success 'PostgreSQL: the same' '
	pg_ready && url=$(pg_newdb keys) && check "$url"
'

test_done
