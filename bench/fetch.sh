#!/bin/bash
# bench/fetch.sh - pm-fetch markets against the fake Polymarket:
# BENCH_FETCH_N (default 20000) markets behind BENCH_LATENCY ms (default 100) of latency,
# with the published /markets budget (300 requests per 10 s) enforced by
# the server.  Reports markets/s against the budget's ceiling (300 / 10 s
# x 100 a page = 3000 markets/s), the 429s, and, from the same run, a
# plain sequential keyset loop in Python (urllib) as the baseline.  Also
# measures the fake server alone (no latency, no budget), to show it is
# not the bottleneck.  Never part of the tests: it takes a minute.
set -eu
cd "$(dirname "$0")/.."
N=${BENCH_FETCH_N:-20000}
LAT=${BENCH_LATENCY:-100}
PARTS=${BENCH_PARTITIONS:-8}
BIN=${BENCH_BIN:-bin}
DIR=${BENCH_DIR:-build/bench}
ROWS=${BENCH_ROWS:-$DIR/rows.jsonl}
mkdir -p "$DIR"

pids=
stop() {
	local p
	for p in $pids; do kill "$p" 2>/dev/null; done
}
trap stop EXIT

# start NAME ARGS...: a fake server; sets URL
start() {
	local name=$1 _
	shift
	rm -f "$DIR/$name.port"
	python3 tests/fake-polymarket.py --only-synthetic --markets "$N" \
	    --port-file "$DIR/$name.port" "$@" &
	pids="$pids $!"
	for _ in $(seq 600); do
		[ -s "$DIR/$name.port" ] && break
		sleep 0.05
	done
	URL=http://127.0.0.1:$(cat "$DIR/$name.port")
}

now() { python3 -c 'import time; print(time.monotonic())'; }

# run_fetch LABEL ARGS...: pm-fetch markets; prints seconds and records
run_fetch() {
	local t0 t1
	shift
	t0=$(now)
	"$BIN/pm-fetch" markets --gamma-url "$URL" "$@" >"$DIR/fetch.ndjson"
	t1=$(now)
	SECS=$(python3 -c "print(round($t1 - $t0, 3))")
	RECS=$(wc -l <"$DIR/fetch.ndjson")
	DISTINCT=$(jq -r .payload.id "$DIR/fetch.ndjson" | sort -u | wc -l)
}

baseline() {
	python3 - "$URL" <<'PY'
import json, sys, time, urllib.request
base, n, cursor, t0 = sys.argv[1], 0, None, time.monotonic()
while True:
    url = base + "/markets/keyset?closed=false&limit=100"
    if cursor:
        url += "&after_cursor=" + cursor
    req = urllib.request.Request(url, headers={"User-Agent": "bench/1"})
    page = json.load(urllib.request.urlopen(req))
    n += len(page["markets"])
    cursor = page.get("next_cursor")
    if not cursor:
        break
print(n, round(time.monotonic() - t0, 3))
PY
}

stat() { curl -sf "$URL/_stats" | jq -r "$1"; }

echo "fetch: $N markets, ${LAT} ms latency, /markets budget 300 per 10 s"

start server-alone
run_fetch alone --partitions "$PARTS" -j 16 --rate markets=1000000/10
echo "fake server alone: $RECS markets in ${SECS}s ($(stat .requests) requests," \
    "$(python3 -c "print(round($(stat .requests) / $SECS))") requests/s," \
    "$(python3 -c "print(round($RECS / $SECS))") markets/s)"

start budget --latency "$LAT" --budget markets=300/10
run_fetch pm-fetch --partitions "$PARTS"
F_SECS=$SECS F_RECS=$RECS
F_REQ=$(stat .requests) F_429=$(stat '.status["429"] // 0')
curl -sf -X POST "$URL/_reset" >/dev/null
read -r B_RECS B_SECS <<<"$(baseline)"
B_429=$(stat '.status["429"] // 0')

python3 - "$F_RECS" "$F_SECS" "$F_REQ" "$F_429" "$DISTINCT" "$B_RECS" "$B_SECS" "$B_429" "$ROWS" <<'PY'
import json, sys
fr, fs, freq, f429, fd, br, bs, b429, rows = sys.argv[1:]
with open(rows, "a") as f:
    ceil = 300 / 10 * 100
    wl = "fetch %s markets" % fr
    f.write(json.dumps({"workload": wl, "tool": "pm-fetch %.0f%% ceil %s 429s"
                        % (100 * int(fr) / float(fs) / ceil, f429),
                        "ours": True, "seconds": float(fs), "peak_rss_mb": 0,
                        "bytes": 0, "records": int(fr)}) + "\n")
    f.write(json.dumps({"workload": wl, "tool": "sequential urllib",
                        "ours": False, "seconds": float(bs), "peak_rss_mb": 0,
                        "bytes": 0, "records": int(br)}) + "\n")
fr, fs, freq, f429, fd, br, bs = int(fr), float(fs), int(freq), int(f429), int(fd), int(br), float(bs)
ceiling = 300 / 10 * 100
print("%-22s %8s %8s %10s %9s %6s" % ("", "markets", "seconds", "markets/s", "ceiling", "429s"))
print("%-22s %8d %8.2f %10.0f %8.0f%% %6d" % ("pm-fetch (%d req)" % freq, fr, fs, fr / fs, 100 * fr / fs / ceiling, f429))
print("%-22s %8d %8.2f %10.0f %8.0f%% %6s" % ("sequential urllib", br, bs, br / bs, 100 * br / bs / ceiling, b429))
print("pm-fetch / sequential: %.1fx; distinct ids %d of %d" % ((fr / fs) / (br / bs), fd, fr))
print("budget ceiling: 300 requests / 10 s x 100 markets a page = %.0f markets/s" % ceiling)
PY
