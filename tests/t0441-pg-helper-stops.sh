#!/bin/bash
# tests/pg.sh never leaves a server running after the test that started
# it, whatever the way the test ends.  A full run once left a PostgreSQL
# running after the suite: t0715 replaced, once ClickHouse had started,
# the EXIT trap that stops PostgreSQL with one that stops ClickHouse only.
# Now a watch started by pg_start stops the server and PgBouncer when the
# script is gone without having stopped them, pg_start run again stops
# the server before, and no test that starts one replaces the trap.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"

# child: a test script that sources lib.sh and pg.sh, starts a server
# and PgBouncer, writes their pids to ./pids and runs ./body (stdin)
child() {
	cat >body &&
	PIDS=$PWD/pids BODY=$PWD/body bash -c '. "$TESTS_DIR/lib.sh" &&
	    . "$TESTS_DIR/pg.sh" && pg_start && pgbouncer_start &&
	    { head -n 1 "$PG_DIR/data/postmaster.pid"
	      cat "$PGB_DIR/pgbouncer.pid"; } >"$PIDS" && . "$BODY"' \
	    "$TESTS_DIR/child" >child.log 2>&1
}

# gone: none of ./pids runs within 15 s; those still running are named,
# and stopped
gone() {
	local p left
	test_line_count pids -eq 2 || { cat child.log; return 1; }
	for _ in $(seq 150); do
		left=$(while read -r p; do
			kill -0 "$p" 2>/dev/null && echo "$p"
		done <pids || true)
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	echo "still running after 15 s:"
	printf '%s\n' "$left" | while read -r p; do
		ps -o pid=,user=,args= -p "$p" | sed "s|^|  |"
		kill -9 "$p"
	done
	return 1
}

test_expect_success 'the EXIT trap replaced (as t0715 did): server and PgBouncer stopped' '
	child <<-\BODY &&
	trap "rm -rf \"\$TMP\"" EXIT
	exit 0
	BODY
	gone
'

test_expect_success 'the script killed: server and PgBouncer stopped' '
	{ echo "kill -9 \$\$" | child || true; } &&
	gone
'

test_expect_success 'the script ends as usual: server and PgBouncer stopped' '
	echo "exit 0" | child && gone
'

test_expect_success 'pg_start run again: the first server and PgBouncer stopped then' '
	child <<-\BODY &&
	pg_start && pg_ready || exit 1
	for _ in $(seq 50); do
		while read -r p; do
			kill -0 "$p" 2>/dev/null && echo "$p"
		done <"$PIDS" >"$PIDS.left"
		[ -s "$PIDS.left" ] || break
		sleep 0.1
	done
	exit 0
	BODY
	test_line_count pids.left -eq 0 || { cat child.log; gone; false; }
'

test_expect_success 'no test that starts a server replaces the EXIT trap that stops it' '
	grep -l "pg\.sh" "$TESTS_DIR"/t*.sh | grep -v "/$script\.sh$" |
	    xargs grep -n "^[[:space:]]*trap .* EXIT" |
	    grep -v "pg_stop\|test_exit_cleanup" >replaced || true
	test_line_count replaced -eq 0
'

test_done
