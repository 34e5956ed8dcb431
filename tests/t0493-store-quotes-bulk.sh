#!/bin/bash
# pm-store: prices into silver in bulk.  A batch's quotes reach contracts
# at its end, one UPDATE for all its tokens, and leave what taking them
# one by one would: an older observation changes nothing, a newer one on
# one side starts afresh, the sides of one moment combine into a
# midpoint.  Checked against that rule, written out in quotes.py, over
# many tokens, observations out of order within and across batches, on
# SQLite and PostgreSQL.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"

# quotes.py markets N: N markets of two tokens each.
# quotes.py obs N SEED TOKENS MOMENTS: N price records in random order
#   over the first TOKENS tokens and MOMENTS moments, buy, sell, mid and
#   (not quotes) last and history.
# quotes.py model FILE...: the contracts the records leave when taken
#   one by one, as "token|bid|ask|mid|quoted_at", sorted.
cat >"$TMP/quotes.py" <<'EOF'
import json, random, sys

def tok(i):
    return "71%020d" % i

cmd = sys.argv[1]
if cmd == "markets":
    for m in range(int(sys.argv[2])):
        print(json.dumps({"kind": "market", "source": "polymarket",
            "market_id": str(900000 + m), "question": "Q%d" % m,
            "contracts": [{"outcome": "Yes", "token_id": tok(2 * m), "price": 0.5},
                          {"outcome": "No", "token_id": tok(2 * m + 1), "price": 0.5}]}))
elif cmd == "obs":
    n, seed, ntok, nmom = map(int, sys.argv[2:6])
    rng = random.Random(seed)
    for _ in range(n):
        print(json.dumps({"kind": "price", "token_id": tok(rng.randrange(ntok)),
            "side": rng.choice(["buy", "sell", "mid", "buy", "sell", "last", "history"]),
            "price": rng.randrange(1, 100) / 100,
            "ts": "2026-05-01T00:%02d:00.000Z" % rng.randrange(nmom)}))
else:
    state = {}
    for f in sys.argv[2:]:
        for line in open(f):
            r = json.loads(line)
            if r.get("kind") != "price" or r["side"] not in ("buy", "sell", "mid"):
                continue
            bid, ask, mid, at = state.get(r["token_id"], (None, None, None, None))
            t, p = r["ts"], r["price"]
            if at is not None and at > t:
                continue
            if at != t:
                bid = ask = mid = None
            if r["side"] == "mid":
                mid = p
            elif r["side"] == "buy":
                bid = p
                mid = (bid + ask) / 2 if ask is not None else mid
            else:
                ask = p
                mid = (bid + ask) / 2 if bid is not None else mid
            state[r["token_id"]] = (bid, ask, mid, t)
    f6 = lambda x: "" if x is None else "%.6f" % x
    for k in sorted(state):
        b, a, m, t = state[k]
        print("%s|%s|%s|%s|%s" % (k, f6(b), f6(a), f6(m), t))
EOF
qpy() { python3 "$TMP/quotes.py" "$@"; }
f6() { echo "CASE WHEN $1 IS NULL THEN '' ELSE printf('%.6f', $1) END"; }
Q="SELECT token_id, $(f6 best_bid), $(f6 best_ask), $(f6 midpoint), quoted_at
	FROM contracts WHERE quoted_at IS NOT NULL ORDER BY 1"
QPG="SELECT token_id, COALESCE(round(best_bid::numeric, 6)::text, ''),
	COALESCE(round(best_ask::numeric, 6)::text, ''),
	COALESCE(round(midpoint::numeric, 6)::text, ''),
	quoted_at FROM contracts WHERE quoted_at IS NOT NULL ORDER BY 1"
lite() { sqlite3 "$TMP/a.db" "$1"; }
qpy markets 400 >"$TMP/markets.ndjson"
# three runs of 1500 records over 800 tokens and 6 moments, then one of
# 5000 (three batches), each run older and newer than the stored ones
for i in 1 2 3; do qpy obs 1500 "$i" 800 6 >"$TMP/obs$i.ndjson"; done
qpy obs 5000 4 800 6 >"$TMP/obs4.ndjson"

