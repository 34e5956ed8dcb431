#!/bin/bash
# bench/store.sh - pm-store into SQLite and PostgreSQL, side by side, for
# BENCH_N (default 100000) markets with their contracts and raw payloads
# (fixture markets cloned with new ids).  Floors: sqlite3 .import and
# psql \copy of the same raw and market rows, no upsert, no checks.
# Baseline to beat: bench/store_baseline.py, Python executemany upserts
# (SQLite only: the image has no Python PostgreSQL driver).
set -eu
cd "$(dirname "$0")/.."
N=${BENCH_N:-100000}
DIR=${BENCH_DIR:-build/bench}
BIN=${BENCH_BIN:-bin}
mkdir -p "$DIR"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pm-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# shellcheck source=tests/pg.sh
. tests/pg.sh
pg_start || { echo "bench: no PostgreSQL: $PG_ERR" >&2; exit 1; }

DATA=$DIR/store-$N.ndjson
[ -s "$DATA" ] || jq -c '.[]' tests/fixtures/gamma-markets-*.json |
    "$BIN/pm-normalize" 2>/dev/null | python3 bench/store_gen.py "$N" >"$DATA"
RECORDS=$(wc -l <"$DATA")

# The floor's rows: raw (sha256, payload) and markets (id, record), as
# ASCII-separated text for sqlite3 and COPY text for psql.
python3 - "$DATA" "$TMP" <<'PY'
import json, sys
data, tmp = sys.argv[1], sys.argv[2]
ra, ma = open(tmp + "/raw.a", "w"), open(tmp + "/mkt.a", "w")
rc, mc = open(tmp + "/raw.copy", "w"), open(tmp + "/mkt.copy", "w")
esc = lambda s: s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
for line in open(data):
    r = json.loads(line)
    if r["kind"] == "raw":
        p = json.dumps(r["payload"], separators=(",", ":"), ensure_ascii=False)
        ra.write(r["sha256"] + "\x1f" + p + "\x1e")
        rc.write(r["sha256"] + "\t" + esc(p) + "\n")
    else:
        ma.write(r["market_id"] + "\x1f" + line.strip() + "\x1e")
        mc.write(r["market_id"] + "\t" + esc(line.strip()) + "\n")
PY

t() {	# t LABEL CMD: seconds
	python3 bench/timeit.py "$1" "$2" | python3 -c \
	    'import json,sys; r=json.load(sys.stdin); sys.exit(r["status"]) if r["status"] else print(r["seconds"])'
}

db=$(pg_newdb bench)
floor_pg=$(pg_newdb floor)
psql -q -X "$floor_pg" -c "CREATE TABLE raw (sha256 text PRIMARY KEY, payload text); CREATE TABLE mkt (id text PRIMARY KEY, record text)"
s_lite=$(t pm-store-sqlite "$BIN/pm-store --db $TMP/s.db <'$DATA' >/dev/null 2>&1")
s_lite2=$(t pm-store-sqlite-again "$BIN/pm-store --db $TMP/s.db <'$DATA' >/dev/null 2>&1")
s_pg=$(t pm-store-pg "$BIN/pm-store --db '$db' <'$DATA' >/dev/null 2>&1")
s_pg2=$(t pm-store-pg-again "$BIN/pm-store --db '$db' <'$DATA' >/dev/null 2>&1")
f_lite=$(t sqlite3-import "sqlite3 $TMP/f.db 'CREATE TABLE raw (sha256 TEXT PRIMARY KEY, payload TEXT)' 'CREATE TABLE mkt (id TEXT PRIMARY KEY, record TEXT)' '.mode ascii' '.import $TMP/raw.a raw' '.import $TMP/mkt.a mkt'")
f_pg=$(t psql-copy "psql -q -X '$floor_pg' -c '\\copy raw from $TMP/raw.copy' -c '\\copy mkt from $TMP/mkt.copy'")
b_lite=$(t python-executemany "python3 bench/store_baseline.py $TMP/b.db <'$DATA'")

python3 - "$RECORDS" "$N" "$s_lite" "$s_lite2" "$s_pg" "$s_pg2" "$f_lite" "$f_pg" "$b_lite" <<'PY'
import sys
rec, n = int(sys.argv[1]), int(sys.argv[2])
sl, sl2, sp, sp2, fl, fp, bl = map(float, sys.argv[3:])
print("pm-store: %d markets (%d records: raw + market, with contracts)" % (n, rec))
row = lambda name, s: print("  %-34s %7.2f s %10.0f records/s" % (name, s, rec / s))
row("pm-store sqlite (fresh)", sl)
row("pm-store sqlite (again, unchanged)", sl2)
row("pm-store postgresql (fresh)", sp)
row("pm-store postgresql (again)", sp2)
row("floor: sqlite3 .import", fl)
row("floor: psql \\copy", fp)
row("baseline: python executemany", bl)
print("  sqlite: %.2fx the python baseline, %.2fx the .import floor's time"
      % (bl / sl, sl / fl))
print("  postgresql: %.2fx the \\copy floor's time" % (sp / fp))
PY
