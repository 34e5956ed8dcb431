#!/bin/bash
# bench/normalize.sh - pm-normalize against jq and Python doing the same
# decoding of BENCH_N real-shaped Gamma markets, alternating rounds.
set -eu
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
DATA=$(markets_data "$N")
BYTES=$(wc -c <"$DATA")

JQ='{kind:"market",source:"polymarket",market_id:(.id|tostring),
 condition_id:(if .conditionId=="" then null else .conditionId end),
 slug,question,event_id:(.events[0].id),close_time:.endDate,active,closed,
 volume:((.volume//.volumeNum)|tonumber? // null),
 liquidity:((.liquidity//.liquidityNum)|tonumber? // null),
 contracts:([(.outcomes//"[]"|fromjson),(.outcomePrices//"[]"|fromjson),
   (.clobTokenIds//"[]"|fromjson)]|transpose|
   map({outcome:.[0],token_id:.[2],price:(.[1]|tonumber? // null)})),
 tags:[(.tags//.events[0].tags//[])[]|{id,slug,"label":.label}]}'

for _ in $(seq "$ROUNDS"); do
	measure normalize pm-normalize 1 "$BYTES" "$N" \
	    "$BIN/pm-normalize -R <'$DATA' >/dev/null"
	measure normalize jq 0 "$BYTES" "$N" "jq -c '$JQ' <'$DATA' >/dev/null"
	measure normalize python 0 "$BYTES" "$N" \
	    "python3 bench/normalize_baseline.py <'$DATA' >/dev/null"
done
