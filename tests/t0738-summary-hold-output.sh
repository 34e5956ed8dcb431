#!/bin/bash
# pm-summary --hold whose "locked" cannot be written (standard output
# full, closed, or its reader gone): the lock was never the caller's, so
# it is given back at once and the exit is 3 (said, but for a reader
# gone), never 0 as for a hold that ended well.  On SQLite and
# PostgreSQL (tests/pg.sh).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
pg_start

# hold_to HOW DB: pm-summary --hold daily on DB, standard input at its
# end, standard output full, closed or a pipe with no reader; status and
# err as run sets them
hold_to() {
	status=0
	case $1 in
	full) pm-summary --hold daily --db "$2" </dev/null >/dev/full 2>err ;;
	closed) pm-summary --hold daily --db "$2" </dev/null >&- 2>err ;;
	gone) python3 -c '
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
sys.exit(subprocess.call(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=w,
    stderr=open("err", "w")))' pm-summary --hold daily --db "$2" ;;
	esac || status=$?
}

# Under make valgrind, the log file valgrind opens is the closed
# descriptor the program finds (as t0007 and t0390 say).
wrapped() { head -c 2 "$(command -v pm-summary)" | grep -q "#!"; }

# lock_free DB: the daily lock of DB is taken and given back at once
lock_free() {
	run pm-summary --hold daily --db "$1" </dev/null && expect_status 0 &&
	test_grep -x locked out
}

test_expect_success 'SQLite: locked not written: exit 3, said, the lock given back' '
	hold_to full d.db && expect_status 3 &&
	test_grep -x "pm-summary: write error: No space left on device" err &&
	lock_free d.db &&
	{ wrapped || { hold_to closed d.db && expect_status 3 &&
	test_grep -x "pm-summary: write error: Bad file descriptor" err &&
	lock_free d.db; }; } &&
	hold_to gone d.db && expect_status 3 && test ! -s err &&
	lock_free d.db
'

test_expect_success 'PostgreSQL: locked not written: exit 3, the lease given back' '
	pg_ready && url=$(pg_newdb hold) &&
	hold_to full "$url" && expect_status 3 &&
	test_grep -x "pm-summary: write error: No space left on device" err &&
	run pm-summary --hold daily --db "$url" --wait 0 </dev/null &&
	expect_status 0 && test_grep -x locked out &&
	hold_to gone "$url" && expect_status 3 && test ! -s err &&
	test "$(psql -X -Atqc "SELECT count(*) FROM run_locks" "$url")" = 0
'

test_done
