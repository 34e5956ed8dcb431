#!/bin/bash
# tools/demo.sh - the main job end to end, offline (make demo).
#
# Starts the fake Polymarket server on 127.0.0.1 with the recorded real
# responses and synthetic markets cloned from them, closing over the next
# 10 days; runs the daily flow on the target day into the embedded SQLite
# database, then again on the same day with a variant added; prints the
# summaries, the results per variant, then the status.
set -u -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 3

work=$(mktemp -d "${TMPDIR:-/tmp}/pm-demo.XXXXXX")
server=
# shellcheck disable=SC2317  # called by the trap
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# everything the demo writes goes in DEMO_DATA (data/): the database,
# the dumps and the summaries
data=${DEMO_DATA:-data}
mkdir -p "$data" || exit 3
db=${DEMO_DB:-$data/demo.db}
# The run's clock, the start of this hour (UTC): the target day is 7 days
# ahead, the same day for every demo run today, and the server lays its
# markets out over the next 10 days from the same clock.  (A fixed 07:00
# made a demo run before 07:00 finish before it started.)
now=${DEMO_NOW:-$(date -u +%FT%H:00:00Z)}
python3 tests/fake-polymarket.py --port-file "$work/port" --now "$now" \
    --markets "${DEMO_MARKETS:-300}" --spread-days 10 --group-size 3 \
    --events "${DEMO_EVENTS:-40}" 2>"$work/server.log" &
server=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { cat "$work/server.log" >&2; echo "demo: the fake server did not start" >&2; exit 3; }
port=$(cat "$work/port")
export PM_GAMMA_URL=http://127.0.0.1:$port PM_CLOB_URL=http://127.0.0.1:$port
# the fake server's rate budget lives and goes with the demo, not in the
# user's ~/.cache/pm
export PM_STATE_DIR=$work/state

daily() {
	echo "demo: ./pipelines.sh daily --db $db --now $now $*"
	./pipelines.sh daily --db "$db" --now "$now" --dump-dir "$data/dumps" \
	    --env-file /dev/null "$@"
}

echo "demo: fake Polymarket on 127.0.0.1:$port; database $db"
echo "demo: 1. the builtin suite on the markets closing 7 days after $now"
daily --summary-path "$data/demo-summary.json"
status=$?
echo
echo "demo: 2. the same day again, the builtin suite plus a jq variant"
echo "demo:    (examples/experiments-builtin-plus.json): the new variant runs"
echo "demo:    on the events already processed, the builtin rows stay"
daily --config examples/experiments-builtin-plus.json \
    --summary-path "$data/demo-summary-2.json"
s2=$?
[ "$status" -ne 0 ] || status=$s2
echo
echo "demo: exit status $status; JSON summaries in $data/demo-summary.json and $data/demo-summary-2.json"
echo "demo: results per variant in $db:"
sqlite3 "$db" "SELECT experiment_id, count(*) FROM experiment_results GROUP BY 1 ORDER BY 1" 2>/dev/null
echo "demo: ./pipelines.sh status --db $db"
./pipelines.sh status --db "$db" --env-file /dev/null
exit "$status"
