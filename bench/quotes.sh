#!/bin/bash
# bench/quotes.sh [BEFORE_BIN] - price records stored per second, SQLite
# and PostgreSQL, by $BENCH_BIN's pm-store and, side by side, by
# BEFORE_BIN's (another build, e.g. of main) when given.  BENCH_N price
# records (buy, sell and mid quotes over 6 moments, in random order) for
# BENCH_N/5 tokens, into a store that already holds their markets: the
# price_history rows and each contract's quote (pm-store(1)).
set -eu
cd "$(dirname "$0")/.."
N=${BENCH_N:-100000}
BIN=${BENCH_BIN:-bin}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pm-bench.XXXXXX")
test_exit_cleanup() { "$@"; rm -rf "$TMP"; }
trap 'rm -rf "$TMP"' EXIT
# shellcheck source=tests/pg.sh
. tests/pg.sh
pg_start || { echo "bench: no PostgreSQL: $PG_ERR" >&2; exit 1; }

python3 - "$N" "$TMP" <<'PY'
import json, random, sys
n, tmp = int(sys.argv[1]), sys.argv[2]
rng, ntok = random.Random(1), max(2, n // 5)
tok = lambda i: "72%020d" % i
with open(tmp + "/markets.ndjson", "w") as f:
    for m in range(ntok // 2):
        f.write(json.dumps({"kind": "market", "source": "polymarket",
            "market_id": str(800000 + m), "question": "Q%d" % m,
            "contracts": [{"outcome": o, "token_id": tok(2 * m + k), "price": 0.5}
                          for k, o in enumerate(("Yes", "No"))]}) + "\n")
with open(tmp + "/prices.ndjson", "w") as f:
    for _ in range(n):
        f.write(json.dumps({"kind": "price", "token_id": tok(rng.randrange(ntok)),
            "side": rng.choice(("buy", "sell", "mid")),
            "price": rng.randrange(1, 100) / 100,
            "ts": "2026-05-01T00:%02d:00.000Z" % rng.randrange(6)}) + "\n")
PY

# one NAME BIN ENGINE: seconds for BIN's pm-store over the prices
one() {
	local db t0 t1
	if [ "$3" = pg ]; then db=$(pg_newdb "q$1")
	else db=$TMP/$1.db; rm -f "$db"; fi
	"$2/pm-store" --db "$db" "$TMP/markets.ndjson" >/dev/null 2>&1
	t0=$(date +%s.%N)
	"$2/pm-store" --db "$db" "$TMP/prices.ndjson" >/dev/null 2>&1
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" "BEGIN { print b - a }"
}

# per_s SECONDS: the N records' rate
per_s() { awk -v n="$N" -v s="$1" 'BEGIN { printf "%d", n / s }'; }

printf '%-8s %-8s %12s %10s\n' engine build records/s ratio
for e in sqlite pg; do
	after=$(one after "$BIN" $e)
	ra=$(per_s "$after")
	if [ $# -gt 0 ]; then
		before=$(one before "$1" $e)
		rb=$(per_s "$before")
		printf '%-8s %-8s %12s\n' $e before "$rb"
		printf '%-8s %-8s %12s %10s\n' $e after "$ra" \
		    "$(awk -v a="$after" -v b="$before" "BEGIN { printf \"%.2f\", b / a }")"
	else
		printf '%-8s %-8s %12s\n' $e after "$ra"
	fi
done
