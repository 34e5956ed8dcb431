#!/bin/bash
# The SQLite run lock (issue 22): a file beside the database, keyed on its
# real path, opened without following a symlink or truncating; a shared
# /tmp plays no part.  Before: the lock was $TMPDIR/pm-FLOW-KEY.lock,
# opened with > (a planted symlink's target truncated, any local user
# could hold it), and keyed on the --db text.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

P=$TOP/pipelines.sh
NOW=$(date -u +%Y-%m-%dT%H:00:00Z)
# The markets close tomorrow, at hours 0 to 23: the target day
# (--window-days 1) holds them all whatever the hour of the run, and
# --margin 0 leaves none out.  Today's would hold none after 23:30 UTC.
DAY1=$(date -u -d "$NOW + 1 day" +%Y-%m-%dT%H:%M:%SZ)
fake_start pm --markets 10 --spread-days 1 --now "$DAY1"
daily() { run "$P" daily --env-file /dev/null --window-days 1 --margin 0 --no-dump "$@"; }

test_expect_success 'the lock lives beside the database, not in TMPDIR' '
	mkdir tmp && TMPDIR=$PWD/tmp daily --db data/pm.db && expect_status 0 &&
	test -f data/pm.db.daily.lock && ls tmp >in_tmp && test_line_count in_tmp -eq 0
'
test_expect_success 'a hostile TMPDIR full of planted links changes nothing' '
	echo precious >victim && mkdir -p hostile &&
	for k in 0 1 2 3 4 5 6 7 8 9 a b c d e f; do
		ln -s "$PWD/victim" "hostile/pm-daily-$k.lock"
	done &&
	TMPDIR=$PWD/hostile daily --db data/pm.db && expect_status 0 &&
	test_eq precious "$(cat victim)"
'
test_expect_success 'a symlink planted as the lock: refused, its target untouched' '
	echo precious >victim2 && mkdir -p t && ln -s "$PWD/victim2" t/pm.db.daily.lock &&
	daily --db t/pm.db && expect_status 3 &&
	test_grep "symbolic link: refused" err && test_eq precious "$(cat victim2)" &&
	test ! -e t/pm.db &&
	ln -s "$PWD/nowhere" t/pm.db.static.lock &&
	run "$P" static --env-file /dev/null --db t/pm.db --limit 1 && expect_status 3 &&
	test ! -e nowhere
'
test_expect_success 'a FIFO planted as the lock: refused at once, no hang' '
	mkdir -p f && mkfifo f/pm.db.daily.lock &&
	daily --db f/pm.db && expect_status 3 && test_grep "not a regular file" err
'
test_expect_success 'one lock under every spelling of the file' '
	mkdir -p data && ln -s data alias &&
	lock_hold data/pm.db daily &&
	for db in data/pm.db ./data/pm.db "$PWD/data/pm.db" sqlite:data/pm.db \
	    "sqlite://$PWD/data/pm.db" alias/pm.db data/../data/pm.db; do
		daily --db "$db" && expect_status 4 && test_grep "another daily run" err ||
		    exit 1
	done &&
	(cd data && daily --db pm.db && expect_status 4) &&
	lock_release && daily --db alias/pm.db && expect_status 0
'
test_expect_success 'a link to a database not made yet: the lock of the file it leads to' '
	mkdir -p later sub && ln -s later/pm.db first.db && ln -s ../first.db sub/x.db &&
	lock_hold later/pm.db daily &&
	daily --db first.db && expect_status 4 && test_grep "another daily run" err &&
	daily --db sub/x.db && expect_status 4 && test ! -e later/pm.db &&
	test ! -e first.db.daily.lock && test ! -e sub/x.db.daily.lock &&
	lock_release && lock_hold sub/x.db daily &&
	daily --db later/pm.db && expect_status 4 && lock_release
'
test_expect_success 'another flow is not held up; PM_LOCK_WAIT waits for the holder' '
	lock_hold data/pm.db daily &&
	run "$P" events --env-file /dev/null --db data/pm.db --limit 5 --no-dump &&
	expect_status 0 &&
	# the holder lets go once the daily says it waits (not after a fixed
	# second: a slow start, under valgrind, came after it)
	{ ( for _ in $(seq 600); do
		grep -q "waiting for the daily run" err 2>/dev/null && break
		sleep 0.05
	    done; touch "$TMP/release" ) & } &&
	PM_LOCK_WAIT=20 daily --db data/pm.db && expect_status 0 &&
	test_grep "waiting for the daily run" err &&
	PM_LOCK_WAIT=x daily --db data/pm.db && expect_status 2
'
test_expect_success 'the lock file is never truncated' '
	mkdir -p data && echo "not ours" >data/pm.db.prices.lock &&
	run "$P" prices --env-file /dev/null --db data/pm.db --no-dump &&
	test_eq "not ours" "$(cat data/pm.db.prices.lock)"
'
test_done
