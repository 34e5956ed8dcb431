# bench/replay.jq - the jq half of "jq -> sqlite3 .import": per raw Gamma
# market, its payload, its markets row and one row per contract, as ASCII
# unit/record-separated text (.mode ascii) for one staging table of 12
# columns: a table tag, then the values ("" is null, booleans 1/0).
def f: if . == null then "" elif type == "boolean" then
    (if . then "1" else "0" end) else tostring end;
def row: . as $a | [range(12) | $a[.] | f] | join("\u001f") + "\u001e";
def num: tonumber? // null;
def arr: if type == "string" and . != "" then fromjson else . // [] end;
tojson as $p
| [(.outcomes | arr), (.outcomePrices | arr), (.clobTokenIds | arr)]
  as [$o, $pr, $t]
| {kind: "market", source: "polymarket", market_id: (.id | tostring),
   condition_id: (if .conditionId == "" then null else .conditionId end),
   slug, question,
   event_id: (.events[0].id | if . == null then null else tostring end),
   close_time: .endDate, active, closed,
   volume: ((.volume // .volumeNum) | num),
   liquidity: ((.liquidity // .liquidityNum) | num),
   contracts: [range([$o, $pr, $t] | map(length) | max) as $i
     | {outcome: $o[$i], token_id: $t[$i], price: ($pr[$i] | num)}]} as $r
| (["r", $p] | row),
  (["m", $r.market_id, $r.condition_id, $r.slug, $r.question, $r.event_id,
    $r.close_time, $r.active, $r.closed, $r.volume, $r.liquidity,
    ($r | tojson)] | row),
  ($r.contracts | to_entries[] | ["c", $r.market_id, .key, .value.outcome,
    .value.token_id, .value.price] | row)
