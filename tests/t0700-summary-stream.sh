#!/bin/bash
# pm-summary (stream mode): totals, failures, suites, --pass, --json,
# --max-failures, bad input and usage.
. "$(dirname "$0")/lib.sh"

# An annotated stream as pm-store writes it: a daily run of three groups,
# one stored, one already processed (skipped, with pm-store's skip record),
# one the store refused (with pm-store's failure record).
stream() {
	cat <<'EOF'
{"kind":"run","phase":"start","run_id":"r1","flow":"daily","run_date":"2026-11-23","target_date":"2026-11-24","window_days":7,"started_at":"2026-11-23T07:00:00Z","git_sha":"abc123","environment":"test","options":{},"stored":"inserted"}
{"kind":"raw","source":"gamma","endpoint":"markets","sha256":"00","payload":{},"stored":"duplicate"}
{"kind":"failure","stage":"normalize","reason":"normalization_failed","retriable":true,"market_id":"9","input":"stdin:4","detail":"outcomes missing","stored":"inserted"}
{"kind":"group","event_key":"e1","event":null,"markets":[{"market_id":"1"},{"market_id":"2"}],"results":[{"suite":"base","stage":"forecast","variant":"market","status":"ok","latency_ms":1},{"suite":"base","stage":"forecast","variant":"llm","status":"ok","latency_ms":100},{"suite":"base","stage":"research","variant":"notes","status":"ok","latency_ms":5}],"stored":"inserted"}
{"kind":"group","event_key":"e2","event":null,"markets":[{"market_id":"3"}],"results":[{"suite":"base","stage":"forecast","variant":"market","status":"ok","latency_ms":3},{"suite":"base","stage":"forecast","variant":"llm","status":"failed","latency_ms":300,"error":"timeout"}],"stored":"skipped"}
{"kind":"skip","stage":"store","event_key":"e2","why":"already_processed"}
{"kind":"group","event_key":"e3","event":null,"markets":[{"market_id":"4"}],"results":[{"suite":"base","stage":"forecast","variant":"market","status":"ok","latency_ms":2},{"suite":"base","stage":"forecast","variant":"llm","status":"skipped"}],"stored":"failed"}
{"kind":"failure","stage":"store","reason":"store_failed","retriable":true,"event_key":"e3","input":"stdin:7","detail":"disk full"}
{"kind":"market","market_id":"5","stored":"updated"}
{"kind":"market","market_id":"6","stored":"unchanged"}
{"kind":"run","phase":"end","run_id":"r1","status":"partial","finished_at":"2026-11-23T07:05:00Z","counts":{"records":9},"stored":"updated"}
EOF
}

test_expect_success 'an annotated run: identity, totals, failures, suites' '
	stream >in.ndjson &&
	run pm-summary --json - in.ndjson && expect_status 0 &&
	jq -c "[.run_id, .flow, .run_date, .target_date, .window_days, .git_sha, .run_status, .finished_at]" out >got &&
	echo "[\"r1\",\"daily\",\"2026-11-23\",\"2026-11-24\",7,\"abc123\",\"partial\",\"2026-11-23T07:05:00Z\"]" >want &&
	test_cmp want got &&
	jq -c .totals out >got &&
	echo "{\"records\":11,\"fetched\":1,\"normalized\":6,\"grouped\":3,\"processed\":1,\"skipped\":1,\"failed\":2,\"inserted\":3,\"updated\":2,\"unchanged\":1,\"duplicates\":1}" >want &&
	test_cmp want got &&
	jq -c "[.failures[] | [.market_id, .event_key, .reason, .retriable]], .failures_by_reason" out >got &&
	printf "%s\n" "[[\"9\",null,\"normalization_failed\",true],[null,\"e3\",\"store_failed\",true]]" \
		"{\"normalization_failed\":1,\"store_failed\":1}" >want &&
	test_cmp want got &&
	jq -c ".suites[] | [.suite, .stage, .variant, .ok, .skipped, .failed, .latency_ms.n, .latency_ms.mean, .latency_ms.max]" out >got &&
	printf "%s\n" "[\"base\",\"forecast\",\"market\",3,0,0,3,2,3]" \
		"[\"base\",\"forecast\",\"llm\",1,1,1,2,200,300]" \
		"[\"base\",\"research\",\"notes\",1,0,0,1,5,5]" >want &&
	test_cmp want got
