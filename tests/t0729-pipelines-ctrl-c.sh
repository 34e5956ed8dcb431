#!/bin/bash
# ^C on a terminal (SIGINT to the whole foreground process group), or
# timeout(1) (SIGTERM to the child, then to its group): every stage gets
# the signal at once, pm-experiment among them.  Its command variants run
# in process groups of their own, so the signal never reached them, and
# pm-experiment, ended by it, left them running, orphans of no stage,
# after the driver had recorded the run failed and exited.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

P=$TOP/pipelines.sh
fake_start pm --markets 300 --events 5 --spread-days 60
# the programs under this test's own path, so that pgrep finds only them
mkdir "$TMP/bin" && for p in "$PM_BIN"/pm-*; do ln -s "$p" "$TMP/bin/"; done
# a forecaster that takes its time: a sleep under this test's directory
ln -s "$(command -v sleep)" "$TMP/bin/slow-sleep"
cat >"$TMP/slow.json" <<JSON
{"suites":[{"id":"s","forecast":[
  {"variant":"market","type":"builtin","builtin":"market"},
  {"variant":"slow","type":"command",
   "argv":["sh","-c","cat >/dev/null; exec $TMP/bin/slow-sleep 60"]}]}]}
JSON

# group SIG N: start the daily flow in a process group of its own,
# send SIG to the group once a slow forecaster runs, check what is left
group() {
	local sig=$1 n=$2 dp st=0
	set -m
	PM_BIN=$TMP/bin env --default-signal=INT "$P" daily \
	    --env-file /dev/null --db "g$sig.db" --dump-dir d --config "$TMP/slow.json" \
	    --window-days 3 >out 2>err &
	dp=$!
	set +m
	wait_proc "$TMP/bin/slow-sleep" || { cat err; return 1; }
	kill -"$sig" -- -"$dp"
	wait "$dp" || st=$?
	sleep 0.3
	test_eq "$n" "$st" &&
	! pgrep -af "$TMP/bin/" &&
	test_eq failed "$(sqlite3 "g$sig.db" "SELECT status FROM processing_runs")"
}
# what a case left running, by its pid
cleanup() {
	local p
	for p in $(pgrep -f "$TMP/bin/slow-sleep"); do kill "$p"; done
	:
}

test_expect_success '^C (SIGINT to the group) mid experiment: no forecaster left' '
	test_when_finished cleanup &&
	group INT 130
'

test_expect_success 'SIGTERM to the group (timeout(1)) mid experiment' '
	test_when_finished cleanup &&
	group TERM 143
'

test_expect_success 'pm-experiment alone, SIGTERM: its commands go with it' '
	test_when_finished cleanup &&
	"$PM_BIN"/pm-fetch markets --closed false \
	    --target-date "$(date -u -d "+3 days" +%F)" 2>/dev/null |
	    "$PM_BIN"/pm-normalize | "$PM_BIN"/pm-group >groups.ndjson &&
	test -s groups.ndjson
	"$TMP/bin/pm-experiment" --config "$TMP/slow.json" <groups.ndjson \
	    >/dev/null 2>&1 &
	ep=$!
	wait_proc "$TMP/bin/slow-sleep" &&
	kill -TERM "$ep" && st=0 && { wait "$ep" || st=$?; } &&
	sleep 0.3 &&
	test_eq 143 "$st" && ! pgrep -af "$TMP/bin/"
'

test_done
