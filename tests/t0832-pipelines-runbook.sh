#!/bin/bash
# pipelines.sh daily: the runbook's option names, and a dry run that
# reports the counts a real run has.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

P=$TOP/pipelines.sh
NOW=2026-06-01T10:00:00Z
# 8 markets close on each day, in events of 3, 3 and 2 (see t0830)
fake_start spread --only-synthetic --markets 80 --spread-days 10 \
    --group-size 3 --now "$NOW"
daily() { run "$P" daily --env-file /dev/null --now "$NOW" "$@"; }

# a jq variant (it dumps its requests), and one failing on event 30000701
cat >"$TMP/exp.json" <<'EOF'
{"suites":[{"id":"s","forecast":[
  {"variant":"half","type":"jq",
   "program":"{probabilities: (.markets | map({key: .market_id, value: 0.5}) | from_entries)}"},
  {"variant":"odd","type":"jq",
   "program":"if .event_key == \"30000701\" then error(\"odd\") else {probabilities: (.markets | map({key: .market_id, value: 0.5}) | from_entries)} end"}]}]}
EOF

test_expect_success 'a dry run reports the processed and failed counts of a real run' '
	daily --db a.db --no-dump --config "$TMP/exp.json" --dry-run --summary-path dry.json &&
	dry_status=$status && test ! -e a.db &&
	daily --db a.db --no-dump --config "$TMP/exp.json" --summary-path real.json &&
	expect_status "$dry_status" &&
	jq -c ".totals | {processed, failed, grouped, skipped}" dry.json >want &&
	jq -c ".totals | {processed, failed, grouped, skipped}" real.json >got &&
	test_cmp want got && test "$(jq .totals.processed real.json)" -eq 3 &&
	test "$(jq .totals.failed real.json)" -gt 0
'
test_expect_success '--list-experiments: the manifest, nothing run, no database' '
	daily --db a.db --config "$TMP/exp.json" --list-experiments &&
	expect_status 0 && grep -q "^s	forecast	half	jq" out &&
	grep -q "^s	forecast	odd	jq" out && test ! -e a.db &&
	daily --db a.db --list-experiments --include-forecast market && expect_status 0 &&
	test "$(grep -c forecast out)" -eq 1
'
test_expect_success 'examples/experiments-builtin-plus.json: the builtin suite and a jq variant' '
	daily --db a.db --config "$TOP/examples/experiments-builtin-plus.json" \
	    --list-experiments && expect_status 0 &&
	cut -f1-4 out >got &&
	printf "builtin\tresearch\tbaseline\tbuiltin\nbuiltin\tforecast\tmarket\tbuiltin\nbuiltin\tforecast\textremize\tjq\n" >want &&
	test_cmp want got
'
test_expect_success '--experiment-override and --experiment-override-file reach pm-experiment' '
	daily --db a.db --config "$TMP/exp.json" --list-experiments \
	    --experiment-override nosuch.x=1 && expect_status 2 &&
	grep -q "nosuch" err &&
	echo "{\"nosuch\": {\"x\": 1}}" >o.json &&
	daily --db a.db --config "$TMP/exp.json" --list-experiments \
	    --experiment-override-file o.json && expect_status 2 &&
	grep -q "nosuch" err &&
	daily --db a.db --config "$TMP/exp.json" --list-experiments \
	    --experiment-override half.timeout=5 && expect_status 0
'
test_expect_success '--debug-dump-dir keeps the per-event payloads; --no-debug-dump does not' '
	daily --db a.db --no-dump --config "$TMP/exp.json" --debug-dump-dir dd \
	    --event-batch-size 2 && expect_status 1 &&
	ls dd/*/s.forecast.half.request.json >list && test "$(wc -l <list)" -eq 3 &&
	daily --db b.db --no-dump --config "$TMP/exp.json" --debug-dump-dir dd2 \
	    --no-debug-dump && test ! -e dd2
'
test_expect_success 'the batch size: option and PIPELINE_EVENT_BATCH_SIZE, checked before the run' '
	PIPELINE_EVENT_BATCH_SIZE=x daily --db a.db && expect_status 2 &&
	grep -q "^pipelines.sh: PIPELINE_EVENT_BATCH_SIZE: " err && test ! -e a.db &&
	daily --db a.db --event-batch-size 999 && expect_status 2 && test ! -e a.db &&
	grep -q "^pipelines.sh: --event-batch-size: " err &&
	PIPELINE_EVENT_BATCH_SIZE=3 daily --db a.db --no-dump && expect_status 0
'
test_expect_success 'the lock is per database file: one relative name in two directories runs twice' '
	mkdir a b && fake_control "{\"latency_ms\":3000}" &&
	(cd a && "$P" daily --env-file /dev/null --now "$NOW" --db pm.db --no-dump \
	    >/dev/null 2>&1 & echo $! >pid) && sleep 0.5 &&
	(cd a && daily --db pm.db --no-dump && expect_status 4) &&
	(cd b && daily --db pm.db --no-dump && expect_status 0) &&
	fake_control "{\"latency_ms\":0}" && wait_pid=$(cat pid) &&
	while kill -0 "$wait_pid" 2>/dev/null; do sleep 0.2; done
'
test_done
