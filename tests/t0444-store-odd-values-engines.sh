#!/bin/bash
# Odd values through ClickHouse and PostgreSQL and back: strings with
# tabs, backslashes, quotes, newlines, control characters, 4-byte UTF-8,
# U+2028, a BOM (escaped or not in the input); numbers at the edges of a
# double (DBL_MAX, the smallest subnormal, -0, 2^53+1, 1e21); times
# from 0001 to 9999, before 1970 and past ClickHouse's DateTime (2106)
# and DateTime64 (2262) ranges.  Every export of every kind and format
# is SQLite's, byte for byte (raw on ClickHouse in its documented
# order, fetched_at then sha256).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/ch.sh"
. "$TESTS_DIR/pg.sh"

python3 - >"$TMP/in.ndjson" <<'PY'
import hashlib, json
base = {"kind": "market", "source": "polymarket", "market_id": "m0",
    "condition_id": None, "question_id": None, "slug": "s", "question": "Q",
    "description": "D", "event_id": "e1", "event_slug": "es",
    "event": {"event_id": "e1", "slug": "es", "title": "T", "tags": []},
    "close_time": "2026-11-24T00:00:00Z", "start_time": None,
    "closed_time": None, "updated_at": None, "active": True,
    "closed": False, "archived": False, "neg_risk": False,
    "group_item_title": None, "resolution_status": None, "volume": None,
    "liquidity": None, "best_bid": None, "best_ask": None,
    "last_trade_price": None, "volume_24h": None, "volume_1wk": None,
    "spread": None, "one_day_price_change": None,
    "contracts": [{"outcome": "Yes", "token_id": "t1", "price": 0.5},
                  {"outcome": "No", "token_id": "t2", "price": 0.5}],
    "resolution": None, "resolved_outcome": None, "resolved_at": None,
    "tags": [], "raw_sha256": "a" * 64, "fetched_at": "2026-11-23T07:00:00Z"}
strs = ["tab\there", "back\\slash", "quote\"s 'single'",
    "emoji \U0001F600 4byte", "nl\nline\r\n", "ctl\u0001\u001f\u007f",
    "ls\u2028ps\u2029", "bs\\N\\t", "\\", "comma,semi;\"", "",
    " lead trail ", "\ufeffbom", "\u00e9 composed e\u0301"]
nums = [1.7976931348623157e308, 5e-324, 2.2250738585072014e-308, -0.0,
    1e-7, 0.1, 123456789012345678, 1e21, 9007199254740993, -1.5]
times = ["1970-01-01T00:00:00Z", "1969-12-31T23:59:59Z",
    "2105-12-31T23:59:59Z", "2106-02-07T06:28:16Z", "2262-04-11T23:47:16Z",
    "2299-12-31T23:59:59Z", "9999-12-31T23:59:59.999999Z",
    "1900-01-01T00:00:00Z", "0001-01-01T00:00:00Z",
    "2026-11-24T00:00:00.123456789Z"]
n = 0
def market(**kw):
    global n
    n += 1
    m = json.loads(json.dumps(base))
    m.update(kw)
    m["market_id"] = "m%d" % n
    for k, c in enumerate(m["contracts"]):
        c["token_id"] = "t%d_%d" % (n, k)
    print(json.dumps(m, ensure_ascii=n % 2 == 0))
for s in strs:
    market(question=s, description=s, slug=s, group_item_title=s,
        tags=[{"id": s or "x", "slug": s, "label": s}],
        contracts=[{"outcome": s, "price": 0.5}, {"outcome": "No", "price": 0.5}])
for x in nums:
    market(volume=x, liquidity=x, best_bid=x, spread=x,
        contracts=[{"outcome": "Yes", "price": x}, {"outcome": "No", "price": 0.5}])
for t in times:
    market(close_time=t, start_time=t, updated_at=t, resolved_at=t,
        closed_time=t)
