#!/bin/bash
# bench/fetch.sh - the static flow's listing against the fake Polymarket:
# BENCH_FETCH_N (default 20000) active markets, 2% of them without an end
# date, four to an event, behind BENCH_LATENCY ms (default 100) of
# latency, with Polymarket's published listing budgets enforced by the
# server (/markets 300, /events 500, both listings together 900 requests
# per 10 s; over-budget requests get 429 and are counted).
#
# Rows:
#  - static listing: markets and events as the static flow lists them,
#    timed by the server from the first listing request to the last;
#    markets/s and % of the /markets ceiling (300 / 10 s x 100 a page =
#    3,000 markets/s), over-budget answers, and whether every active
#    market came exactly once (count and id set equal to the server's);
#    "srv cpu": the fake server's CPU time over the listing's time (100%:
#    one core busy, the server could be the limit).
#    The peer, side by side: the old static flow's way, one cursor for
#    the markets, then one for the events (--partitions 1);
#    BENCH_BEFORE=path/to/old/pm-fetch adds an older build run that way.
#  - two fetchers at once: two full market listings started together
#    (static and delta under cron), their combined request rate against
#    the /markets budget, with the shared budget (one state directory)
#    and without it (one each).
# The server answers without gzip (BENCH_GZIP=1: with it) so that its
# Python, on a machine shared by many, is not what sets the pace; the
# last line measures it alone.  Never part of the tests: it takes a few
# minutes.
set -eu
cd "$(dirname "$0")/.."
N=${BENCH_FETCH_N:-20000}
LAT=${BENCH_LATENCY:-100}
BIN=${BENCH_BIN:-bin}
DIR=${BENCH_DIR:-build/bench}
ROWS=${BENCH_ROWS:-$DIR/rows.jsonl}
BEFORE=${BENCH_BEFORE:-}
GZ=--no-gzip
[ -n "${BENCH_GZIP:-}" ] && GZ=
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

pids=
stop() {
	local p
	for p in $pids; do kill "$p" 2>/dev/null; done
	rm -rf "$DIR/state" "$DIR/state1" "$DIR/state2"
}
trap stop EXIT

# start NAME ARGS...: a fake server; sets URL
start() {
	local name=$1 _
	shift
	rm -f "$DIR/$name.port"
	python3 tests/fake-polymarket.py --only-synthetic --markets "$N" \
	    --no-end-every 50 --event-size 4 --published-budgets \
	    ${GZ:+"$GZ"} --port-file "$DIR/$name.port" "$@" &
	pids="$pids $!"
	SPID=$!
	for _ in $(seq 1200); do
		[ -s "$DIR/$name.port" ] && break
		sleep 0.05
	done
	URL=http://127.0.0.1:$(cat "$DIR/$name.port")
}

stat() { curl -sf "$URL/_stats" | jq -r "$1"; }
# the fake server's CPU time so far, in clock ticks
cpu() { awk '{ print $14 + $15 }' "/proc/$SPID/stat"; }
reset() { curl -sf -X POST "$URL/_reset" >/dev/null; }

# listing LABEL OURS PM-FETCH sequential|concurrent [ARGS]: the static
# flow's listing, as the flow runs it now (concurrent) or ran it before
listing() {
	local label=$1 ours=$2 pmf=$3 how=$4 st=$DIR/state
	shift 4
	reset
	rm -rf "$st"
	c0=$(cpu)
	if [ "$how" = sequential ]; then
		PM_STATE_DIR=$st "$pmf" markets --closed false --gamma-url "$URL" \
		    "$@" >"$DIR/m.ndjson"
		PM_STATE_DIR=$st "$pmf" events --closed false --gamma-url "$URL" \
		    "$@" >"$DIR/e.ndjson"
	else
		PM_STATE_DIR=$st "$pmf" events --closed false --gamma-url "$URL" \
		    >"$DIR/e.ndjson" &
		PM_STATE_DIR=$st "$pmf" markets --closed false --gamma-url "$URL" \
		    >"$DIR/m.ndjson"
		wait $!
	fi
	c1=$(cpu)
	curl -sf "$URL/_stats" >"$DIR/stats.json"
	curl -sf "$URL/_ids" >"$DIR/ids.json"
	python3 - "$label" "$N" "$DIR" "$ROWS" "$ours" $((c1 - c0)) "$(getconf CLK_TCK)" <<'PY'
import json, sys
label, n, d, rows = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ours = sys.argv[5] == "ours"
srv_cpu = int(sys.argv[6]) / int(sys.argv[7])
st = json.load(open(d + "/stats.json"))
want = json.load(open(d + "/ids.json"))["markets"]
got = [json.loads(l)["payload"]["id"] for l in open(d + "/m.ndjson")
       if '"kind":"raw"' in l[:20]]
ev = sum(1 for l in open(d + "/e.ndjson") if '"kind":"raw"' in l[:20])
sp = st["span"]["listing"]
secs = sp[1] - sp[0]
over = sum(st["budget_429"].values())
once = len(got) == len(want) and len(set(got)) == len(got) and set(got) == set(want)
rate = len(want) / secs
noend = int(n / 50)
print("%-28s %6d %5d %6d %7.2f %8.0f %6.0f%% %5d %7.0f%%  %s" % (
    label, len(got), ev, sp[2], secs, rate, 100 * rate / 3000, over,
    100 * srv_cpu / secs,
    "yes" if once else "NO (%d got, %d distinct, %d missing)" % (
        len(got), len(set(got)), len(set(want) - set(got)))))
with open(rows, "a") as f:
    f.write(json.dumps({"workload": "static listing %d markets" % len(want),
                        "tool": "%s %.0f%% ceil %d over%s" % (
                            "pm-fetch" if ours else label.split(" (")[0],
                            100 * rate / 3000, over,
                            "" if once else " NOT once"),
                        "ours": ours, "seconds": round(secs, 3),
                        "peak_rss_mb": 0, "bytes": 0,
                        "records": len(got)}) + "\n")
PY
}