test_expect_success 'the moments: quotes of one moment combine, of two start afresh' '
	pm-store --db "$TMP/h.db" "$TMP/markets.ndjson" >/dev/null &&
	t1=$(qpy markets 1 | jq -r ".contracts[0].token_id") &&
	p() { printf "{\"kind\":\"price\",\"token_id\":\"%s\",\"side\":\"%s\",\"price\":%s,\"ts\":\"2026-05-01T00:0%s:00.000Z\"}\n" "$t1" "$@"; } &&
	h() { sqlite3 "$TMP/h.db" "SELECT best_bid, best_ask, midpoint, substr(quoted_at, 15, 2) FROM contracts WHERE token_id = '\''$t1'\''"; } &&
	{ p buy 0.4 2; p sell 0.6 2; } | pm-store --db "$TMP/h.db" >/dev/null &&
	test_eq "0.4|0.6|0.5|02" "$(h)" &&
	{ p buy 0.1 1; p mid 0.2 1; } | pm-store --db "$TMP/h.db" >/dev/null &&
	test_eq "0.4|0.6|0.5|02" "$(h)" &&
	{ p sell 0.7 3; p buy 0.5 2; } | pm-store --db "$TMP/h.db" >/dev/null &&
	test_eq "|0.7||03" "$(h)" &&
	{ p buy 0.5 3; p mid 0.55 3; } | pm-store --db "$TMP/h.db" >/dev/null &&
	test_eq "0.5|0.7|0.55|03" "$(h)" &&
	{ p mid 0.3 4; p buy 0.2 4; p buy 0.25 4; } | pm-store --db "$TMP/h.db" >/dev/null &&
	test_eq "0.25||0.3|04" "$(h)"
'

test_expect_success 'SQLite: many tokens, out of order, batch after batch, as one by one' '
	pm-store --db "$TMP/a.db" "$TMP/markets.ndjson" >/dev/null &&
	for i in 1 2 3 4; do
		run pm-store --db "$TMP/a.db" "$TMP/obs$i.ndjson" && expect_status 0 &&
		qpy model "$TMP"/obs[1-$i].ndjson >want &&
		lite "$Q" >got && test_cmp want got || return 1
	done &&
	test_num "$(wc -l <got)" -gt 700
'

test_expect_success 'SQLite: each contract written once a batch' '
	lite "CREATE TABLE quote_log (token_id TEXT);
		CREATE TRIGGER quote_log AFTER UPDATE OF quoted_at ON contracts
		BEGIN INSERT INTO quote_log VALUES (new.token_id); END" &&
	jq -c "select(.side == \"buy\" or .side == \"sell\") |
		.ts = \"2026-05-02T00:00:00.000Z\"" "$TMP/obs1.ndjson" >next.ndjson &&
	jq -r .token_id next.ndjson | sort -u >tokens &&
	test_num "$(wc -l <next.ndjson)" -gt "$(wc -l <tokens)" &&
	run pm-store --db "$TMP/a.db" next.ndjson && expect_status 0 &&
	lite "SELECT token_id FROM quote_log ORDER BY 1" >written &&
	test_cmp tokens written &&
	qpy model "$TMP"/obs[1-4].ndjson next.ndjson >want &&
	lite "$Q" >got && test_cmp want got
'

test_expect_success 'a quote finds the contract its batch stores before or after it' '
	qpy obs 300 9 100 1 | jq -c "select(.side == \"buy\")" >late.ndjson &&
	qpy markets 50 >late-markets.ndjson &&
	cat late.ndjson late-markets.ndjson | pm-store --db "$TMP/l.db" >/dev/null &&
	qpy model late.ndjson >want &&
	sqlite3 "$TMP/l.db" "$Q" >got && test_cmp want got
'

pg_start
test_expect_success 'PostgreSQL: the same, as one by one' '
	pg_ready && url=$(pg_newdb quotes) &&
	pm-store --db "$url" "$TMP/markets.ndjson" >/dev/null &&
	for i in 1 2 3 4; do
		run pm-store --db "$url" "$TMP/obs$i.ndjson" && expect_status 0 &&
		qpy model "$TMP"/obs[1-$i].ndjson >want &&
		psql -X -A -t "$url" -c "$QPG" >got && test_cmp want got || return 1
	done
'

test_expect_success 'PostgreSQL: one UPDATE of contracts a batch' '
	pg_ready && url=$(pg_newdb quotes1) &&
	pm-store --db "$url" "$TMP/markets.ndjson" >/dev/null &&
	jq -c "select(.side == \"buy\" or .side == \"sell\") |
		.ts = \"2026-05-02T00:00:00.000Z\"" "$TMP/obs1.ndjson" |
		jq -sc "unique_by([.token_id, .side]) | .[]" >one.ndjson &&
	test_num "$(wc -l <one.ndjson)" -gt 500 &&
	before=$(wc -c <"$PG_DIR/server.log") &&
	PGOPTIONS="-c log_statement=all" run pm-store --db "$url" one.ndjson &&
	expect_status 0 &&
	tail -c +$((before + 1)) "$PG_DIR/server.log" >log &&
	test_eq 1 "$(grep -c "UPDATE contracts SET best_bid" log)" &&
	qpy model one.ndjson >want &&
	psql -X -A -t "$url" -c "$QPG" >got && test_cmp want got
'

test_done
