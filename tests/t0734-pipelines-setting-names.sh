#!/bin/bash
# A bad value of a setting from the environment or the settings file
# (PM_NOW, PM_MARGIN, PM_WINDOW_DAYS, TARGET_CLOSE_WINDOW_DAYS,
# PIPELINE_EVENT_BATCH_SIZE) is named as that setting, not as an option
# the crontab never gave ("--now: not an RFC 3339 time"); the option,
# when given, is named as given (-j or --event-batch-size).  score has no
# clock: PM_NOW, even a bad one, is not its business (exit 2 before).
# PM_LOCK_WAIT and PM_LOCK_TTL of a flow that makes a run likewise, before
# anything is made (before, a bad PM_LOCK_TTL was pm-summary's "--ttl",
# and both made the dump directory first); status takes no lock.
. "$(dirname "$0")/lib.sh"
P=$TOP/pipelines.sh
export PM_GAMMA_URL=http://127.0.0.1:9 PM_CLOB_URL=http://127.0.0.1:9 \
    PM_DATA_URL=http://127.0.0.1:9
unset PM_NOW PM_MARGIN PM_WINDOW_DAYS TARGET_CLOSE_WINDOW_DAYS \
    PIPELINE_EVENT_BATCH_SIZE PM_LOCK_WAIT PM_LOCK_TTL
E=(--env-file /dev/null --db "$TMP/none.db" --no-dump)

# bad NAME WANT CMD...: exit 2, the message names WANT, nothing made
bad() {
	local want=$1
	shift
	run "$@" && expect_status 2 &&
	test_grep "^pipelines.sh: $want: not a" err &&
	test ! -e "$TMP/none.db" || return 1
}

test_expect_success 'PM_NOW or --now: each named as given' '
	PM_NOW=yesterday bad PM_NOW "$P" daily "${E[@]}" &&
	test_grep -v -e "--now" err &&
	PM_NOW=yesterday bad PM_NOW "$P" static "${E[@]}" &&
	PM_NOW=yesterday bad PM_NOW "$P" status "${E[@]}" &&
	bad --now "$P" daily --now yesterday "${E[@]}" &&
	PM_NOW=2026-12-01T00:00:00Z bad --now "$P" static --now 7am "${E[@]}"
'
test_expect_success 'PM_NOW from the settings file: named so' '
	echo "PM_NOW=tomorrow" >bad.env &&
	bad PM_NOW "$P" delta --env-file bad.env --db "$TMP/none.db"
'
test_expect_success 'PM_MARGIN or --margin' '
	PM_MARGIN=90min bad PM_MARGIN "$P" daily "${E[@]}" &&
	bad --margin "$P" daily --margin 90min "${E[@]}" &&
	PM_MARGIN=1h bad --margin "$P" retry-failures r1 --margin 2w "${E[@]}"
'
test_expect_success 'PM_WINDOW_DAYS, TARGET_CLOSE_WINDOW_DAYS or --window-days' '
	PM_WINDOW_DAYS=x bad PM_WINDOW_DAYS "$P" daily "${E[@]}" &&
	TARGET_CLOSE_WINDOW_DAYS=400 bad TARGET_CLOSE_WINDOW_DAYS "$P" daily "${E[@]}" &&
	PM_WINDOW_DAYS=x TARGET_CLOSE_WINDOW_DAYS=3 bad PM_WINDOW_DAYS "$P" daily "${E[@]}" &&
	PM_WINDOW_DAYS=3 bad --window-days "$P" daily --window-days 400 "${E[@]}"
'
test_expect_success 'PIPELINE_EVENT_BATCH_SIZE, -j or --event-batch-size' '
	PIPELINE_EVENT_BATCH_SIZE=0 bad PIPELINE_EVENT_BATCH_SIZE "$P" daily "${E[@]}" &&
	bad -j "$P" daily -j 0 "${E[@]}" &&
	bad --event-batch-size "$P" daily --event-batch-size 300 "${E[@]}"
'
test_expect_success 'PM_LOCK_WAIT, PM_LOCK_TTL: named so, nothing made, not even the dump directory' '
	for v in x 86401 -1; do
		PM_LOCK_WAIT=$v bad PM_LOCK_WAIT "$P" daily --env-file /dev/null \
		    --db "$TMP/none.db" --dump-dir "$TMP/dumps" &&
		test ! -e "$TMP/dumps" || return 1
	done &&
	for v in abc 2 86401 1.5; do
		PM_LOCK_TTL=$v bad PM_LOCK_TTL "$P" daily --env-file /dev/null \
		    --db "$TMP/none.db" --dump-dir "$TMP/dumps" &&
		test_grep -v -e "--ttl" err && test ! -e "$TMP/dumps" &&
		PM_LOCK_TTL=$v bad PM_LOCK_TTL "$P" events "${E[@]}" || return 1
	done &&
	echo PM_LOCK_TTL=soon >lock.env &&
	bad PM_LOCK_TTL "$P" prices --env-file lock.env --db "$TMP/none.db"
'
test_expect_success 'PM_LOCK_WAIT, PM_LOCK_TTL: status takes no lock, nor refuses them' '
	PM_LOCK_WAIT=x PM_LOCK_TTL=x run "$P" status "${E[@]}" &&
	test_num "$status" -ne 2 && test_grep -v PM_LOCK err
'
test_expect_success 'score: a bad PM_NOW is not refused' '
	PM_NOW=yesterday run "$P" score --env-file /dev/null --db "$TMP/none.db" &&
	test_num "$status" -ne 2 && test_grep -v PM_NOW err &&
	run "$P" score --now 2026-12-01T00:00:00Z --env-file /dev/null --db "$TMP/none.db" &&
	expect_status 2
'
test_done