# two LABEL shared|apart: two market listings at once
two() {
	local label=$1 how=$2 s1=$DIR/state1 s2=$DIR/state2 n
	reset
	rm -rf "$s1" "$s2"
	[ "$how" = shared ] && s2=$s1
	PM_STATE_DIR=$s1 "$BIN/pm-fetch" markets --closed false --gamma-url "$URL" \
	    >"$DIR/a.ndjson" &
	PM_STATE_DIR=$s2 "$BIN/pm-fetch" markets --closed false --gamma-url "$URL" \
	    >"$DIR/b.ndjson"
	wait $!
	curl -sf "$URL/_stats" >"$DIR/stats.json"
	n=$(cat "$DIR/a.ndjson" "$DIR/b.ndjson" | wc -l)
	python3 - "$label" "$DIR" "$ROWS" "$how" "$n" <<'PY'
import json, sys
label, d, rows, how, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
st = json.load(open(d + "/stats.json"))
sp = st["span"]["markets"]
secs = sp[1] - sp[0]
over = st["budget_429"].get("markets", 0)
print("%-28s %6d req %7.2f s %6.1f req/s (budget 30/s) %5d over budget" % (
    label, sp[2], secs, sp[2] / secs, over))
with open(rows, "a") as f:
    f.write(json.dumps({"workload": "two fetchers at once",
                        "tool": "%s %.1f req/s %d over" % (
                            "shared budget" if how == "shared" else "a budget each",
                            sp[2] / secs, over),
                        "ours": how == "shared", "seconds": round(secs, 3),
                        "peak_rss_mb": 0, "bytes": 0, "records": n}) + "\n")
PY
}

start bench --latency "$LAT"
echo "static listing: $N markets ($((N / 50)) without an end date, 4 to an event)," \
    "${LAT} ms latency, budgets /markets 300, /events 500, listing 900 per 10 s," \
    "${GZ:-gzip}"
printf '%-28s %6s %5s %6s %7s %8s %7s %5s %8s  %s\n' "" markets events \
    req seconds markets/s ceiling over "srv cpu" "exactly once"
if [ -n "$BEFORE" ]; then
	listing "before (markets, events)" peer "$BEFORE" sequential
fi
listing "one cursor each, in turn" peer "$BIN/pm-fetch" sequential --partitions 1
listing "pm-fetch (events alongside)" ours "$BIN/pm-fetch" concurrent
echo "two fetchers at once, $N markets each:"
two "shared budget" shared
two "a budget each" apart

# The fake server alone: no latency, no budget, to show it is not what
# limits the rows above.
start alone
reset
t0=$(date +%s.%N)
PM_STATE_DIR=$DIR/state "$BIN/pm-fetch" markets --closed false --gamma-url "$URL" \
    -j 16 --partitions 16 --rate markets=1000000/10 >"$DIR/m.ndjson"
t1=$(date +%s.%N)
python3 -c "import sys; n, s = int(sys.argv[1]), float(sys.argv[3]) - float(sys.argv[2]); \
print('fake server alone (no latency, no budget): %d markets in %.2f s, %.0f markets/s, %.0f requests/s' \
% (n, s, n / s, int(sys.argv[4]) / s))" "$(wc -l <"$DIR/m.ndjson")" "$t0" "$t1" "$(stat .requests)"
