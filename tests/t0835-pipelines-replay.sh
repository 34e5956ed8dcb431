#!/bin/bash
# pipelines.sh replay: a dump stored again gives the rows its run stored
# (the run's counts and failed stage too), twice changes nothing and says
# so, a dump cut short (or an older build's, without end records) leaves
# the run its database had as it ended, the dump can come compressed or
# from standard input, and dumps concatenated are summarized as one input
# of several runs.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/pg.sh"

P=$TOP/pipelines.sh
fake_start pm --markets 4000 --events 10

flow() { run "$P" "$@" --env-file /dev/null; }
# runs DB: each run as its row says it ended, and the failures recorded
runs() {
	case $1 in
	postgres*) psql -XAtq "$1" -c "SELECT run_id, flow, status, started_at,
		finished_at, counts FROM processing_runs ORDER BY run_id" -c "SELECT
		run_id, stage, reason, retriable, detail FROM processing_failures
		ORDER BY failure_sha256" ;;
	*) sqlite3 "$1" "SELECT run_id, flow, status, started_at, finished_at,
		counts FROM processing_runs ORDER BY run_id; SELECT run_id, stage,
		reason, retriable, detail FROM processing_failures ORDER BY
		failure_sha256" ;;
	esac
}
# same DB1 DB2: the compared columns and the runs
same() {
	db_dump "$1" >want && db_dump "$2" >got && test_cmp want got &&
	runs "$1" >want && runs "$2" >got && test_cmp want got
}

