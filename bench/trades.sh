#!/bin/bash
# bench/trades.sh - pm-fetch trades for 2,000 markets against the fake
# server with the published /trades budget (200 requests per 10 s)
# enforced: requests/s as a share of the budget, and the 429s (over
# budget).  Markets go 5 to a request (--batch 5): 400 requests at least.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
N=${BENCH_TRADES_N:-2000}
DIR=${BENCH_DIR:-$TOP/build/bench}
ROWS=${BENCH_ROWS:-$DIR/rows.jsonl}
mkdir -p "$DIR"
TMPD=$(mktemp -d)
trap 'kill $PID 2>/dev/null; rm -rf "$TMPD"' EXIT
python3 "$TOP/tests/fake-polymarket.py" --port-file "$TMPD/port" --markets "$N" \
    --only-synthetic --trades 20 --budget trades=200/10 2>/dev/null &
PID=$!
for _ in $(seq 100); do [ -s "$TMPD/port" ] && break; sleep 0.1; done
URL=http://127.0.0.1:$(cat "$TMPD/port")
export PM_GAMMA_URL=$URL PM_CLOB_URL=$URL PM_DATA_URL=$URL
"$TOP/bin/pm-fetch" markets --rate markets=1000000/10 2>/dev/null |
    "$TOP/bin/pm-normalize" -R >"$TMPD/markets.ndjson"
curl -sf -X POST "$URL/_reset" >/dev/null
t0=$(date +%s.%N)
"$TOP/bin/pm-fetch" trades --batch 5 "$TMPD/markets.ndjson" >"$TMPD/out.ndjson"
t1=$(date +%s.%N)
st=$(curl -sf "$URL/_stats")
python3 - "$t0" "$t1" "$st" "$(grep -c '"endpoint":"trades"' "$TMPD/out.ndjson")" \
    "$(wc -l <"$TMPD/markets.ndjson")" "$ROWS" <<'PY'
import json, sys
t0, t1, st, pages, markets = float(sys.argv[1]), float(sys.argv[2]), json.loads(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rows = sys.argv[6]
req = st["endpoints"].get("trades", 0)
over = st["budget_429"].get("trades", 0)
secs = t1 - t0
print("trades: %d markets, %d requests (%d pages) in %.2f s = %.1f requests/s, "
      "%.0f%% of the /trades budget (20/s), %d over budget (429)"
      % (markets, req, pages, secs, req / secs, 100 * req / secs / 20, over))
with open(rows, "a") as f:
    f.write(json.dumps({"workload": "fetch trades of %d markets" % markets,
                        "tool": "pm-fetch trades %.0f%% budget %d over"
                        % (100 * req / secs / 20, over), "ours": True,
                        "seconds": round(secs, 3), "peak_rss_mb": 0,
                        "bytes": 0, "records": pages}) + "\n")
PY