'

test_expect_success 'the text summary goes to standard error, nothing to standard output' '
	stream >in.ndjson &&
	run pm-summary in.ndjson && expect_status 0 &&
	test ! -s out &&
	test_grep "^run r1: flow daily, run date 2026-11-23, target 2026-11-24, window 7 day(s), git abc123, status partial$" err &&
	test_grep "^records 11: fetched 1, normalized 6, grouped 3, processed 1, skipped 1, failed 2$" err &&
	test_grep "^stored: inserted 3, updated 2, unchanged 1, duplicates 1$" err &&
	test_grep "market 9: normalization_failed (retriable) at stdin:4: outcomes missing" err &&
	test_grep "^base:llm (forecast) *1 *1 *1 *200.0 *300.0 *-$" err &&
	run pm-summary -q in.ndjson && expect_status 0 && test ! -s err
'

test_expect_success '--pass copies the input byte for byte' '
	stream >in.ndjson &&
	run pm-summary --pass -q <in.ndjson && expect_status 0 &&
	test_cmp in.ndjson out
'

test_expect_success '--json PATH creates the directories and writes what --json - writes' '
	stream >in.ndjson &&
	run pm-summary -q --json a/b/c/summary.json in.ndjson && expect_status 0 &&
	test ! -s out && test -f a/b/c/summary.json &&
	run pm-summary -q --json - in.ndjson && test_cmp out a/b/c/summary.json &&
	ls a/b/c >files && echo summary.json >want && test_cmp want files
'

test_expect_success 'a JSON file that cannot be written exits 3, and leaves nothing' '
	stream >in.ndjson && : >afile &&
	run pm-summary -q --json afile/summary.json in.ndjson && expect_status 3 &&
	test_grep "^pm-summary: afile/summary.json: Not a directory$" err &&
	test ! -s afile
'

test_expect_success '--max-failures: a count, then a share of the records' '
	stream >in.ndjson &&
	run pm-summary -q --max-failures 2 in.ndjson && expect_status 0 &&
	run pm-summary -q --max-failures 1 in.ndjson && expect_status 1 &&
	test_grep "2 failures in 11 records: more than --max-failures" err &&
	run pm-summary -q --max-failures 20% in.ndjson && expect_status 0 &&
	run pm-summary -q --max-failures 15% in.ndjson && expect_status 1 &&
	run pm-summary -q --max-failures 0 --pass <in.ndjson && expect_status 1 &&
	test_cmp in.ndjson out
'

test_expect_success 'a line that is not a record is a bad_record failure' '
	{ stream; echo "{not json"; } >in.ndjson &&
	run pm-summary -q --json s.json in.ndjson && expect_status 0 &&
	test_count failure out 1 &&
	test_grep "in.ndjson:12: " err &&
	jq -e ".totals.failed == 3 and .totals.records == 12 and .failures_by_reason.bad_record == 1 and
		(.failures[2] | .input == \"in.ndjson:12\" and .reason == \"bad_record\" and
		(.detail | length > 0))" s.json >/dev/null
'

test_expect_success '--json -: the summary alone on standard output, a bad line in it' '
	{ stream; echo "{not json"; } >in.ndjson &&
	run pm-summary -q --json - in.ndjson && expect_status 0 &&
	test "$(jq -s length out)" = 1 &&
	jq -e ".failures_by_reason.bad_record == 1 and
		.failures[2].input == \"in.ndjson:12\"" out >/dev/null &&
	test_grep -x "pm-summary: in.ndjson:12: .*" err
'

test_expect_success 'empty input: zero totals, no run, null identity' '
	run pm-summary --json - </dev/null && expect_status 0 &&
	jq -e ".run_id == null and .run_status == null and .window_days == null and
		(.totals | to_entries | all(.value == 0)) and .failures == [] and .suites == []" out >/dev/null &&
	test_grep "^run: no run record in the input$" err
'

