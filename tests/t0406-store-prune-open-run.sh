#!/bin/bash
# A prune beside a store (pm-schema(5): it keeps every payload the store
# writes a fetch of) deleted the payload of a raw record the store had
# just committed, its market still to come in the next batch: nothing
# named the payload yet.  The market was then stored naming a payload
# gone.  A fetch of a run still open (running) is kept, on each engine.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/ch.sh"
pg_start

F=$TESTS_DIR/fixtures-store/build-c51f474-run2.ndjson

# race DB: lines 1 and 2 (the run's start, a raw record fetched on
# 2026-12-02) stored and committed, then a prune of what was fetched
# before 2026-12-03, then line 3 (the market read from that raw)
race() {
	rm -f fifo part && mkfifo fifo &&
	{ pm-store --db "$1" <fifo >part 2>store.err & } &&
	pid=$! &&
	exec 3>fifo &&
	sed -n 1,2p "$F" >&3 &&
	tries=0 &&
	while [ "$(wc -l <part)" -lt 2 ] && [ "$tries" -lt 500 ]; do
		sleep 0.02
		tries=$((tries + 1))
	done &&
	test_line_count part = 2 &&
	run pm-store --db "$1" --prune-before 2026-12-03 &&
	sed -n 3p "$F" >&3 && exec 3>&- &&
	wait "$pid" && test_line_count part -ge 3 &&
	expect_status 0 && test_grep "^pm-store: 0 raw payload" err
}
SHA=$(sed -n 3p "$F" | jq -r .raw_sha256)

test_expect_success 'SQLite: the payload the market names stays' '
	race s.db &&
	test_eq 1 "$(sqlite3 s.db "SELECT count(*) FROM raw_payloads
	    WHERE sha256 = (SELECT raw_sha256 FROM markets)")"
'

test_expect_success 'PostgreSQL: the same' '
	pg_ready && url=$(pg_newdb pruneopen) &&
	race "$url" &&
	test_eq 1 "$(psql -X -At "$url" -c "SELECT count(*) FROM raw_payloads
	    WHERE sha256 = (SELECT raw_sha256 FROM markets)")"
'

test_expect_success 'ClickHouse: the same' '
	{ ch_start pruneopen || { say "$CH_ERR"; false; }; } &&
	ch_query "CREATE DATABASE p" &&
	race "clickhouse://127.0.0.1:${CH_HTTP##*:}/p" &&
	test_eq 1 "$(ch_dbq p "SELECT count() FROM raw_responses FINAL
	    WHERE sha256 = (SELECT raw_sha256 FROM markets FINAL)")"
'

test_expect_success 'a run ended: its old fetches named by nothing go' '
	{ sed -n 1,2p "$F" && head -n 1 "$F" | jq -c ".phase = \"end\" |
	    .finished_at = \"2026-12-02T07:05:00Z\" | .status = \"completed\" |
	    .counts = {}"; } >ended.ndjson &&
	run pm-store --db e.db ended.ndjson && expect_status 0 &&
	run pm-store --db e.db --prune-before 2026-12-03 &&
	expect_status 0 && test_grep "^pm-store: 1 raw payload" err
'

test_done
