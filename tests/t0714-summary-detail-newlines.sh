#!/bin/bash
# A failure's detail with newlines in it (an HTTP error page, as pm-fetch
# keeps its start) in the text reports: one line per failure.  Each of
# its lines stood as a line of the report: "status: fresh" in the status
# of data that was none, for a probe that greps it.
. "$(dirname "$0")/lib.sh"

fail() {
	jq -cn '{kind:"failure", stage:"fetch", reason:"http_error", retriable:true,
		market_id:"m1", detail:"HTTP 500: <html>\n<body>\r\nstatus: fresh\n</body>"}'
}

test_expect_success 'status: a stored detail with newlines is one line of the report' '
	fail | pm-store --db d.db >/dev/null 2>&1 &&
	run pm-summary --status --db d.db && expect_status 5 &&
	test_grep -v "^status: fresh" out && test_grep "^status: no data" out &&
	test_grep "^  .* fetch http_error market m1 (retriable): HTTP 500: <html> <body>  status: fresh </body>$" out &&
	run pm-summary --status --db d.db --json && expect_status 5 &&
	jq -e ".failures.recent[0].detail | test(\"<html>\\n<body>\\r\\nstatus\")" out >/dev/null
'

test_expect_success 'run summary: a failure record'"'"'s detail with newlines is one line' '
	fail >in &&
	run pm-summary --json s.json in && expect_status 0 &&
	test_grep -v "^status: fresh" err && test_grep -v "^<body>" err &&
	test_grep "^  market m1: http_error (retriable): HTTP 500: <html> <body>  status: fresh </body>$" err &&
	jq -e ".failures[0].detail | test(\"\\n<body>\")" s.json >/dev/null
'

test_done