# A dump cut short (no end record) beside one that completed: the run
# that never ended is partial, as pm-store records it, never completed.
test_expect_success 'a run without its end record beside a completed one: partial' '
	stream | head -n 1 >cut.ndjson &&
	stream | sed -e "s/\"r1\"/\"r2\"/" -e "s/\"partial\"/\"completed\"/" >done.ndjson &&
	cat cut.ndjson done.ndjson >two.ndjson &&
	run pm-summary --json - two.ndjson && expect_status 0 &&
	jq -c "[.run_id, .run_status, .finished_at]" out >got &&
	echo "[\"r1\",\"partial\",null]" >want && test_cmp want got &&
	test_grep "^run r1: .*, status partial$" err &&
	test_grep -x "1 run in the input without an end record (cut short): counted partial" err &&
	cat done.ndjson cut.ndjson >two.ndjson &&
	run pm-summary -q --json - two.ndjson && expect_status 0 &&
	jq -c "[.run_id, .run_status]" out >got &&
	echo "[\"r2\",\"partial\"]" >want && test_cmp want got &&
	run pm-summary -q --json - done.ndjson && expect_status 0 &&
	test_eq completed "$(jq -r .run_status out)" &&
	run pm-summary --json - cut.ndjson && expect_status 0 &&
	test_eq null "$(jq -r .run_status out)" &&
	test_grep "^run r1: .*, status unfinished$" err &&
	test_grep -v "without an end record" err
'

test_expect_success 'a real pipe: raw, normalized and grouped records counted' '
	for f in "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json; do jq -c ".[]" "$f"; done |
		pm-normalize >norm.ndjson &&
	run pm-summary -q --json - norm.ndjson && expect_status 0 &&
	test_num "$(jq .totals.fetched out)" -eq "$(count_kind raw norm.ndjson)" &&
	test_num "$(jq .totals.normalized out)" -eq "$(count_kind market norm.ndjson)" &&
	pm-group norm.ndjson >grouped.ndjson &&
	run pm-summary -q --json - grouped.ndjson && expect_status 0 &&
	test_num "$(jq .totals.grouped out)" -eq "$(count_kind group grouped.ndjson)" &&
	test_num "$(jq .totals.normalized out)" -eq "$(count_kind market norm.ndjson)"
'

test_expect_success 'usage errors exit 2' '
	run pm-summary --max-failures x && expect_status 2 &&
	run pm-summary --max-failures 101% && expect_status 2 &&
	run pm-summary --max-failures 1.5 && expect_status 2 &&
	run pm-summary --pass --json - && expect_status 2 &&
	run pm-summary --db x.db && expect_status 2 &&
	run pm-summary --status --score && expect_status 2 &&
	run pm-summary --status in.ndjson && expect_status 2 &&
	run pm-summary --status --pass && expect_status 2 &&
	run pm-summary nosuchfile && expect_status 3
'

test_expect_success 'ids and details with control characters: shown as ?, one line, the JSON keeps them' '
	printf "%s\n" "{\"kind\":\"failure\",\"stage\":\"fetch\",\"reason\":\"http_error\",\"retriable\":true,\"market_id\":\"9\\u001b[31m\",\"detail\":\"HTTP 502: <html>\\r\\n\\u001b]0;pwned\\u0007\\u009b2J</html>\"}" >in.ndjson &&
	run pm-summary - in.ndjson && expect_status 0 &&
	test_grep "market 9?\[31m: http_error.*: HTTP 502: <html>  ?\]0;pwned???2J</html>\$" err &&
	not grep -q "$(printf "[\033\007\r]")" err &&
	run pm-summary --json - in.ndjson && expect_status 0 &&
	jq -e ".failures[0].detail | test(\"\\u001b\\\\]0;pwned\\u0007\")" out >/dev/null
'

# The text summary is the output of a stream summary without --pass: one
# that cannot be written on standard error (full, closed) is a failed
# write, exit 3, as a record on a full standard output is; -q writes none.
test_expect_success 'a summary that cannot be written on standard error: exit 3' '
	stream >in.ndjson &&
	{ pm-summary --json s.json in.ndjson 2>/dev/full; echo $? >status; } &&
	test_eq 3 "$(cat status)" &&
	test -s s.json &&
	{ pm-summary -q in.ndjson 2>/dev/full; echo $? >status; } &&
	test_eq 0 "$(cat status)" &&
	# not under make valgrind: its log is the descriptor found (t0007)
	if ! head -c 2 "$(command -v pm-summary)" | grep -q "#!"; then
		{ pm-summary in.ndjson 2>&-; echo $? >status; } &&
		test_eq 3 "$(cat status)" &&
		{ pm-summary -q in.ndjson 2>&-; echo $? >status; } &&
		test_eq 0 "$(cat status)"
	fi
'

test_done
