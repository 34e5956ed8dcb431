#!/bin/bash
# pm-normalize: a CLOB price must be a number in [0, 1] ("" is none), of
# any length, and its side one of pm-records(5)'s; anything else is that
# raw record's failure, never a price record pm-store would then refuse or
# keep.
. "$(dirname "$0")/lib.sh"

raw() { rec_raw clob "$1" "$2" "$3"; }
T='{"token_id":"t1"}'

test_expect_success 'good prices of every endpoint become price records' '
	{ raw price "{\"token_id\":\"t1\",\"side\":\"BUY\"}" "{\"price\":\"0.5\"}"
	  raw midpoint "$T" "{\"mid\":\"1\"}"
	  raw last-trade-price "$T" "{\"price\":\"0\",\"side\":\"BUY\"}"
	  raw prices "{}" "{\"t2\":{\"BUY\":\"0.25\",\"SELL\":0.75}}"; } >in.ndjson &&
	run pm-normalize in.ndjson && expect_status 0 &&
	jq -r "select(.kind == \"price\") | [.token_id, .side, .price] | @tsv" out >got &&
	printf "%s\t%s\t%s\n" t1 buy 0.5 t1 mid 1 t1 last 0 t2 buy 0.25 t2 sell 0.75 >want &&
	test_cmp want got
'

test_expect_success 'an empty, negative, above-one or non-number price: a failure' '
	for p in "\"\"" "\"-0.5\"" "\"1.5\"" "-0.5" "1.5" "\"abc\"" "\"nan\"" \
	    "\"0x0.8\""; do
		raw midpoint "$T" "{\"mid\":$p}" || return 1
	done >in.ndjson &&
	run pm-normalize in.ndjson && expect_status 1 &&
	test_count price out 0 && test_count failure out 8 &&
	jq -r "select(.kind == \"failure\") | .detail" out >got &&
	cat >want <<-\EOT &&
	price is an empty string
	price -0.5 is outside [0, 1]
	price 1.5 is outside [0, 1]
	price -0.5 is outside [0, 1]
	price 1.5 is outside [0, 1]
	price is not a number: "abc"
	price is not a number: "nan"
	price is not a number: "0x0.8"
	EOT
	test_cmp want got
'

