#!/bin/bash
# A stream dump that cannot be written (issue 22): a full disk, played by a
# file size limit (ulimit -f, SIGXFSZ ignored: writes fail with EFBIG) on
# the run, the database on PostgreSQL (its writes go over a socket, not
# under the limit).  tee goes on and exits 1; that is a failed stage
# "dump", exit 3, and the dump is not announced as whole.  Before: exit 1
# ("some records failed" -- none did), a completed run and "dump in FILE".
# So is the final end record appended after the stream (the last case).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/pg.sh"
pg_start

P=$TOP/pipelines.sh
NOW=$(date -u +%Y-%m-%dT%H:00:00Z)
# The markets close tomorrow, at hours 0 to 23: the target day
# (--window-days 1) holds them all whatever the hour of the run, and
# --margin 0 leaves none out.  Today's would hold none after 23:30 UTC.
DAY1=$(date -u -d "$NOW + 1 day" +%Y-%m-%dT%H:%M:%SZ)
fake_start pm --markets 40 --spread-days 1 --now "$DAY1"

test_expect_success 'the dump cut by a full disk: failed stage dump, exit 3, the rest stored' '
	pg_ready && url=$(pg_newdb dumpfull) &&
	( trap "" XFSZ; ulimit -f 8
	  "$P" daily --env-file /dev/null --db "$url" --window-days 1 --margin 0 --dump-dir dd \
	      --summary-path s.json >out 2>err; echo $? >rc ) &&
	test_eq 3 "$(cat rc)" &&
	test_grep "cannot write the dump" err && test_grep "dump dd/.* is incomplete" err &&
	not grep "dump in dd/" err && test_grep "dump failed (status 3)" err &&
	jq -e ".run_status == \"failed\" and .failed_stage == \"dump\" and
		(.error | test(\"cannot write the dump\"))" s.json >/dev/null &&
	test_eq failed "$(psql -X -A -t -q "$url" -c "SELECT status FROM processing_runs")" &&
	test_num "$(psql -X -A -t -q "$url" -c "SELECT count(*) FROM processed_events")" -gt 0 &&
	test_num "$(wc -c <dd/*.ndjson)" -le 8192
'
test_expect_success 'without the limit the same flow dumps whole and completes' '
	url=$(pg_newdb dumpok) &&
	run "$P" daily --env-file /dev/null --db "$url" --window-days 1 --margin 0 --dump-dir dd2 &&
	expect_status 0 && test_grep "dump in dd2/" err &&
	tail -n 1 dd2/*.ndjson | jq -e ".final and .status == \"completed\"" >/dev/null
'
# The driver's own last write, the final end record appended to the dump:
# a retry with nothing to retry dumps its start record only, of a size
# that is known, made (ENVIRONMENT is in it) to leave the end no room
# under the limit, while pm-store's end record (the same size) still has
# room in the driver's files.  Before: exit 0, "dump in FILE" and a
# completed run, the dump without its end (a replay recorded it partial).
test_expect_success 'the dump'"'"'s final end record that cannot be written: failed stage dump, exit 3' '
	pg_ready && url=$(pg_newdb dumpend) &&
	"$P" daily --env-file /dev/null --db "$url" --window-days 1 --margin 0 \
	    --no-dump >/dev/null 2>&1 &&
	id=$(psql -X -A -t -q "$url" -c "SELECT run_id FROM processing_runs") &&
	export GITHUB_SHA=0123456789abcdef0123456789abcdef01234567 ENVIRONMENT=e &&
	retry() { "$P" retry-failures "$id" --env-file /dev/null --db "$url" --now "$NOW" "$@"; } &&
	retry --dump-dir probe >/dev/null 2>&1 &&
	test_line_count probe/*.ndjson 2 &&
	body=$(head -n 1 probe/*.ndjson | wc -c) && end=$(tail -n 1 probe/*.ndjson | wc -c) &&
	pad=$((65536 - (body > end ? body : end) - 200)) &&
	ENVIRONMENT=e$(printf "%*s" "$pad" "" | tr " " x) &&
	( trap "" XFSZ; ulimit -f 64
	  retry --dump-dir de --summary-path s.json >out 2>err; echo $? >rc ) &&
	test_eq 3 "$(cat rc)" && test_num "$(wc -c <de/*.ndjson)" -le 65536 &&
	test_grep "cannot write the dump" err && test_grep "dump de/.* is incomplete" err &&
	not grep "dump in de/" err &&
	jq -e ".run_status == \"failed\" and .failed_stage == \"dump\" and
		(.error | test(\"cannot write the dump\"))" s.json >/dev/null &&
	test_eq failed "$(psql -X -A -t -q "$url" -c "SELECT status FROM
		processing_runs WHERE run_id = '\''$(jq -r .run_id s.json)'\''")"
'
test_done
