#!/bin/bash
# pm-normalize: options, pass-through, CLOB prices, and its output end.
. "$(dirname "$0")/lib.sh"

markets() { jq -c ".[]" "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json; }
TOK=97986244429993405301006613239860350847262749399039648046285499627250726259070
SHA=0000000000000000000000000000000000000000000000000000000000000abc

# raw ENDPOINT REQUEST PAYLOAD: a CLOB raw record as pm-fetch writes it
raw() { rec_raw clob "$1" "$2" "$3" "$SHA"; }
clob() { jq -c ".[\"$TOK\"].$1.body" "$FIXTURES"/clob-book-midpoint-price-Thabris-1.json; }

test_expect_success '--help goes to stdout and exits 0; --version' '
	run pm-normalize --help && expect_status 0 && test_grep "^usage: pm-normalize" out &&
	run pm-normalize -V && expect_status 0 && test_grep "^pm-normalize [0-9]" out
'
test_expect_success 'misuse exits 2 with the usage on stderr' '
	run pm-normalize --bogus && expect_status 2 && test_grep "^usage:" err &&
	run pm-normalize -e nowhere && expect_status 2 && test_grep "unknown endpoint: nowhere" err &&
	run pm-normalize --where ".question |" && expect_status 2 && test_grep "^pm-normalize: --where: " err
'
test_expect_success 'other kinds pass through byte for byte, in order' '
	printf "%s\n" "{\"kind\":\"run\",  \"phase\" : \"start\",\"x\":1.50}" >in.ndjson &&
	markets | head -1 >>in.ndjson &&
	printf "%s\n" "{ \"kind\":\"failure\",\"detail\":\"\\u00e9\" }" >>in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 0 &&
	sed -n 1p in.ndjson >want && sed -n 1p out >got && test_cmp want got &&
	sed -n 3p in.ndjson >want && sed -n 3p out >got && test_cmp want got &&
	sed -n 2p out | test_grep "^{\"kind\":\"market\""
'
test_expect_success '--where keeps what the jq expression selects (crypto filter)' '
	markets >in.ndjson &&
	run pm-normalize -R --where ".question|test(\"bitcoin|btc|ethereum|solana\";\"i\")" in.ndjson &&
	expect_status 0 &&
	jq -r "select(.question|test(\"bitcoin|btc|ethereum|solana\";\"i\")) | .id" in.ndjson >want &&
	jq -r .market_id out >got && test -s want && test_cmp want got &&
	test_line_count got -lt "$(wc -l <in.ndjson)"
'
test_expect_success '--where errors count as false and are said once' '
	markets | head -3 >in.ndjson &&
	run pm-normalize -R --where ".nope|test(\"x\")" in.ndjson && expect_status 0 &&
	test ! -s out && test_num "$(grep -c -- "--where:" err)" -eq 1
'
# A bare single-token answer names no token (its request does): it was
# wrapped into a raw record for bronze and failed as retriable, though
# no retry could ever normalize it.
test_expect_success 'a bare CLOB answer says what it lacks' '
	clob midpoint >in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 1 &&
	test_grep "in.ndjson:1: a bare midpoint answer names no token: wrap it in a raw record whose request has its token_id, as pm-fetch writes\$" err &&
	for f in midpoint last-trade-price prices-history; do
		jq -c . "$FIXTURES/clob-$f-ra1nty-1.json" || return 1
	done >in.ndjson &&
	for e in "" "-e price" "-e midpoint" "-e last-trade-price" "-e prices-history"; do
		run pm-normalize $e in.ndjson && expect_status 1 &&
		test_count failure out 3 && test_count raw out 0 &&
		jq -se "map(.reason == \"bad_record\" and .retriable == false) | all" out >/dev/null &&
		test_grep "^pm-normalize: in.ndjson:3: a bare [a-z-]* answer names no token" err ||
		{ say "with: $e"; return 1; }
	done &&
	run pm-normalize in.ndjson && test_grep "in.ndjson:2: a bare price answer names no token: .* token_id and side," err &&
	echo "{\"volume\":1}" >in2.ndjson &&
	run pm-normalize -R in2.ndjson && expect_status 1 &&
	test_grep "cannot tell which endpoint this object came from; use --endpoint" err
'
test_expect_success 'a saved keyset page on one line: no event, no raw record, the way out said' '
	{ jq -c . "$FIXTURES"/gamma-markets-keyset-hisefath-1.json &&
	  jq -c "{\"\$schema\": \"x/EventsKeysetListResponse.json\",
	      events: [{id: \"9\", title: \"t\"}]}" "$FIXTURES"/gamma-markets-keyset-hisefath-1.json
	} >in.ndjson &&
	for o in "" "-e markets" "-e events"; do
		run pm-normalize $o in.ndjson && expect_status 1 &&
		test_count failure out 2 && test_count raw out 0 &&
		test_count market out 0 && test_count event out 0 &&
		jq -se "map(select(.kind == \"failure\") | .reason == \"bad_record\") | all" out >/dev/null &&
		test_grep "^pm-normalize: in.ndjson:1: a keyset page, not one object: pipe it through jq -c .\.markets\[\].\$" err &&
		test_grep "^pm-normalize: in.ndjson:2: a keyset page, not one object: pipe it through jq -c .\.events\[\].\$" err || return 1
	done &&
	jq -c ".markets[]" "$FIXTURES"/gamma-markets-keyset-hisefath-1.json >pages.ndjson &&
	run pm-normalize pages.ndjson && expect_status 0 &&
	test_count market out 3 && test_count raw out 3
'
test_expect_success 'CLOB answers become price records with the token kept as text' '
	{ raw price "{\"token_id\":\"$TOK\",\"side\":\"BUY\",\"market_id\":\"1\",\"outcome\":\"Yes\"}" "$(clob price_buy)";
	  raw midpoint "{\"token_id\":\"$TOK\"}" "$(clob midpoint)";
	  raw book "{}" "$(clob book)";
	  raw prices "{\"tokens\":{\"$TOK\":{\"market_id\":\"1\",\"outcome\":\"Yes\"}}}" "{\"$TOK\":{\"BUY\":\"0.51\",\"SELL\":\"0.52\"}}";
	  raw prices-history "{\"market\":\"$TOK\"}" "$(jq -c . "$FIXTURES"/clob-prices-history-ra1nty-1.json)";
	} >in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 0 &&
	jq -r "select(.kind==\"price\") | [.side, .price, .ts, .market_id] | @tsv" out >got &&
	cat >want <<-EOF &&
	buy	0.51	2026-08-22T15:21:00.123Z	1
	mid	0.515	2026-08-22T15:21:00.123Z	
	buy	0.51	2026-08-22T15:22:01.305Z	
	sell	0.52	2026-08-22T15:22:01.305Z	
	buy	0.51	2026-08-22T15:21:00.123Z	1
	sell	0.52	2026-08-22T15:21:00.123Z	1
	history	0.42	2026-03-22T07:40:00Z	
	history	0.5	2026-03-22T07:45:00Z	
	history	0.65	2026-03-22T08:40:00Z	
	history	0.6	2026-03-22T08:45:00Z	
	EOF
	test_cmp want got &&
	jq -r .token_id out | sort -u >toks && echo "$TOK" >want && test_cmp want toks
'
test_expect_success '--only normalizes the listed endpoints and passes the rest' '
	markets | head -2 >in.ndjson &&
	pm-normalize in.ndjson >once &&
	raw midpoint "{\"token_id\":\"$TOK\"}" "$(clob midpoint)" >>once &&
	run pm-normalize --only prices,midpoint once && expect_status 0 &&
	head -4 once >want && head -4 out >got && test_cmp want got &&
	test_count market out 2 && test_count price out 1 &&
	# a misspelt endpoint would pass its records through unnormalized
	for o in prices,midpiont "prices," "" Prices; do
		run pm-normalize --only "$o" once && expect_status 2 && test ! -s out &&
		test_grep "only: unknown endpoint" err || return 1
	done
'
test_expect_success '--only markets, events: their keyset pages too, what pm-fetch writes by default' '
	m=$(markets | head -1) &&
	e=$(jq -c ".[0]" "$FIXTURES"/gamma-events-bobaoxu2001-1.json) &&
	{ rec_raw gamma markets/keyset "{}" "$m" && rec_raw gamma events/keyset "{}" "$e" &&
	  raw midpoint "{\"token_id\":\"$TOK\"}" "$(clob midpoint)"; } >in.ndjson &&
	run pm-normalize -R --only markets in.ndjson && expect_status 0 &&
	test_count market out 1 && test_count raw out 2 && test_count event out 0 &&
	run pm-normalize -R --only events,midpoint in.ndjson && expect_status 0 &&
	test_count event out 1 && test_count market out "$(echo "$e" | jq ".markets | length")" &&
	test_count price out 1 && test_count raw out 1 &&
	run pm-normalize -R --only markets/keyset in.ndjson && expect_status 0 &&
	test_count market out 1 && test_count raw out 2 &&
	rec_raw gamma markets "{}" "$m" >off.ndjson &&
	run pm-normalize -R --only markets/keyset off.ndjson && expect_status 0 &&
	test_count market out 0 && test_count raw out 1
'
test_expect_success 'a raw record without sha256 is a bad record' '
	printf "%s\n" "{\"kind\":\"raw\",\"endpoint\":\"markets\",\"payload\":{\"id\":\"1\"}}" >in.ndjson &&
	run pm-normalize in.ndjson && expect_status 1 &&
	test_grep "in.ndjson:1: sha256 missing or not 64 hex digits" err
'
test_expect_success 'a raw fetched_at that is not a time fails the raw record once' '
	for t in "\"2026-13-01T00:00:00Z\"" "\"yesterday\"" 12 "\"\""; do
		rec_raw gamma markets "{}" "{\"id\":\"1\"}" |
			sed "s/\"2026-08-22T15:21:00.123Z\"/$t/" &&
		raw midpoint "{\"token_id\":\"$TOK\"}" "$(clob midpoint)" |
			sed "s/\"2026-08-22T15:21:00.123Z\"/$t/" || return 1
	done >in.ndjson &&
	run pm-normalize in.ndjson && expect_status 1 &&
	test_count market out 0 && test_count price out 0 && test_count raw out 0 &&
	jq -r "select(.kind == \"failure\") | [.input, .reason, .detail] | @tsv" out >got &&
	for i in 1 2 3 4 5 6 7 8; do
		printf "in.ndjson:%s\tbad_record\tfetched_at is not a time\n" $i
	done >want && test_cmp want got &&
	test_line_count err -eq 8 &&
	rec_raw gamma markets "{}" "{\"id\":\"1\"}" |
		sed "s/\"2026-08-22T15:21:00.123Z\"/null/" >in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 0 &&
	test "$(jq -r .fetched_at out)" = null
'
test_expect_success 'raw records of endpoints it does not know pass through' '
	raw tags "{}" "{\"id\":\"1\"}" >in.ndjson &&
	raw public-search/some/endpoint/longer/than/32 "{}" "{\"id\":\"1\"}" >>in.ndjson &&
	run pm-normalize in.ndjson && expect_status 0 && test_cmp in.ndjson out &&
	test_line_count err -eq 0 &&
	run pm-normalize -R in.ndjson && expect_status 0 && test_cmp in.ndjson out
'
test_expect_success 'a reader that stops early ends it quietly' '
	for i in 1 2 3 4 5 6 7 8 9 10; do markets; done >in.ndjson &&
	(pm-normalize in.ndjson 2>err; echo $? >status) | head -1 >first &&
	test_num "$(cat status)" -eq 3 && test ! -s err && test_grep "\"kind\":\"raw\"" first
'
test_expect_success 'a full disk is a write error and exit 3' '
	markets >in.ndjson &&
	run sh -c "pm-normalize in.ndjson >/dev/full" && expect_status 3 &&
	test_grep "^pm-normalize: write error: No space left on device" err
'
test_done
