#!/bin/bash
# pm-store when SQLite fails under it: another writer holds the lock past
# PM_DB_TIMEOUT, the disk fills up, the file size limit is hit.  Each time:
# a clear message naming the file, exit 3, within a bounded time, the
# database holds exactly what pm-store said it stored and passes its
# integrity check, and the same input stored again gives the rows of one
# uninterrupted run.  (PostgreSQL: t0941.)
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/db-faults.sh"

# hold_lock DB [SECONDS]: another process takes DB's writer lock and keeps
# it until ./release appears (or SECONDS, 30 at most); returns once it is
# held.  $holder is its pid.  Not on fd 3: it must not keep a fifo open.
hold_lock() {
	python3 - "$1" "${2:-30}" 3>&- <<-'PY' &
	import os, sqlite3, sys, time
	c = sqlite3.connect(sys.argv[1], isolation_level=None)
	c.execute("BEGIN IMMEDIATE")
	open("locked", "w").close()
	end = time.time() + float(sys.argv[2])
	while not os.path.exists("release") and time.time() < end:
	    time.sleep(0.02)
	c.execute("ROLLBACK")
	PY
	holder=$!
	wait_for test -e locked
}

release_lock() {
	touch release
	wait "$holder"
}

test_expect_success 'the lock wait is documented, PM_DB_TIMEOUT sets it, a bad value is named' '
	test_grep "^\.It Ev PM_DB_TIMEOUT" "$TOP/man/pm-store.1" &&
	test_grep "10 seconds" "$TOP/man/pm-store.1" &&
	PM_DB_TIMEOUT=soon run pm-store --db a.db "$STREAM" && expect_status 0 &&
	test_grep -x "pm-store: PM_DB_TIMEOUT: not a number of seconds from 0 to 86400: soon" err
'

test_expect_success 'SQLite locked before pm-store starts, past PM_DB_TIMEOUT: error, exit 3, nothing written' '
	pm-store --db a.db </dev/null 2>/dev/null && db_dump a.db >before &&
	hold_lock a.db &&
	t0=$(now_ms) &&
	PM_DB_TIMEOUT=1 run timeout 60 pm-store --db a.db "$STREAM" &&
	elapsed=$(($(now_ms) - t0)) && release_lock && echo "exit $status after $elapsed ms" &&
	expect_status 3 && test_num "$elapsed" -ge 1000 && test_num "$elapsed" -lt 8000 &&
	test_grep -x "pm-store: a.db: database is locked: held by another process for more than 1 s (PM_DB_TIMEOUT)" err &&
	test ! -s out && db_dump a.db >after && test_cmp before after
'

test_expect_success 'SQLite locked mid-run past PM_DB_TIMEOUT: error, exit 3, only what it said stored; rerun = clean run' '
	export PM_DB_TIMEOUT=1 && store_fifo a.db &&
	feed 1 12 && wait_for has_rows a.db processed_events 1 &&
	hold_lock a.db && t0=$(now_ms) && feed 13 && store_wait && expect_status 3 &&
	test_num "$elapsed_ms" -ge 1000 &&
	test_num "$elapsed_ms" -lt 8000 &&
	test_grep -x "pm-store: a.db: database is locked: held by another process for more than 1 s (PM_DB_TIMEOUT)" err &&
	test_count failure out -ge 1 &&
	stored_as_said a.db out && release_lock &&
	mv out out1 && unset PM_DB_TIMEOUT &&
	run pm-store --db a.db "$STREAM" && expect_status 0 &&
	db_dump a.db >d && test_cmp "$CLEAN" d
'

test_expect_success 'a slow producer: pm-store waits with everything committed and the lock free' '
	store_fifo a.db && feed 1 13 && wait_for has_rows a.db raw_responses 6 &&
	hold_lock a.db 5 && release_lock &&
	t0=$(now_ms) && feed 14 && store_wait && expect_status 0 &&
	db_dump a.db >d && test_cmp "$CLEAN" d
'

