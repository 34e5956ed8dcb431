#!/bin/bash
# Run status that never lies (issue 16): the API down is a failed run with
# its stage and message stored, alerted once; status turns stale once the
# threshold passes and that change is alerted once; pm-fetch exiting 2 is
# a failed run, not "completed".  Before: the API-down run was "partial"
# (pm-store's view), status said "fresh", pm-fetch's exit 2 "completed".
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

P=$TOP/pipelines.sh
NOW=$(date -u +%Y-%m-%dT%H:00:00Z)
# The markets close tomorrow, at hours 0 to 23: the target day
# (--window-days 1) holds them all whatever the hour of the run, and
# --margin 0 leaves none out.  Today's would hold none after 23:30 UTC.
DAY1=$(date -u -d "$NOW + 1 day" +%Y-%m-%dT%H:%M:%SZ)
fake_start pm --markets 40 --spread-days 1 --now "$DAY1"
UP=$PM_GAMMA_URL
DB=$TMP/pm.db
q() { sqlite3 "$DB" "$1"; }
daily() { run "$P" daily --env-file /dev/null --db "$DB" --window-days 1 --margin 0 "$@"; }
at() { date -u -d "$NOW $1" +%Y-%m-%dT%H:%M:%SZ; }

python3 "$TESTS_DIR/fake-webhook.py" --port-file "$TMP/hook.port" \
    --log "$TMP/hook.log" 2>"$TMP/hook.err" &
echo "$!" >>"$TMP/fake.pids"
for _ in $(seq 100); do [ -s "$TMP/hook.port" ] && break; sleep 0.05; done
HOOK=http://127.0.0.1:$(cat "$TMP/hook.port")/services/T000/B000/sekret-token
posts() { if [ -f "$TMP/hook.log" ]; then wc -l <"$TMP/hook.log"; else echo 0; fi; }

test_expect_success 'a good run first: completed, fresh' '
	daily --summary-path s0.json && expect_status 0 &&
	test_eq completed "$(q "SELECT status FROM processing_runs")" &&
	jq -e ".run_status == \"completed\" and .failed_stage == null" s0.json >/dev/null &&
	run "$P" status --env-file /dev/null --db "$DB" --flow daily && expect_status 0