test_expect_success 'setup: a daily run and its dump' '
	flow daily --db "$TMP/orig.db" --dump-dir "$TMP/d" && expect_status 0 &&
	ls "$TMP"/d/*.ndjson >list && test_line_count list 1 &&
	sqlite3 "$TMP/orig.db" "SELECT counts FROM processing_runs" >counts &&
	test_grep "\"inserted\":[1-9]" counts
'
DUMP=$(ls "$TMP"/d/*.ndjson 2>/dev/null)

test_expect_success 'into a fresh database: the run ends with the counts it had' '
	flow replay "$DUMP" --db "$TMP/fresh.db" && expect_status 0 &&
	same "$TMP/orig.db" "$TMP/fresh.db"
'
test_expect_success 'a failed run: its failed stage is replayed with it' '
	PM_GAMMA_URL=http://127.0.0.1:9 flow daily --db "$TMP/failed.db" \
	    --dump-dir "$TMP/fd" && expect_status 3 &&
	test_eq failed "$(sqlite3 "$TMP/failed.db" "SELECT status FROM processing_runs")" &&
	flow replay "$TMP"/fd/*.ndjson --db fromfailed.db && expect_status 0 &&
	test_grep "status failed" err &&
	same "$TMP/failed.db" fromfailed.db &&
	test_eq stage_failed "$(sqlite3 fromfailed.db "SELECT reason FROM
		processing_failures WHERE stage = '\''pm-fetch markets'\''")"
'
test_expect_success 'twice, or into the database the run wrote: nothing changes, counts say so' '
	for db in "$TMP/fresh.db" "$TMP/orig.db"; do
		cp "$db" before.db &&
		flow replay "$DUMP" --db "$db" && expect_status 0 &&
		test_grep "^pm-store: [0-9]* records: 0 inserted, 0 updated," err &&
		test_grep "^stored: inserted 0, updated 0," err &&
		same before.db "$db" || return 1
	done
'
test_expect_success 'a dump cut mid-line, replayed where its run ended: that run stays as it ended' '
	n=$(wc -l <"$DUMP") && head -n $((n - 2)) "$DUMP" >"$TMP/cut.ndjson" &&
	tail -n 2 "$DUMP" | head -n 1 | head -c 200 >>"$TMP/cut.ndjson" &&
	cp "$TMP/orig.db" cut.db && runs cut.db | head -n 1 >want &&
	flow replay "$TMP/cut.ndjson" --db cut.db && expect_status 1 &&
	test_grep "stdin:$((n - 1)): invalid JSON" err &&
	runs cut.db | head -n 1 >got && test_cmp want got &&
	test_grep "status completed" err
'
test_expect_success 'a run abandoned, its cut dump replayed: still abandoned' '
	cp "$TMP/orig.db" ab.db &&
	sqlite3 ab.db "UPDATE processing_runs SET status = '\''abandoned'\'', counts = NULL" &&
	runs ab.db | head -n 1 >want &&
	flow replay "$TMP/cut.ndjson" --db ab.db && expect_status 1 &&
	runs ab.db | head -n 1 >got && test_cmp want got &&
	test_grep "status abandoned" err
'
test_expect_success 'an older build'"'"'s dumps (no end record) replayed where it stored them: its runs keep their ends' '
	F=$TESTS_DIR/fixtures-store &&
	sqlite3 old.db <"$F/build-c51f474.sql" && pm-store --db old.db </dev/null &&
	runs old.db >want &&
	for r in run1 run2 run3; do
		flow replay "$F/build-c51f474-$r.ndjson" --db old.db &&
		expect_status 0 || return 1
	done &&
	runs old.db >got && test_cmp want got
'
test_expect_success 'a dump cut at a line (its writer killed), into a fresh database: partial, not completed' '
	head -n 1 "$DUMP" | jq -e ".kind == \"run\" and .end_record == true" >/dev/null &&
	test_eq completed "$(sqlite3 "$TMP/orig.db" "SELECT status FROM processing_runs")" &&
	n=$(wc -l <"$DUMP") && head -n $((n - 1)) "$DUMP" >"$TMP/killed.ndjson" &&
	flow replay "$TMP/killed.ndjson" --db killed.db && expect_status 0 &&
	test_eq partial "$(sqlite3 killed.db "SELECT status FROM processing_runs")" &&
	test_grep "^pm-store: run [^ ]*: the input ended before its end record, which its start said would close it (a dump cut short): partial$" err &&
	test_grep "status partial" err &&
	run "$P" status --db killed.db --env-file /dev/null --flow daily --json &&
	jq -e ".runs.partial == 1 and .runs.completed == 0 and .flows[0].last_run_status == \"partial\"" out >/dev/null &&
	cat "$TMP/killed.ndjson" "$TMP/killed.ndjson" | pm-store --db killed2.db >/dev/null 2>err &&
	test_eq partial "$(sqlite3 killed2.db "SELECT status FROM processing_runs")"
'
test_expect_success 'the same dump without the mark (a build before it wrote end records): completed, as it was' '
	{ head -n 1 "$TMP/killed.ndjson" | jq -c "del(.end_record)"
	  tail -n +2 "$TMP/killed.ndjson"; } >"$TMP/unmarked.ndjson" &&
	flow replay "$TMP/unmarked.ndjson" --db unmarked.db && expect_status 0 &&
	test_eq completed "$(sqlite3 unmarked.db "SELECT status FROM processing_runs")" &&
	not grep -q "before its end record" err &&
	flow replay "$TESTS_DIR/fixtures-store/build-c51f474-run2.ndjson" --db oldfresh.db &&
	expect_status 0 &&
	test_eq completed "$(sqlite3 oldfresh.db "SELECT status FROM processing_runs")"
'
# A line of the dump bad (a disk that damaged it): its record is
# reported, and the run it belongs to was not stored whole by this input.
# Before, the dump's end record said completed and the run was recorded
# so, every record of it seemingly in the database.
test_expect_success 'a dump with a bad line, into a fresh database: partial; where its rows are: as it ended' '
	k=$(grep -n "\"kind\":\"market\"" "$DUMP" | head -n 1 | cut -d: -f1) &&
	test_num "$k" -gt 1 &&
	awk -v k="$k" "NR == k { print substr(\$0, 1, 40); next } { print }" \
	    "$DUMP" >"$TMP/bad.ndjson" &&
	flow replay "$TMP/bad.ndjson" --db bad.db && expect_status 1 &&
	test_grep "stdin:$k: invalid JSON" err &&
	test_eq partial "$(sqlite3 bad.db "SELECT status FROM processing_runs")" &&
	test_grep "^pm-store: run [^ ]*: 1 of its records in this input not stored; its end record says completed: partial$" err &&
	test_grep "status partial" err &&
	flow replay "$TMP/bad.ndjson" --db bad.db && expect_status 1 &&
	test_eq partial "$(sqlite3 bad.db "SELECT status FROM processing_runs")" &&
	test_grep "status partial" err &&
	flow replay "$DUMP" --db bad.db && expect_status 0 &&
	test_grep "status completed" err &&
	runs "$TMP/orig.db" | head -n 1 >want && runs bad.db | head -n 1 >got &&
	test_cmp want got &&
	db_dump "$TMP/orig.db" >want && db_dump bad.db | grep -v "^..processing_failures.*,.store.,.bad_record.," >got &&
	test_cmp want got &&
	cp "$TMP/orig.db" badorig.db && runs badorig.db | head -n 1 >want &&
	flow replay "$TMP/bad.ndjson" --db badorig.db && expect_status 1 &&
	runs badorig.db | head -n 1 >got && test_cmp want got &&
	not grep -q "its end record says" err && test_grep "status completed" err
'
test_expect_success 'a dump compressed with gzip is read decompressed' '
	gzip -c "$DUMP" >"$TMP/dump.ndjson.gz" &&
	flow replay "$TMP/dump.ndjson.gz" --db gz.db && expect_status 0 &&
	same "$TMP/orig.db" gz.db &&
	test_num "$(sqlite3 gz.db "SELECT count(*) FROM processing_failures")" -eq 0
'
test_expect_success 'a compressed dump gzip cannot read whole: exit 3 naming gzip' '
	n=$(wc -c <"$TMP/dump.ndjson.gz") &&
	head -c $((n / 2)) "$TMP/dump.ndjson.gz" >"$TMP/cut.ndjson.gz" &&
	flow replay "$TMP/cut.ndjson.gz" --db cutgz.db && expect_status 3 &&
	test_grep "^gzip: .*cut.ndjson.gz: unexpected end of file" err &&
	test_grep -x "pipelines.sh: replay: gzip failed (status 3)" err &&
	flow replay - --db cutgz2.db <"$TMP/cut.ndjson.gz" && expect_status 3 &&
	test_grep -x "pipelines.sh: replay: gzip failed (status 3)" err
'
test_expect_success 'the dump as -: standard input, compressed or not' '
	flow replay - --db in1.db <"$DUMP" && expect_status 0 &&
	same "$TMP/orig.db" in1.db &&
	flow replay - --db in2.db --limit 2 <"$TMP/dump.ndjson.gz" && expect_status 0 &&
	test_grep "^pm-store: 2 records" err
'
test_expect_success 'an empty dump (a wrong or truncated file in a cron line): exit 3, said' '
	: >"$TMP/empty.ndjson" && gzip -c "$TMP/empty.ndjson" >"$TMP/empty.gz" &&
	flow replay "$TMP/empty.ndjson" --db empty.db && expect_status 3 &&
	test_grep -x "pipelines.sh: replay: $TMP/empty.ndjson holds no record: nothing stored" err &&
	test_grep -x "pipelines.sh: replay: reading the dump failed (status 3)" err &&
	flow replay "$TMP/empty.gz" --db empty.db && expect_status 3 &&
	test_grep "empty.gz holds no record" err &&
	flow replay - --db empty.db </dev/null && expect_status 3 &&
	test_grep -x "pipelines.sh: replay: - holds no record: nothing stored" err &&
	flow replay "$DUMP" --db one.db --limit 1 && expect_status 0
'
test_expect_success 'a replay writes no dump, and makes no directory for one' '
	flow replay "$DUMP" --db nodir.db --dump-dir rpd && expect_status 0 &&
	test ! -e rpd
'
test_expect_success 'two dumps concatenated: each stored, the first named with the worse status' '
	for f in "$DUMP" "$TMP"/fd/*.ndjson; do
		"$P" replay "$f" --env-file /dev/null --db each.db >/dev/null 2>&1 ||
		return 1
	done &&
	cat "$TMP"/fd/*.ndjson "$DUMP" >two.ndjson &&
	flow replay two.ndjson --db two.db --summary-path s.json &&
	expect_status 0 && same each.db two.db &&
	id=$(head -n 1 two.ndjson | jq -r .run_id) &&
	test_grep "^run $id: .*, status failed$" err &&
	test_grep "^failed stage: pm-fetch markets: exit 3" err &&
	test_grep -x "and 1 more run in the input: the status is the worst of theirs" err &&
	cat "$DUMP" "$TMP"/fd/*.ndjson >two.ndjson &&
	flow replay two.ndjson --db two.db --summary-path s.json &&
	id=$(head -n 1 two.ndjson | jq -r .run_id) &&
	jq -e --arg id "$id" ".run_id == \$id and .run_status == \"failed\"" s.json &&
	test_eq "$(sqlite3 two.db "SELECT finished_at FROM processing_runs WHERE
		run_id = '\''$id'\''")" "$(jq -r .finished_at s.json)"
'
test_expect_success 'PostgreSQL: replayed into a fresh database, then again' '
	pg_start && url=$(pg_newdb replay) &&
	flow replay "$DUMP" --db "$url" && expect_status 0 &&
	same "$TMP/orig.db" "$url" &&
	flow replay "$DUMP" --db "$url" && expect_status 0 &&
	test_grep "^pm-store: [0-9]* records: 0 inserted, 0 updated," err &&
	same "$TMP/orig.db" "$url" &&
	runs "$url" | head -n 1 >want &&
	flow replay "$TMP/cut.ndjson" --db "$url" && expect_status 1 &&
	runs "$url" | head -n 1 >got && test_cmp want got
'
test_expect_success 'PostgreSQL: a dump with a bad line, into a fresh database: partial' '
	pg_start && url=$(pg_newdb badline) &&
	flow replay "$TMP/bad.ndjson" --db "$url" && expect_status 1 &&
	test_eq partial "$(psql -XAtq "$url" -c "SELECT status FROM processing_runs")" &&
	test_grep "status partial" err &&
	flow replay "$DUMP" --db "$url" && expect_status 0 &&
	test_eq completed "$(psql -XAtq "$url" -c "SELECT status FROM processing_runs")"
'
test_done