test_expect_success 'SQLite lock released before PM_DB_TIMEOUT: pm-store waits, then stores everything' '
	pm-store --db a.db </dev/null 2>/dev/null &&
	hold_lock a.db &&
	{ PM_DB_TIMEOUT=30 timeout 60 pm-store --db a.db "$STREAM" >out 2>err & pid=$!; } &&
	sleep 1 && kill -0 "$pid" && has_rows a.db processed_events 0 &&
	release_lock && status=0 && { wait "$pid" || status=$?; } &&
	expect_status 0 && test_line_count err 1 && test_grep " 0 failed in a.db" err &&
	db_dump a.db >d && test_cmp "$CLEAN" d
'

# Disk full: a small tmpfs, in a mount namespace of its own so that the
# mount goes with it: unshare -m as root (CI), else an unprivileged user
# namespace (unshare -rm).
if [ "$(id -u)" -eq 0 ]; then NS="unshare -m --propagation private"
else NS="unshare -rm --propagation private"; fi
mkdir -p "$TMP/probe"
TMPFS_WHY=$($NS sh -c "mount -t tmpfs -o size=1m tmpfs '$TMP/probe'" 2>&1) ||
    TMPFS_WHY="cannot mount a tmpfs ($NS: ${TMPFS_WHY:-failed})"

# In ./small, a 16 MiB tmpfs: the first 12 lines, then ballast leaves
# 600 KiB, then the whole stream (fails), then the ballast goes and the
# stream is stored again.  Results land in files outside the tmpfs.
full_disk() {
	run pm-store --db small/a.db <(sed -n 1,12p "$STREAM") || return 1
	mv out out0
	avail=$(df -k --output=avail small | tail -1)
	head -c $(((avail - 600) * 1024)) /dev/zero >small/ballast
	run timeout 60 pm-store --db small/a.db "$STREAM" || return 1
	echo "$status" >status1 && mv out out1 && mv err err1
	sqlite3 small/a.db "PRAGMA integrity_check" >integrity
	db_stored small/a.db >have
	rm small/ballast
	run pm-store --db small/a.db "$STREAM" || return 1
	echo "$status" >status2 && mv err err2
	db_dump small/a.db >d
}
export -f full_disk run say db_stored db_dump
export STREAM DUMP_TABLES

if [ -z "$TMPFS_WHY" ]; then
test_expect_success 'SQLite disk full: the file named, exit 3, integrity ok, rerun after freeing space = clean run' '
	mkdir small && $NS bash -c "mount -t tmpfs -o size=16m tmpfs small && full_disk" &&
	test_eq 3 "$(cat status1)" &&
	test_grep "^pm-store: small/a.db: database or disk is full" err1 &&
	test_eq ok "$(cat integrity)" &&
	test_grep "\"stored\":\"inserted\"" out1 && test_grep "\"stored\":\"failed\"" out1 &&
	said_stored out0 out1 >said && test_cmp said have &&
	test_eq 0 "$(cat status2)" && test_grep " 0 failed in small/a.db" err2 &&
	test_cmp "$CLEAN" d
'
else
	say "skip - $script: SQLite disk full on a tmpfs: $TMPFS_WHY (the file size limit case below still runs)"
fi

# RLIMIT_FSIZE needs no privilege: past 1 MiB every write fails (EFBIG,
# SIGXFSZ ignored), the WAL cannot grow.  Standard output goes through a
# pipe, which the limit does not cover.
test_expect_success 'SQLite file size limit hit mid-run: I/O error named, exit 3, integrity ok, rerun = clean run' '
	pm-store --db f.db <(sed -n 1,12p "$STREAM") >out0 2>/dev/null &&
	{ rc=0; (trap "" XFSZ; ulimit -f 1024; exec pm-store --db f.db "$STREAM") \
	      2>err || rc=$?; echo $rc >st; } | cat >out1 &&
	cat err | sort | uniq -c | head -5 &&
	test_eq 3 "$(cat st)" && test_grep "^pm-store: f.db: disk I/O error" err &&
	test_grep "\"stored\":\"inserted\"" out1 && test_grep "\"stored\":\"failed\"" out1 &&
	test_eq ok "$(sqlite3 f.db "PRAGMA integrity_check")" &&
	stored_as_said f.db out0 out1 &&
	run pm-store --db f.db "$STREAM" && expect_status 0 &&
	db_dump f.db >d && test_cmp "$CLEAN" d
'
test_done
