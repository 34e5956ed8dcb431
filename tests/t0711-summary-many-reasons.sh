#!/bin/bash
# pm-summary stays linear in distinct failure reasons and variants (it
# was quadratic: 40,000 reasons took 4.4 s, a million over 15 minutes),
# and its JSON names at most the 20 most frequent reasons.
. "$(dirname "$0")/lib.sh"

# N failures with N distinct reasons (r0 three times more), N groups with
# N distinct suites.
many() {
	awk -v n="$1" 'BEGIN {
		for (i = 0; i < 3; i++)
			print "{\"kind\":\"failure\",\"stage\":\"store\",\"reason\":\"r0\",\"retriable\":false,\"detail\":\"x\"}"
		for (i = 1; i < n; i++)
			printf "{\"kind\":\"failure\",\"stage\":\"store\",\"reason\":\"r%d\",\"retriable\":false,\"detail\":\"x\"}\n", i
		for (i = 0; i < n; i++)
			printf "{\"kind\":\"group\",\"event_key\":\"e%d\",\"markets\":[],\"results\":[{\"suite\":\"s%d\",\"stage\":\"forecast\",\"variant\":\"v\",\"status\":\"ok\"}]}\n", i, i
	}'
}

test_expect_success '200,000 distinct reasons and suites: done in linear time' '
	many 200000 >in.ndjson &&
	run timeout 120 pm-summary -q --json s.json in.ndjson &&
	expect_status 0 &&
	test "$(jq ".failures_by_reason | length" s.json)" -eq 20 &&
	test "$(jq ".failures_by_reason.r0" s.json)" -eq 3 &&
	test "$(jq -c .failures_by_other_reasons s.json)" = "{\"reasons\":199980,\"failures\":199980}" &&
	test "$(jq ".totals.failed" s.json)" -eq 200002
'

test_expect_success 'at most 20 reasons: all named, in the order first seen, nothing else' '
	many 20 | head -22 >in.ndjson &&
	run pm-summary --json s.json in.ndjson && expect_status 0 &&
	jq -r ".failures_by_reason | keys_unsorted | join(\" \")" s.json >got &&
	echo "r0 r1 r2 r3 r4 r5 r6 r7 r8 r9 r10 r11 r12 r13 r14 r15 r16 r17 r18 r19" >want &&
	test_cmp want got &&
	test "$(jq .failures_by_other_reasons s.json)" = null &&
	grep -q "^failures by reason: r0 3, r1 1," err
'

test_expect_success 'the text names the top 20 and counts the rest' '
	many 30 | head -32 >in.ndjson &&
	run pm-summary in.ndjson && expect_status 0 &&
	grep -q "^failures by reason: r0 3, .*, and 10 other reasons 10\$" err
'

test_done