'
test_expect_success 'the API down: the run is failed, its stage and message stored' '
	PM_GAMMA_URL=http://127.0.0.1:9 PM_CLOB_URL=http://127.0.0.1:9 \
	    daily --summary-path s1.json --dump-dir "$TMP/dumps" --notify "$HOOK" &&
	expect_status 3 && cp s1.json "$TMP/s1.json" &&
	id=$(jq -r .run_id s1.json) &&
	test_eq failed "$(q "SELECT status FROM processing_runs WHERE run_id = '\''$id'\''")" &&
	test -n "$(q "SELECT finished_at FROM processing_runs WHERE run_id = '\''$id'\''")" &&
	test_eq "pm-fetch markets" "$(q "SELECT stage FROM processing_failures WHERE run_id = '\''$id'\'' AND reason = '\''stage_failed'\''")" &&
	q "SELECT detail FROM processing_failures WHERE reason = '\''stage_failed'\''" >detail &&
	test_grep "^exit 3: .*onnect" detail &&
	jq -e ".run_status == \"failed\" and .failed_stage == \"pm-fetch markets\" and
		(.error | startswith(\"exit 3\"))" s1.json >/dev/null &&
	test_grep "status failed" err && test_grep "failed stage: pm-fetch markets: exit 3" err &&
	not grep sekret-token err out s1.json
'
test_expect_success 'the webhook got exactly one POST: the summary with a text' '
	test_num "$(posts)" -eq 1 &&
	jq -e "(.text | test(\"failed: pm-fetch markets: exit 3\")) and
		.run_status == \"failed\" and ._answer == 200 and
		._path == \"/services/T000/B000/sekret-token\"" "$TMP/hook.log" >/dev/null
'
test_expect_success 'the dump ends with the run'"'"'s final word: a replay keeps "failed"' '
	dump=$(ls -t "$TMP"/dumps/*.ndjson | head -1) &&
	tail -n 1 "$dump" | jq -e ".kind == \"run\" and .phase == \"end\" and .final and
		.status == \"failed\"" >/dev/null &&
	id=$(jq -r .run_id "$TMP/s1.json") &&
	run "$P" replay "$dump" --env-file /dev/null --db "$DB" &&
	test_eq failed "$(q "SELECT status FROM processing_runs WHERE run_id = '\''$id'\''")"
'
test_expect_success 'a completed run is not alerted' '
	daily --notify "$HOOK" --summary-path s2.json && expect_status 0 &&
	jq -e ".run_status == \"completed\"" s2.json >/dev/null && test_num "$(posts)" -eq 1
'
test_expect_success 'runs keep ending, nothing is stored: stale once the threshold passes' '
	for i in 1 2; do
		PM_GAMMA_URL=http://127.0.0.1:9 daily --now "$(at "+30 hours")" --no-dump &&
		expect_status 3 || exit 1
	done &&
	run "$P" status --env-file /dev/null --db "$DB" --flow daily --now "$(at "+12 hours")" &&
	expect_status 0 &&
	run "$P" status --env-file /dev/null --db "$DB" --flow daily --json --now "$(at "+30 hours")" &&
	expect_status 5 &&
	jq -e ".level == \"stale\" and .flows[0].consecutive_failed_runs == 2 and
		.flows[0].failed_runs == 3 and .flows[0].last_run_status == \"failed\"" out >/dev/null &&
	run "$P" status --env-file /dev/null --db "$DB" --flow daily --now "$(at "+3 days")" &&
	expect_status 6 && test_grep "^status: very_stale: " out
'
test_expect_success 'fresh to stale is alerted once, not at every check' '
	n=$(posts) &&
	for i in 1 2 3; do
		run "$P" status --env-file /dev/null --db "$DB" --flow daily --notify "$HOOK" \
		    --now "$(at "+30 hours")" && expect_status 5 || exit 1
	done &&
	test_num "$(posts)" -eq $((n + 1)) &&
	tail -n 1 "$TMP/hook.log" | jq -e "(.text | test(\"stale\")) and .level == \"stale\"" >/dev/null &&
	run "$P" status --env-file /dev/null --db "$DB" --flow daily --notify "$HOOK" \
	    --now "$(at "+1 hour")" && expect_status 0 &&
	run "$P" status --env-file /dev/null --db "$DB" --flow daily --notify "$HOOK" \
	    --now "$(at "+30 hours")" && expect_status 5 &&
	test_num "$(posts)" -eq $((n + 2))
'
test_expect_success '--status-path writes the status JSON; PM_NOTIFY_URL works too' '
	run "$P" status --env-file /dev/null --db "$DB" --status-path st/status.json \
	    --now "$(at "+1 hour")" && expect_status 0 &&
	jq -e ".level == \"fresh\" and (.flows | length) >= 1" st/status.json >/dev/null &&
	n=$(posts) &&
	PM_NOTIFY_URL=$HOOK PM_GAMMA_URL=http://127.0.0.1:9 daily --no-dump && expect_status 3 &&
	test_num "$(posts)" -eq $((n + 1))
'
test_expect_success 'an alert state the database cannot keep (locked, full): the alert is sent all the same' '
	run "$P" status --env-file /dev/null --db "$DB" --flow daily --notify "$HOOK" \
	    --now "$(at "+1 hour")" && expect_status 0 &&
	n=$(posts) &&
	sqlite_hold "$DB" "UPDATE status_alerts SET level = level" &&
	test_when_finished "touch release; wait $holder" &&
	for i in 1 2; do
		PM_DB_TIMEOUT=0.2 run "$P" status --env-file /dev/null --db "$DB" --flow daily \
		    --notify "$HOOK" --now "$(at "+30 hours")" && expect_status 5 &&
		test_grep "^pm-summary: .*pm.db: .*database is locked" err || exit 1
	done &&
	test_num "$(posts)" -eq $((n + 2)) &&
	tail -n 1 "$TMP/hook.log" | jq -e "(.text | test(\"stale.*alert state not kept\")) and
		.level == \"stale\"" >/dev/null &&
	touch release && wait "$holder" &&
	run "$P" status --env-file /dev/null --db "$DB" --flow daily --notify "$HOOK" \
	    --now "$(at "+30 hours")" && expect_status 5 &&
	test_num "$(posts)" -eq $((n + 3)) &&
	run "$P" status --env-file /dev/null --db "$DB" --flow daily --notify "$HOOK" \
	    --now "$(at "+30 hours")" && expect_status 5 &&
	test_num "$(posts)" -eq $((n + 3))
'
test_expect_success 'pm-fetch exiting 2 is a failed run, with its message' '
	mkdir fakebin && for p in "$PM_BIN"/pm-*; do ln -s "$p" fakebin/; done &&
	rm fakebin/pm-fetch &&
	printf "#!/bin/sh\necho \"pm-fetch: bad option from the scheduler\" >&2\nexit 2\n" >fakebin/pm-fetch &&
	chmod +x fakebin/pm-fetch &&
	PM_BIN=$PWD/fakebin daily --no-dump --summary-path s3.json && expect_status 3 &&
	jq -e ".run_status == \"failed\" and .failed_stage == \"pm-fetch markets\" and
		.error == \"exit 2: bad option from the scheduler\"" s3.json >/dev/null &&
	id=$(jq -r .run_id s3.json) &&
	test_eq failed "$(q "SELECT status FROM processing_runs WHERE run_id = '\''$id'\''")"
'
test_expect_success 'a failed stage whose status line cannot be noted: still failed' '
	# TMPDIR full: the line naming pm-normalize exit 3 cannot be
	# written to the run directory (here: its stages file made a
	# directory); the run was stored completed while the flow exited 3
	mkdir -p fakebin2 tmp2 && for p in "$PM_BIN"/pm-*; do ln -sf "$p" fakebin2/; done &&
	rm fakebin2/pm-normalize &&
	cat >fakebin2/pm-normalize <<-EOF &&
	#!/bin/sh
	"$PM_BIN"/pm-normalize "\$@"
	for d in "$PWD"/tmp2/pm-run.*; do rm -f "\$d/stages"; mkdir "\$d/stages"; done
	echo "pm-normalize: cannot write" >&2
	exit 3
	EOF
	chmod +x fakebin2/pm-normalize &&
	TMPDIR=$PWD/tmp2 PM_BIN=$PWD/fakebin2 daily --no-dump --summary-path s5.json &&
	expect_status 3 &&
	test_grep "cannot note how pm-normalize ended" err &&
	jq -e ".run_status == \"failed\" and .failed_stage == \"pm-normalize\"" s5.json >/dev/null &&
	id=$(jq -r .run_id s5.json) &&
	test_eq failed "$(q "SELECT status FROM processing_runs WHERE run_id = '\''$id'\''")"
'
test_expect_success 'a --summary-path that cannot be written: exit 3 before a run is recorded' '
	# before: the run was stored completed, then pm-summary failed to
	# write the file and the flow exited 3
	n=$(q "SELECT count(*) FROM processing_runs") &&
	mkdir sdir &&
	daily --no-dump --summary-path sdir && expect_status 3 &&
	test_grep "^pipelines.sh: --summary-path sdir: is a directory" err &&
	daily --no-dump --summary-path /proc/self/s.json && expect_status 3 &&
	test_grep "^pipelines.sh: --summary-path /proc/self/s.json: cannot write in /proc/self" err &&
	test_eq "$n" "$(q "SELECT count(*) FROM processing_runs")" &&
	daily --no-dump --summary-path sdir/s.json && expect_status 0 &&
	jq -e ".run_status == \"completed\"" sdir/s.json >/dev/null &&
	test_eq "" "$(ls -A sdir | grep -v "^s.json$")"
'
test_expect_success 'a webhook that fails is tried a few times, within seconds, naming only its host' '
	python3 "$TESTS_DIR/fake-webhook.py" --port-file "$TMP/bad.port" \
	    --log "$TMP/bad.log" --fail 100 2>/dev/null &
	echo "$!" >>"$TMP/fake.pids" &&
	for _ in $(seq 100); do [ -s "$TMP/bad.port" ] && break; sleep 0.05; done &&
	bad=http://127.0.0.1:$(cat "$TMP/bad.port")/hook/sekret-token &&
	start=$(date +%s) &&
	PM_GAMMA_URL=http://127.0.0.1:9 daily --no-dump --notify "$bad" && expect_status 3 &&
	test_num $(($(date +%s) - start)) -lt 30 &&
	test_num "$(wc -l <"$TMP/bad.log")" -eq 3 &&
	test_grep "alert to http://127.0.0.1:[0-9]* not sent: HTTP 500" err &&
	not grep sekret-token err
'
test_expect_success 'a notify URL that is no http URL is refused naming where it came from, not the URL' '
	PM_NOTIFY_URL=ftp://u:sekret-pw@127.0.0.1/hook run pm-summary --status --db "$DB" &&
	expect_status 2 &&
	test_grep "PM_NOTIFY_URL: not an http:// or https:// URL" err &&
	not grep sekret-pw err &&
	run pm-summary --status --db "$DB" --notify ftp://u:sekret-pw@127.0.0.1/hook &&
	expect_status 2 &&
	test_grep "^pm-summary: --notify: not an http" err &&
	not grep sekret-pw err
'
test_done
