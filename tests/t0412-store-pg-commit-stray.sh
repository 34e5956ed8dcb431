#!/bin/bash
# pm-store on PostgreSQL: an error the server says after a batch's COMMIT
# was answered (a statement_timeout that fired as the COMMIT ended is said
# when the server reads the next message, the Sync that follows) is no
# error of that batch: it is committed.  The batch was taken for failed,
# stored again record by record ("unchanged"), or each record failed with
# the timeout and a failure row for what was stored.  tests/pg-stray.py
# says that error at the Sync after every COMMIT.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
pg_start

python3 "$TOP/bench/gen-markets.py" 40 2>/dev/null | pm-normalize >"$TMP/in.ndjson" 2>/dev/null

# stray: the proxy on a socket of its own in front of the server
stray_start() {
	mkdir -p "$TMP/px" && chmod 777 "$TMP/px" &&
	{ python3 "$TESTS_DIR/pg-stray.py" "$TMP/px" "$PG_DIR" >"$TMP/px.log" 2>&1 & } &&
	echo $! >"$TMP/px.pid" &&
	for _ in $(seq 50); do [ -S "$TMP/px/.s.PGSQL.5432" ] && return 0; sleep 0.1; done
	return 1
}
stray_stop() {
	[ -s "$TMP/px.pid" ] && kill "$(cat "$TMP/px.pid")" 2>/dev/null
	return 0
}
pg_ready && stray_start
trap 'test_exit_cleanup stray_stop pg_stop' EXIT

# A slow producer: a batch open for a second is sent on with its COMMIT
# (BATCH_MS); when its last record is the input's last, the COMMIT's answer
# is read with nothing begun behind it, and a Sync follows.  The first
# record is stored alone (pm-store starts, finds its input idle); the
# batch then begins with the second, and its last comes 0.06 s after the
# one before, less than the 0.1 s that makes input idle.  Where the second
# ends among them depends on the clock: each offset once.
slow() {
	python3 -c '
import sys, time
lines = open(sys.argv[1]).read().splitlines(True)
last = float(sys.argv[2])
sys.stdout.write(lines[0]); sys.stdout.flush(); time.sleep(1.5)
t0 = time.monotonic()
for i, t in enumerate([k * 0.06 for k in range(int(last / 0.06))] + [last, last + 0.06]):
    time.sleep(max(0, t0 + t - time.monotonic()))
    sys.stdout.write(lines[i + 1]); sys.stdout.flush()
' "$TMP/in.ndjson" "$1"
}

test_expect_success 'a slow producer, a stray error after each COMMIT: all inserted, none failed' '
	pg_ready && for t in 0.95 0.97 0.99; do
		pg_newdb "slow${t#*.}" >/dev/null &&
		u="postgresql://postgres@/slow${t#*.}?host=$TMP/px" &&
		{ slow $t | tee in.ndjson.$t | pm-store --db "$u" >out 2>err
		  echo $? >st; } &&
		test_eq 0 "$(cat st)" &&
		n=$(wc -l <in.ndjson.$t) &&
		test_grep "$n records: $n inserted, 0 updated, 0 unchanged, 0 duplicate, 0 skipped, 0 failed" err || return 1
	done &&
	test_num "$(grep -c stray "$TMP/px.log")" -ge 1
'
test_done