for p, ts in [(-0.0, times[0]), (5e-324, times[3]), (1.0, times[6]),
        (0.30000000000000004, times[9]), (0.1, "1969-12-31T23:59:59.5Z"),
        (1e-300, "2262-04-11T23:47:16.854775807Z")]:
    for side in ("buy", "history"):
        print(json.dumps({"kind": "price", "source": "polymarket",
            "token_id": "t1_0", "market_id": "m1",
            "outcome": "tab\there \U0001F600", "side": side, "price": p,
            "ts": ts, "raw_sha256": "b" * 64,
            "fetched_at": "2026-11-23T07:00:00Z"}, ensure_ascii=False))
for j, s in enumerate(strs):
    print(json.dumps({"kind": "event", "source": "polymarket",
        "event_id": "ev%d" % j, "slug": s, "title": s, "description": s,
        "close_time": times[j % len(times)], "start_time": None,
        "active": True, "closed": False, "archived": False,
        "neg_risk": False, "volume": nums[j % len(nums)], "liquidity": None,
        "tags": [], "market_ids": ["m1"], "raw_sha256": "c" * 64,
        "fetched_at": "2026-11-23T07:00:00Z"}, ensure_ascii=j % 2 == 0))
for j, s in enumerate(strs):
    pl = {"id": "r%d" % j, "question": s, "n": nums[j % len(nums)]}
    txt = json.dumps(pl, ensure_ascii=j % 2 == 0)
    print(json.dumps({"kind": "raw", "source": "gamma", "endpoint": "markets",
        "url": "http://127.0.0.1/x?q=%d" % j,
        "fetched_at": times[j % len(times)],
        "sha256": hashlib.sha256(txt.encode()).hexdigest(),
        "request": {"limit": "500"}, "payload": pl}, ensure_ascii=j % 2 == 0))
PY

# every export this test compares, one per line
cat >"$TMP/exports" <<'EOF2'
--export market --all
--export market --all --format csv
--export market --all --format tsv
--export market --closed-since 1970-01-01
--export markets
--export event
--export event --format csv
--export event --format tsv
--export events
--export price
--export price --format csv
--export price --format tsv
EOF2

# same_exports URL [FILE]: every export of URL ($TMP/exports, or FILE's)
# is the SQLite one
# shellcheck disable=SC2086
same_exports() {
	local e
	while read -r e; do
		run pm-store --db "$TMP/s.db" $e && expect_status 0 &&
		test_line_count out -gt 0 && mv out want &&
		run pm-store --db "$1" $e && expect_status 0 || return 1
		if ! test_cmp want out; then say "differs: $e"; return 1; fi
	done <"${2:-$TMP/exports}"
}

test_expect_success 'SQLite stores every odd value' '
	run pm-store --db "$TMP/s.db" "$TMP/in.ndjson" && expect_status 0 &&
	test_grep "74 records: 74 inserted, .* 0 failed" err
'

test_expect_success 'ClickHouse: every export is SQLite'"'"'s' '
	ch_start odd && ch_query "CREATE DATABASE o" &&
	URL=clickhouse://127.0.0.1:${CH_HTTP##*:}/o &&
	run pm-store --db "$URL" "$TMP/in.ndjson" && expect_status 0 &&
	test_grep "74 records: 74 inserted, .* 0 failed" err &&
	same_exports "$URL" &&
	run pm-store --db "$TMP/s.db" --export raw && expect_status 0 &&
	jq -c "[.fetched_at, .sha256, .]" out | sort | jq -c ".[2]" >want &&
	run pm-store --db "$URL" --export raw && expect_status 0 &&
	jq -c . out >got && test_line_count got -eq 14 && test_cmp want got
'

# PostgreSQL's float8 keeps -0, which the exports wrote as -0 where
# SQLite and ClickHouse give 0
test_expect_success 'PostgreSQL: every export is SQLite'"'"'s, -0 as 0' '
	pg_start && pg_ready && P=$(pg_newdb odd) &&
	run pm-store --db "$P" "$TMP/in.ndjson" && expect_status 0 &&
	test_grep "74 records: 74 inserted, .* 0 failed" err &&
	same_exports "$P" &&
	echo "--export raw" >raw && same_exports "$P" raw
'

test_done
