#!/bin/bash
# NDJSON saved on Windows ends its lines with CR LF (jq reads it): the CR
# is part of the line end, not of the record, in every tool's input loop.
# It was kept in records passed through and counted toward PM_MAX_LINE.
. "$(dirname "$0")/lib.sh"

crlf() { sed "s/\$/$(printf "\r")/" "$@"; }
# rec N: a fetch failure record of exactly N bytes
rec() {
	python3 -c "import sys; h = '{\"kind\":\"failure\",\"stage\":\"fetch\",\"reason\":\"http_error\",\"retriable\":true,\"detail\":\"'; n = int(sys.argv[1]) - len(h) - 2; print(h + 'x' * n + '\"}')" "$1"
}

test_expect_success 'a CR LF dump through pm-normalize: what an LF one gives, no CR kept' '
	{ printf "%s\n" "{\"kind\":\"run\",\"phase\":\"start\",\"run_id\":\"r1\"}" &&
	  jq -c ".[0], .[1]" "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json &&
	  rec 150; } >lf.ndjson &&
	cp lf.ndjson in.ndjson &&
	run pm-normalize in.ndjson && expect_status 0 && mv out want &&
	crlf lf.ndjson >in.ndjson && test "$(grep -c "$(printf "\r")" in.ndjson)" -eq 4 &&
	run pm-normalize in.ndjson && expect_status 0 &&
	test_cmp want out && not grep -q "$(printf "\r")" out &&
	test_count raw out 2 && test_count market out 2 &&
	sed -n 1p lf.ndjson >want && sed -n 1p out >got && test_cmp want got
'

test_expect_success 'a CR LF dump replayed through pm-store: the rows of an LF one' '
	jq -c ".[0], .[1], .[2]" "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json >m.ndjson &&
	run pm-normalize m.ndjson && expect_status 0 && mv out lf.ndjson &&
	rec 150 >>lf.ndjson &&
	cp lf.ndjson in.ndjson &&
	run pm-store -d sqlite:lf.db in.ndjson && expect_status 0 && mv out want &&
	crlf lf.ndjson >in.ndjson &&
	run pm-store -d sqlite:crlf.db in.ndjson && expect_status 0 &&
	test_cmp want out && not grep -q "$(printf "\r")" out &&
	for db in lf crlf; do
		sqlite3 $db.db "SELECT sha256 FROM raw_payloads ORDER BY 1;
		    SELECT market_id, question FROM markets ORDER BY 1;
		    SELECT count(*) FROM processing_failures" >$db.rows || return 1
	done &&
	test_cmp lf.rows crlf.rows && test_line_count lf.rows -eq 7
'

test_expect_success 'the CR is not counted toward PM_MAX_LINE, the record is' '
	{ rec 200 && rec 201 && rec 200 | tr -d "\n"; } | crlf >in.ndjson &&
	PM_MAX_LINE=200 run pm-normalize in.ndjson && expect_status 1 &&
	test_grep "^pm-normalize: in.ndjson:2: line longer than 200 bytes" err &&
	test_line_count err -eq 1 &&
	{ rec 200 && rec 200; } >want && grep -v bad_record out >got &&
	test_cmp want got &&
	{ rec 179 && rec 180; } | crlf >in.ndjson &&
	PM_MAX_LINE=200 run pm-store -d sqlite:cap.db in.ndjson && expect_status 1 &&
	test_grep "^pm-store: in.ndjson:2: line longer than 179 bytes" err &&
	test "$(sqlite3 cap.db "SELECT count(*) FROM processing_failures WHERE reason = '\''http_error'\''")" -eq 1
'

test_done
