#!/bin/bash
# The shared budget's state file is opened safely: a planted symbolic
# link is not followed, a file or directory others could have written is
# refused; either way the listing still runs, on this process's budget.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

fake_start small --markets 50 --only-synthetic
NAME=budget-127.0.0.1-$FAKE_PORT

test_expect_success 'a symbolic link planted as the state file is not followed' '
	mkdir -m 700 "$TMP/st" && echo precious >"$TMP/target" &&
	ln -s "$TMP/target" "$TMP/st/$NAME" &&
	PM_STATE_DIR=$TMP/st run pm-fetch markets --closed false &&
	expect_status 0 && test_line_count out 50 &&
	test_grep "$NAME: a symbolic link, not followed; the rate budget is this process.s alone" err &&
	test_eq precious "$(cat "$TMP/target")" && test -L "$TMP/st/$NAME"
'

test_expect_success 'a dangling link is not followed either: nothing created at its target' '
	mkdir -m 700 "$TMP/st2" && ln -s "$TMP/nowhere" "$TMP/st2/$NAME" &&
	PM_STATE_DIR=$TMP/st2 run pm-fetch markets --closed false &&
	expect_status 0 && test_line_count out 50 &&
	test_grep "not followed" err && test ! -e "$TMP/nowhere"
'

test_expect_success 'a state directory that is a symbolic link is not followed' '
	mkdir -m 700 "$TMP/real" && ln -s "$TMP/real" "$TMP/linkdir" &&
	PM_STATE_DIR=$TMP/linkdir run pm-fetch markets --closed false &&
	expect_status 0 && test_grep "symbolic link, not followed" err &&
	test ! -e "$TMP/real/$NAME"
'

test_expect_success 'a directory others may write to is refused' '
	mkdir "$TMP/open" && chmod 777 "$TMP/open" &&
	PM_STATE_DIR=$TMP/open run pm-fetch markets --closed false &&
	expect_status 0 && test_grep "others may write to it" err &&
	test ! -e "$TMP/open/$NAME"
'

test_expect_success 'a state file others may read or write is refused' '
	mkdir -m 700 "$TMP/st3" && : >"$TMP/st3/$NAME" && chmod 666 "$TMP/st3/$NAME" &&
	PM_STATE_DIR=$TMP/st3 run pm-fetch markets --closed false &&
	expect_status 0 && test_grep "mode 0600" err
'

test_expect_success 'a PM_STATE_DIR that cannot be made is named, and the listing runs' '
	PM_STATE_DIR=$TMP/no/such/dir run pm-fetch markets --closed false &&
	expect_status 0 && test_line_count out 50 &&
	test_grep "^pm-fetch: PM_STATE_DIR: $TMP/no/such/dir: No such file or directory; the rate budget is this process.s alone$" err
'

test_expect_success 'the suite s budgets stay in the test s directory, never in HOME' '
	mkdir "$TMP/home" &&
	HOME=$TMP/home XDG_RUNTIME_DIR= run pm-fetch markets --closed false &&
	expect_status 0 && test_line_count out 50 &&
	test -f "$PM_STATE_DIR/$NAME" && test_eq "$TMP/state" "$PM_STATE_DIR" &&
	test_eq "" "$(find "$TMP/home" -mindepth 1)"
'

# A record of the state file as this build writes it: tokens, last,
# paused_until, valid (doubles), after the 12-byte header; one a bucket;
# a time "now" is the monotonic clock's.
state_file() {
	python3 -c '
import struct, sys, time
if sys.argv[3] == "now":
    sys.argv[3] = time.monotonic()
f = open(sys.argv[1], "wb")
f.write(b"pm-budget-1\0")
for i in range(11):
    f.write(struct.pack("dddd", float(sys.argv[2]), float(sys.argv[3]), 0.0, 1.0))
' "$@" && chmod 600 "$1"
}

test_expect_success 'a corrupt state file (a time that is NaN) does not stop the listing' '
	mkdir -m 700 "$TMP/nan" && state_file "$TMP/nan/$NAME" 0 nan &&
	PM_STATE_DIR=$TMP/nan run timeout 30 pm-fetch markets --closed false &&
	expect_status 0 && test_line_count out 50
'

test_expect_success 'nor does one in deep debt (no process stores a bucket below 0)' '
	mkdir -m 700 "$TMP/debt" && state_file "$TMP/debt/$NAME" -1000000 now &&
	PM_STATE_DIR=$TMP/debt run timeout 30 pm-fetch markets --closed false &&
	expect_status 0 && test_line_count out 50
'

test_expect_success 'one state file for every spelling of a host and port' '
	mkdir -m 700 "$TMP/case" &&
	for u in http://LocalHost:$FAKE_PORT http://LOCALHOST:0$FAKE_PORT/ \
	    http://localhost.:$FAKE_PORT HTTP://localhost..:$FAKE_PORT; do
		PM_STATE_DIR=$TMP/case PM_GAMMA_URL=$u run pm-fetch markets \
		    --closed false --limit 1 --attempts 1 || return 1
	done &&
	test_eq "budget-localhost-$FAKE_PORT" "$(ls "$TMP/case")" &&
	mkdir -m 700 "$TMP/port" &&
	PM_STATE_DIR=$TMP/port PM_GAMMA_URL=https://Gamma-API.Polymarket.com.:443 \
	    run pm-fetch markets --closed false --limit 1 --attempts 1 &&
	test_eq budget-gamma-api.polymarket.com-443 "$(ls "$TMP/port")"
'

# A full disk, as a file size limit makes it (SIGXFSZ ignored: EFBIG);
# stdout and stderr are a pipe, which the limit does not apply to.  Not
# under make valgrind: the limit would stop its log file too (as t0390).
test_expect_success 'a state file whose header cannot be written is reported' '
	if head -c 2 "$(command -v pm-fetch)" | grep -q "#!"; then
		return 0
	fi &&
	mkdir -m 700 "$TMP/full" &&
	(trap "" XFSZ; ulimit -f 0; PM_STATE_DIR=$TMP/full exec pm-fetch \
	    markets --closed false) 2>&1 | sort >"$TMP/full.out" &&
	test_eq 50 "$(grep -c "^{" "$TMP/full.out")" &&
	test_grep "^pm-fetch: $TMP/full/$NAME: File too large; the rate budget is this process.s alone$" "$TMP/full.out"
'

test_done
