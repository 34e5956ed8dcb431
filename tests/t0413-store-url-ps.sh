#!/bin/bash
# A database URL given with --db keeps its password out of ps(1): pm-store
# and pm-summary overwrite it in their command line (/proc/PID/cmdline)
# with '*' once they have a copy, which they connect with.  It showed
# there for as long as they ran, to every user of the machine.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
pg_start

# cmdline PATTERN: the command line of the newest process whose command
# line matches PATTERN, its arguments blank-separated, a second after it
# started (it has read its options)
cmdline() {
	local p
	for _ in $(seq 100); do
		p=$(pgrep -f -n -- "$1") && [ -n "$p" ] && sleep 1 &&
		    tr "\0" " " </proc/"$p"/cmdline && return 0
		sleep 0.05
	done
	return 1
}

test_expect_success 'pm-store --db URL: the password not in its command line, the URL works' '
	pg_ready && pg_newdb pw >/dev/null &&
	u="postgresql://postgres:s3cr3tpw@/pw?host=$PG_DIR" &&
	{ { sleep 3; cat "$TESTS_DIR/fixtures-store/run.ndjson"; } |
	    pm-store --db "$u" >out 2>err; echo $? >st; } &
	cmdline "pm-store --db postgresql://postgres:" >cmd && wait &&
	test_eq 0 "$(cat st)" &&
	test_grep "pm-store --db postgresql://postgres:\*\*\*\*\*\*\*\*@/pw?host=" cmd &&
	test_grep -v s3cr3tpw cmd && test_grep -v s3cr3tpw err &&
	test_num "$(psql -X -A -t "$(pg_url_via pw direct)" -c "SELECT count(*) FROM markets")" -gt 0
'

test_expect_success 'pm-store --db=URL with password=: the password not in its command line' '
	pg_ready &&
	{ sleep 3 | pm-store "--db=host=$PG_DIR dbname=pw user=postgres password=s3cr3tpw" >out 2>err; echo $? >st; } &
	cmdline "pm-store --db=host=" >cmd && wait &&
	test_eq 0 "$(cat st)" && test_grep "password=\*\*\*\*\*\*\*\*" cmd &&
	test_grep -v s3cr3tpw cmd
'

# a server that takes the connection and never answers: pm-summary waits
test_expect_success 'pm-summary --db URL: the password not in its command line' '
	python3 -c "
import socket, sys, time
s = socket.socket(); s.bind((\"127.0.0.1\", 0)); s.listen(4)
print(s.getsockname()[1], flush=True); time.sleep(5)" >port &
	for _ in $(seq 50); do [ -s port ] && break; sleep 0.1; done &&
	{ PM_DB_TIMEOUT=3 pm-summary --status \
	    --db "postgresql://u:s3cr3tpw@127.0.0.1:$(cat port)/x?connect_timeout=3" \
	    >out 2>err & } &&
	cmdline "pm-summary --status --db postgresql://u:" >cmd && wait &&
	test_grep -v s3cr3tpw cmd && test_grep "postgresql://u:\*\*\*\*\*\*\*\*@127" cmd &&
	test_grep -v s3cr3tpw err
'
test_done
