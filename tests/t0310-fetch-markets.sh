#!/bin/bash
# pm-fetch markets|events against the fake Polymarket: every object once,
# as received, with the filters re-sent on every page.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

fake_start syn --markets 5000 --only-synthetic --closed-every 10 --log "$TMP/syn.log"
# shellcheck disable=SC2034 # used in the case bodies
SYN=$FAKE_URL

test_expect_success '5,000 open markets: exactly 5,000 distinct raw records' '
	fake_reset && : >"$TMP/syn.log" &&
	run pm-fetch markets --closed false --end-date-min 2000-01-01T00:00:00Z \
	    --end-date-max 2100-01-01T00:00:00Z --rate markets=100000/10 &&
	expect_status 0 && test ! -s err &&
	test_count raw out 4500 && test_line_count out 4500 &&
	jq -r .payload.id out | sort -u | wc -l | test_grep -x 4500 &&
	jq -r .sha256 out | sort -u | wc -l | test_grep -x 4500 &&
	test_num "$(fake_stats ".endpoints[\"markets/keyset\"]")" -gt 8
'

test_expect_success 'with --closed any, every one of the 5,000, each once' '
	run pm-fetch markets --closed any --partitions 6 --rate markets=100000/10 &&
	expect_status 0 && test_count raw out 5000 &&
	jq -r .payload.id out | sort -u | wc -l | test_grep -x 5000 &&
	jq -r "select(.payload.closed) | .payload.id" out | wc -l | test_grep -x 500
'

