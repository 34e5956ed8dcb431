#!/bin/bash
# A standard descriptor closed when a tool starts (2>&-, >&-, <&-: a
# daemon's child, a crontab line) is not taken by the next file or
# socket opened: no message written into a PostgreSQL connection, no
# database bytes read as input; a closed output is still a write error.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
pg_start
# no request is to be sent: a closed port, should one be
PM_GAMMA_URL=http://127.0.0.1:9
export PM_GAMMA_URL

# Not under make valgrind: the log file valgrind opens is the descriptor
# the program finds (as t0390 says).
wrapped() { head -c 2 "$(command -v pm-store)" | grep -q "#!"; }

jq -c ".[]" "$FIXTURES"/gamma-markets-ra1nty-1.json | pm-normalize -R >"$TMP/m.ndjson" ||
	exit 1

test_expect_success 'standard error closed: no message into the database connection' '
	if wrapped; then return 0; fi &&
	pg_ready &&
	{ cat "$TMP/m.ndjson"; for i in $(seq 12); do echo "bad $i"; done; } >in.ndjson &&
	lines=$(wc -l <"$PG_DIR/server.log") &&
	{ pm-store --db "$PG_URL" in.ndjson >out.ndjson 2>&-; echo $? >status; } &&
	test_eq 1 "$(cat status)" &&
	tail -n +"$((lines + 1))" "$PG_DIR/server.log" >server.log &&
	test_grep -v "invalid frontend message" server.log &&
	test_count failure out.ndjson 12 &&
	pm-store --db "$PG_URL" -e markets >stored &&
	test_eq "$(wc -l <"$TMP/m.ndjson")" "$(wc -l <stored)"
'

test_expect_success 'standard input closed: a read error, not the connection read' '
	if wrapped; then return 0; fi &&
	pg_ready &&
	{ pm-store --db "$PG_URL" >out 2>err <&-; echo $? >status; } &&
	test_eq 3 "$(cat status)" &&
	test_grep -x "pm-store: stdin: read error: Bad file descriptor" err &&
	test_grep -v "invalid JSON" err
'

test_expect_success 'standard output closed: still a write error, exit 3, in every tool' '
	if wrapped; then return 0; fi &&
	for c in "pm-normalize -R" pm-group "pm-summary -q --pass" \
	    "pm-experiment -c $TOP/examples/experiments.json -s baseline" \
	    "pm-store --db s.db"; do
		# shellcheck disable=SC2086
		{ $c "$TMP/m.ndjson" >&- 2>err; echo $? >status; } &&
		test_eq 3 "$(cat status)" &&
		test_grep "^${c%% *}: write error: Bad file descriptor\$" err ||
		{ echo "$c:"; cat err; return 1; }
	done &&
	{ pm-fetch markets --limit 1 >&- 2>err; echo $? >status; } &&
	test_eq 3 "$(cat status)" &&
	test_grep -x "pm-fetch: standard output is closed" err
'

test_done
