#!/bin/bash
# A directory given as the SQLite database (-d data, meant for
# data/pm.db; a path ended by a slash): every use of it says so, exit 3,
# and nothing is made.  Before, a store said "unable to open database
# file" having made the directory of "data/", and a read (-e, -n,
# --last-run, --prune-before) said "disk I/O error", which reads as a
# failing disk.
. "$(dirname "$0")/lib.sh"

rec_market m1 >"$TMP/m.ndjson"

test_expect_success 'store, -n, -e, --last-run, --prune-before: a directory is said so, exit 3' '
	mkdir data &&
	for a in "$TMP/m.ndjson" "-n $TMP/m.ndjson" "-e markets" \
	    "-e market --format csv" "--last-run static" \
	    "--prune-before 2026-01-01" "--prune-before 2026-01-01 -N"; do
		# shellcheck disable=SC2086
		run pm-store --db data $a && expect_status 3 || return 1
		test_grep -x "pm-store: data: a directory, not a database file" err ||
		    return 1
	done &&
	test -z "$(ls -A data)"
'

test_expect_success 'a path ended by a slash: said so, no directory made for it' '
	run pm-store --db new/ "$TMP/m.ndjson" && expect_status 3 &&
	test_grep -x "pm-store: new/: a directory, not a database file" err &&
	test ! -e new &&
	run pm-store --db sqlite:data2/ "$TMP/m.ndjson" && expect_status 3 &&
	test_grep "a directory, not a database file" err && test ! -e data2
'

test_expect_success 'the database in that directory is used as before' '
	run pm-store --db data/pm.db "$TMP/m.ndjson" && expect_status 0 &&
	run pm-store --db data/pm.db -e markets && expect_status 0 &&
	test_count market out 1
'

test_done