test_expect_success 'a bad point of a price history is its own failure: the others go on' '
	raw prices-history "$T" "{\"history\":[{\"t\":1700000000,\"p\":0.5},
	    {\"t\":1700000060,\"p\":1.5},{\"t\":\"x\",\"p\":0.5},
	    {\"t\":1700000120,\"p\":\"0.6\"}]}" | tr -d "\n\t " >in.ndjson &&
	echo >>in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 1 &&
	jq -r "select(.kind == \"price\") | [.ts, .price] | @tsv" out >got &&
	printf "%s\t%s\n" 2023-11-14T22:13:20Z 0.5 2023-11-14T22:15:20Z 0.6 >want &&
	test_cmp want got &&
	jq -r "select(.kind == \"failure\") | [.input, .detail] | @tsv" out >got &&
	printf "in.ndjson:1\t%s\n" "history[1]: price 1.5 is outside [0, 1]" \
	    "history[2]: history point without epoch t" >want &&
	test_cmp want got && test_line_count err -eq 2 &&
	raw prices-history "{}" "{\"history\":[{\"t\":1,\"p\":0.5},{\"t\":2,\"p\":0.5}]}" >in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 1 &&
	test_count failure out 1 && test_count price out 0
'

test_expect_success 'a price string of any length is read whole' '
	z60=$(printf "%060d" 0) && z300=$(printf "%0300d" 0) &&
	for p in "0.26$z60" "0.2$z60" "0.26${z300}e0" "0.26${z60}x" "abc"; do
		raw midpoint "$T" "{\"mid\":\"$p\"}" || return 1
	done >in.ndjson &&
	run pm-normalize in.ndjson && expect_status 1 &&
	jq -r "select(.kind == \"price\") | .price" out >got &&
	printf "%s\n" 0.26 0.2 0.26 >want && test_cmp want got &&
	jq -r "select(.kind == \"failure\") | [.reason, .detail] | @tsv" out >got &&
	printf "normalization_failed\tprice is not a number: \"%.32s\"\n" "0.26${z60}x" abc >want &&
	test_cmp want got
'

test_expect_success 'a long number string in a market field is read whole too' '
	z100=$(printf "%0100d" 0) &&
	echo "{\"id\":\"1\",\"volume\":\"12.5${z100}e0\",\"liquidity\":\"3${z100}x\"}" >m.json &&
	run pm-normalize -e markets m.json && expect_status 1 &&
	test_grep "liquidity is not a number: \"3000" err &&
	echo "{\"id\":\"1\",\"volume\":\"12.5${z100}e0\"}" >m.json &&
	run pm-normalize -e markets m.json && expect_status 0 &&
	test_eq 12.5 "$(jq -r "select(.kind == \"market\") | .volume" out)"
'

test_expect_success 'a side other than BUY or SELL in /prices: a failure' '
	{ raw prices "{}" "{\"t2\":{\"FOO\":\"0.5\"}}"
	  raw prices "{}" "{\"t2\":{\"BUYBUYBUY\":\"0.5\"}}"
	  raw prices "{}" "{\"t2\":{\"BUY\":\"2\"}}"
	  raw price "$T" "{\"price\":\"0.5\"}"
	  raw price "{\"token_id\":\"t1\",\"side\":\"ask\"}" "{\"price\":\"0.5\"}"; } >in.ndjson &&
	run pm-normalize in.ndjson && expect_status 1 &&
	test_count price out 0 &&
	jq -r "select(.kind == \"failure\") | .detail" out >got &&
	{ printf "%s\n" "token t2 FOO: side \"foo\" is not buy, sell, mid, last or history" \
	    "token t2 BUYBUYBUY: side \"BUYBUYBUY\" is not BUY or SELL" \
	    "token t2 BUY: price 2 is outside [0, 1]" &&
	  printf "side unknown: the raw record\047s request names none\n" &&
	  printf "%s\n" "side \"ask\" is not buy, sell, mid, last or history"; } >want &&
	test_cmp want got
'

# A batch answers for hundreds of tokens: one bad price lost every price
# after it in the answer, under one failure that named no token.
test_expect_success 'a bad price in a /prices batch is its own failure: the other tokens go on' '
	req="{\"tokens\":{\"t1\":{\"market_id\":\"m1\",\"outcome\":\"Yes\"},
	    \"t2\":{\"market_id\":\"m2\",\"outcome\":\"Yes\"},
	    \"t3\":{\"market_id\":\"m3\",\"outcome\":\"No\"}}}" &&
	raw prices "$req" "{\"t1\":{\"BUY\":\"0.4\",\"SELL\":\"0.5\"},
	    \"t2\":{\"BUY\":\"\",\"SELL\":\"0.6\"},\"t9\":[],
	    \"t3\":{\"BUY\":\"0.1\",\"SELL\":\"0.2\"}}" | tr -d "\n\t " >in.ndjson &&
	echo >>in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 1 &&
	jq -r "select(.kind == \"price\") | [.token_id, .market_id, .side, .price] | @tsv" out >got &&
	printf "%s\t%s\t%s\t%s\n" t1 m1 buy 0.4 t1 m1 sell 0.5 t2 m2 sell 0.6 \
	    t3 m3 buy 0.1 t3 m3 sell 0.2 >want &&
	test_cmp want got &&
	jq -r "select(.kind == \"failure\") | [.input, .market_id, .detail] | @tsv" out >got &&
	printf "in.ndjson:1\t%s\t%s\n" m2 "token t2 BUY: price is an empty string" \
	    "" "token t9: prices are not an object" >want &&
	test_cmp want got &&
	printf "%s\n" "pm-normalize: in.ndjson:1: market m2: token t2 BUY: price is an empty string" \
	    "pm-normalize: in.ndjson:1: token t9: prices are not an object" >want &&
	test_cmp want err
'

test_done
