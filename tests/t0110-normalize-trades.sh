#!/bin/bash
# pm-normalize: Data API /trades pages into trade records, one per fill,
# keyed so that a fetch again gives the same keys and the maker rows of
# one transaction stay apart; the recorded real rows field for field.
. "$(dirname "$0")/lib.sh"

# jq_all EXPR FILE: EXPR yields at least one value, and only true ones
jq_all() {
	jq -se "[.[] | $1] | length > 0 and all" "$2" >/dev/null
}

# a raw record of a /trades page, the payload's bytes as given
page() {
	rec_raw data trades '{"market":"x"}' "$1"
}

# what a recorded row must become (jq on both sides: one number syntax)
want='.[] | {condition_id: .conditionId, token_id: .asset, side, size,
	price, ts: (.timestamp | todate), wallet: .proxyWallet, outcome,
	outcome_index: (if .outcomeIndex >= 0 and .outcomeIndex < 100 then
	.outcomeIndex else null end), transaction_hash: .transactionHash,
	title, slug, event_slug: (if .eventSlug == "" then null else .eventSlug end),
	name: (if .name == "" then null else .name end),
	pseudonym: (if .pseudonym == "" then null else .pseudonym end), count: 1}'
got='select(.kind=="trade") | del(.kind, .source, .trade_key, .raw_sha256,
	.fetched_at)'

for f in data-trades-edulabrador-1 data-trades-vishnuvardhan0ffl-1 \
    data-trades-vishnuvardhan0ffl-2; do
	test_expect_success "the recorded trades of $f, field for field" '
		page "$(tr -d "\n" <"$FIXTURES/'$f'.json")" >in.ndjson &&
		run pm-normalize -R in.ndjson && expect_status 0 &&
		test_count trade out "$(jq length "$FIXTURES/'$f'.json")" &&
		jq -cS "$want" "$FIXTURES/'$f'.json" >want &&
		jq -cS "$got" out >got && test_cmp want got &&
		jq_all "select(.kind==\"trade\") | (.token_id | type) == \"string\" and
			(.ts | test(\"Z$\")) and .raw_sha256 != null" out
	'
done

test_expect_success 'maker rows of one transaction are distinct trades' '
	page "$(tr -d "\n" <"$FIXTURES/data-trades-vishnuvardhan0ffl-1.json")" >in.ndjson &&
	pm-normalize -R in.ndjson >out &&
	jq -r "select(.transaction_hash | startswith(\"0x3644f7d8\")) | .trade_key" out |
		sort -u >keys && test_line_count keys 12 &&
	jq -r ".trade_key" out | sort -u >all && test_line_count all 20
'

test_expect_success 'a fetch again gives the same keys, whatever the number syntax' '
	row=$(jq -c ".[0]" "$FIXTURES/data-trades-vishnuvardhan0ffl-2.json") &&
	page "[$row]" >a.ndjson &&
	page "[$(echo "$row" | sed "s/\"size\":8.05/\"size\":8.050/")]" >b.ndjson &&
	test_must_differ() { ! cmp -s "$1" "$2"; } && test_must_differ a.ndjson b.ndjson &&
	pm-normalize -R a.ndjson | jq -r .trade_key >ka &&
	pm-normalize -R b.ndjson | jq -r .trade_key >kb &&
	test_cmp ka kb && test_line_count ka 1
'

test_expect_success 'a price and size sent as strings key as the numbers they hold' '
	row=$(jq -c ".[0]" "$FIXTURES/data-trades-vishnuvardhan0ffl-2.json") &&
	page "[$row]" >a.ndjson &&
	page "[$(echo "$row" | jq -c ".price |= (tostring + \"0\") | .size |= tostring")]" >b.ndjson &&
	grep -q "\"size\":\"8.05\"" b.ndjson &&
	pm-normalize -R a.ndjson | jq -r .trade_key >ka &&
	pm-normalize -R b.ndjson | jq -r .trade_key >kb &&
	test_cmp ka kb && test_line_count ka 1
'

test_expect_success 'rows identical in every field within a transaction: one trade, counted' '
	row=$(jq -c ".[2]" "$FIXTURES/data-trades-vishnuvardhan0ffl-1.json") &&
	other=$(jq -c ".[3]" "$FIXTURES/data-trades-vishnuvardhan0ffl-1.json") &&
	page "[$row,$other,$row,$row]" >in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 0 &&
	test_count trade out 2 &&
	jq -r ".count" out | sort -n | tr "\n" " " >counts && test_eq "1 3 " "$(cat counts)"
'

test_expect_success 'the feed'\''s eventSlug "" and outcomeIndex 999 are not trusted' '
	jq -c "map(.eventSlug = \"\" | .outcomeIndex = 999)" \
		"$FIXTURES/data-trades-edulabrador-1.json" >feed.json &&
	page "$(cat feed.json)" >in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 0 && test_count trade out 5 &&
	jq_all "select(.kind==\"trade\") | .event_slug == null and .outcome_index == null and .outcome != null" out
'

test_expect_success 'a bad row is a failure; the others go on' '
	jq -c ".[0:3] | .[1].side = \"HOLD\" | .[2].timestamp = \"soon\"" \
		"$FIXTURES/data-trades-vishnuvardhan0ffl-2.json" >bad.json &&
	page "$(cat bad.json)" >in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 1 &&
	test_count trade out 1 && test_count failure out 2 &&
	test_grep "side is not BUY or SELL" err
'

test_expect_success 'a price outside [0, 1] or a size not above 0: a failure naming its row' '
	row=$(jq -c ".[0]" "$FIXTURES/data-trades-vishnuvardhan0ffl-2.json") &&
	for c in ".price = 1.5|price 1.5 is outside \\[0, 1\\]" \
	    ".price = \"-0.1\"|price -0.1 is outside \\[0, 1\\]" \
	    ".size = -8|size -8 is not above 0" ".size = 0|size 0 is not above 0" \
	    ".size = \"x\"|size is not a number: \"x\"" \
	    ".size = null|trade size missing or not a string or number"; do
		page "[$row,$(echo "$row" | jq -c "${c%%|*}")]" >in.ndjson &&
		run pm-normalize -R in.ndjson && expect_status 1 &&
		test_count trade out 1 && test_count failure out 1 &&
		test_grep "^pm-normalize: in.ndjson:1: trades\[1\]: ${c#*|}" err ||
		{ say "$c"; return 1; }
	done
'

test_expect_success 'a page that is not an array is a failure' '
	page "{\"error\":\"x\"}" >in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 1 &&
	test_count failure out 1 && test_grep "trades payload is not an array" err
'

# What jq -c '.[]' makes of a saved page: each row a bare object.  A row
# has a conditionId, as a Gamma market has: it was taken for one (a
# "market_id missing" failure) and wrapped into a raw record of endpoint
# markets, a trade in bronze as a Gamma market.  -e trades wrapped it as
# source clob.  A trade row is no page: refused, and no raw is written.
test_expect_success 'a bare trade row is refused, not taken for a market' '
	jq -c ".[0], .[1]" "$FIXTURES/data-trades-edulabrador-1.json" >in.ndjson &&
	for e in "" "-e trades"; do
		run pm-normalize $e in.ndjson && expect_status 1 &&
		test_count failure out 2 && test_count raw out 0 &&
		test_count market out 0 &&
		not grep -q "market_id missing" err &&
		test_grep "^pm-normalize: in.ndjson:2: a bare Data API trade" err ||
		{ say "with: $e"; return 1; }
	done &&
	run pm-normalize -R --only markets in.ndjson && expect_status 0 &&
	test_cmp in.ndjson out
'

test_done