test_expect_success 'a raw record: source, endpoint, url, time, request, sha256 of the payload bytes' '
	run pm-fetch markets --limit 3 && expect_status 0 &&
	test_line_count out 3 &&
	jq_all ".kind==\"raw\" and .source==\"gamma\" and
		.endpoint==\"markets/keyset\" and
		(.url|startswith(\"$SYN/markets/keyset?\")) and
		(.fetched_at|test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}[.][0-9]{3}Z$\")) and
		.request.limit==\"3\" and .request.closed==\"false\"" out &&
	test_num "$(jq -c "select(.kind==\"raw\")" out | wc -l)" -eq 3 &&
	while read -r line; do
		want=$(printf "%s" "$line" | jq -r .sha256) &&
		got=$(printf "%s" "$line" | jq -cj .payload | sha256sum | cut -d" " -f1) &&
		test_eq "$got" "$want" || return 1
	done <out
'

test_expect_success 'a raw record over PM_MAX_LINE: a bad_record failure in its place, exit 1' '
	PM_MAX_LINE=100 run pm-fetch markets --limit 2 --partitions 1 &&
	expect_status 1 && test_count raw out 0 && test_count failure out 2 &&
	jq_all ".reason==\"bad_record\" and .retriable==false and
		(.detail|test(\"longer than the line cap PM_MAX_LINE \\\\(100\\\\)\"))" out
'

test_expect_success 'payload bytes are the server s bytes (key order, number text)' '
	curl -sf "$SYN/markets/keyset?limit=2&closed=false" |
	    jq -c ".markets[]" >want &&
	run pm-fetch markets --limit 2 --partitions 1 && expect_status 0 &&
	jq -c .payload out >got && test_cmp want got &&
	sed "s/.*\"payload\"://; s/}$//" out >bytes &&
	curl -sf "$SYN/markets/keyset?limit=2&closed=false" |
	    python3 -c "import json,sys; [print(json.dumps(m,ensure_ascii=False,separators=(\",\",\":\"))) for m in json.load(sys.stdin)[\"markets\"]]" >wantbytes &&
	test_cmp wantbytes bytes
'

test_expect_success 'every page re-sends the filters and follows after_cursor' '
	: >"$TMP/syn.log" &&
	run pm-fetch markets --end-date-min 2000-01-01T00:00:00Z --end-date-max 2100-01-01T00:00:00Z \
	    --active --partitions 1 --page-size 50 --rate markets=100000/10 &&
	expect_status 0 &&
	n=$(wc -l <"$TMP/syn.log") && test_num "$n" -eq 90 &&
	test_num "$(grep -c "closed=false&active=true&end_date_min=2000-01-01T00%3A00%3A00Z&end_date_max=2100-01-01T00%3A00%3A00Z&limit=50" "$TMP/syn.log")" -eq "$n" &&
	test_num "$(grep -c after_cursor= "$TMP/syn.log")" -eq $((n - 1)) &&
	test_grep -v offset= "$TMP/syn.log"
'

test_expect_success '--tag is sent as tag_id; no match is no record and no error' '
	: >"$TMP/syn.log" &&
	run pm-fetch markets --tag 7 && expect_status 0 && test ! -s out &&
	test_grep "tag_id=7&" "$TMP/syn.log"
'

test_expect_success '--target-date: one UTC day, end exclusive' '
	: >"$TMP/syn.log" &&
	day=$(date -u -d "+3 days" +%Y-%m-%d) && last=$day &&
	run pm-fetch markets --target-date "$day" --rate markets=100000/10 &&
	expect_status 0 &&
	test_grep "end_date_min=${day}T00%3A00%3A00Z" "$TMP/syn.log" &&
	test_grep "end_date_max=${last}T23%3A59%3A59.999Z" "$TMP/syn.log" &&
	jq -r .payload.endDate out >ends && test -s ends &&
	lo="${day}T00:00:00Z" && hi=$(date -u -d "$last +1 day" +%Y-%m-%dT00:00:00Z) &&
	while read -r e; do
		{ test "$e" = "$lo" || test "$e" \> "$lo"; } && test "$e" \< "$hi" || return 1
	done <ends &&
	jq -r .payload.id out | sort -u | wc -l | test_grep -x "$(wc -l <out)"
'

test_expect_success '--id (repeatable) lists exactly those markets' '
	run pm-fetch markets --id 10000003 --id 10000004 --id 10000999 &&
	expect_status 0 &&
	jq -r .payload.id out | sort >got &&
	printf "10000003\n10000004\n10000999\n" >want && test_cmp want got &&
	jq_all ".request.id == [\"10000003\",\"10000004\",\"10000999\"]" out
'

# A market asked for by id is wanted closed or not: with the listings'
# closed=false by default, a closed one was left out without a word.
test_expect_success '--id of a closed market lists it, unless --closed false' '
	shut=$(curl -sf "$SYN/markets/keyset?closed=true&limit=1" | jq -r ".markets[0].id") &&
	test -n "$shut" && test "$shut" != null &&
	run pm-fetch markets --id "$shut" --id 10000003 &&
	expect_status 0 &&
	jq -r .payload.id out | sort >got &&
	printf "%s\n" "$shut" 10000003 | sort >want && test_cmp want got &&
	run pm-fetch markets --id "$shut" --id 10000003 --closed false &&
	expect_status 0 &&
	jq -r .payload.id out >got && echo 10000003 >want && test_cmp want got
'

# An id Gamma does not list was left out without a word, exit 0: a cron
# job asking for a mistyped id had nothing, and was told all was fine.
test_expect_success '--id that Gamma does not list: a failure record, exit 1' '
	run pm-fetch markets --id 10000003 --id 99999999 --id 10000003 &&
	expect_status 1 &&
	jq -r "select(.kind==\"raw\") | .payload.id" out >got &&
	echo 10000003 >want && test_cmp want got &&
	test_count failure out 1 &&
	jq_all "select(.kind==\"failure\") | .stage==\"fetch\" and
		.reason==\"fetch_failed\" and .retriable==false and
		.market_id==\"99999999\" and
		.detail==\"--id 99999999: Gamma lists no market with that id\"" out &&
	test_grep "^pm-fetch: market 99999999: --id 99999999: Gamma lists no market with that id$" err &&
	# a filter may leave it out: nothing to say then
	run pm-fetch markets --id 10000003 --id 99999999 --closed false &&
	expect_status 0 && test_count raw out 1 && test ! -s err &&
	# a batch that failed: its own failure, not "no market"
	fake_control "{\"every_5xx\":1}" &&
	test_when_finished fake_control "{\"every_5xx\":0}" &&
	run pm-fetch markets --id 99999999 --attempts 1 &&
	expect_status 1 && test_count failure out 2 &&
	jq_all "select(.kind==\"failure\") | .detail|startswith(\"HTTP 500\")" out
'

test_expect_success '--updated-since lists newest first and stops at the watermark' '
	since=$(date -u -d "-6 hours" +%Y-%m-%dT%H:%M:%SZ) &&
	run pm-fetch markets --updated-since "$since" --rate markets=100000/10 &&
	expect_status 0 && test -s out &&
	jq -r .payload.updatedAt out >ups &&
	while read -r u; do test "$u" \> "$since" || test_eq "$since" "$u" || return 1; done <ups &&
	want=$(curl -sf "$SYN/markets/keyset?limit=100&closed=false&order=updatedAt&ascending=false" >/dev/null &&
	    python3 -c "import json,sys,urllib.request
n=0; c=None
while True:
    u=\"$SYN/markets/keyset?limit=100&closed=false&order=updatedAt&ascending=false\"+(\"&after_cursor=\"+c if c else \"\")
    d=json.load(urllib.request.urlopen(u)); n+=sum(1 for m in d[\"markets\"] if m[\"updatedAt\"]>=\"$since\")
    c=d.get(\"next_cursor\")
    if not c: break
print(n)") &&
	test_line_count out "$want" &&
	jq_all ".request.order==\"updatedAt\" and .request.ascending==\"false\"" out
'

test_expect_success 'legacy offset listing: every market, bare-array pages' '
	: >"$TMP/syn.log" &&
	run pm-fetch markets --pagination offset --id 10000001 --id 10000002 &&
	expect_status 0 && test_count raw out 2 &&
	jq_all ".endpoint==\"markets\" and .request.offset==\"0\"" out &&
	test_grep "^GET /markets?" "$TMP/syn.log"
'

test_expect_success 'legacy offset listing: the 422 past the offset ceiling is a clear failure' '
	run pm-fetch markets --pagination offset --partitions 1 --rate markets=100000/10 &&
	expect_status 1 &&
	test_count raw out 2100 &&
	test_count failure out 1 && tail -1 out | test_grep "\"kind\":\"failure\"" &&
	test_grep "offset 2100 is past the legacy listing.s offset ceiling" err &&
	test_grep "use keyset paging" err &&
	jq_all "select(.kind==\"failure\") | .retriable == false and (.url | test(\"offset=2100\"))" out
'

test_expect_success 'offset on a keyset endpoint is the server s 422, as recorded' '
	code=$(curl -s -o body -w "%{http_code}" "$SYN/events/keyset?limit=2&offset=5") &&
	test_eq 422 "$code" &&
	jq -S . "$TESTS_DIR/fixtures/gamma-error-keyset-offset-farrellm-1.json" >a &&
	jq -S . body >b && test_cmp a b
'

fake_start rec --events 30 --log "$TMP/rec.log"

test_expect_success 'events: one raw record per event, markets embedded, pm-normalize reads them' '
	run pm-fetch events --closed false && expect_status 0 &&
	test_count raw out 32 &&
	jq_all ".endpoint==\"events/keyset\" and (.payload.markets|type==\"array\")" out &&
	mv out raw.ndjson && run pm-normalize -R raw.ndjson && expect_status 0 &&
	test_count event out 32 &&
	test_count market out $((8 + 30 * 4))
'

test_expect_success 'recorded markets through pm-fetch | pm-normalize, token ids digit for digit' '
	pm-fetch markets --closed any >raw.ndjson &&
	test_count raw raw.ndjson 107 &&
	run pm-normalize -R raw.ndjson && expect_status 0 &&
	test_count market out 107 &&
	jq -r "select(.kind==\"raw\") | .payload | select(.clobTokenIds != null and .clobTokenIds != \"\") |
		.id as \$id | (.clobTokenIds | fromjson)[] | \"\(\$id) \(.)\"" raw.ndjson | sort >want &&
	jq -r ".market_id as \$id | .contracts[] | select(.token_id) | \"\(\$id) \(.token_id)\"" out |
		sort >got && test -s want && test_cmp want got
'
test_done
