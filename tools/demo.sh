#!/bin/bash
# tools/demo.sh - the main job end to end, offline (make demo).
#
# Starts the fake Polymarket server on 127.0.0.1 with the recorded real
# responses and synthetic markets cloned from them, runs the daily flow
# into the embedded SQLite database, prints the summary, then the status.
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

db=${DEMO_DB:-data/demo.db}
python3 tests/fake-polymarket.py --port-file "$work/port" \
    --markets "${DEMO_MARKETS:-3000}" --events "${DEMO_EVENTS:-40}" \
    2>"$work/server.log" &
server=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { cat "$work/server.log" >&2; echo "demo: the fake server did not start" >&2; exit 3; }
port=$(cat "$work/port")
export PM_GAMMA_URL=http://127.0.0.1:$port PM_CLOB_URL=http://127.0.0.1:$port

echo "demo: fake Polymarket on 127.0.0.1:$port; database $db"
echo "demo: ./pipelines.sh daily --db $db --summary-path data/demo-summary.json"
./pipelines.sh daily --db "$db" --dump-dir data/dumps \
    --summary-path data/demo-summary.json --env-file /dev/null
status=$?
echo
echo "demo: daily flow exit status $status; JSON summary in data/demo-summary.json"
echo "demo: ./pipelines.sh status --db $db"
./pipelines.sh status --db "$db" --env-file /dev/null
exit "$status"
