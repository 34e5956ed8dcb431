#!/bin/bash
# The text reports of pm-summary keep their columns under a name of
# characters wider or narrower than their bytes (a variant in Japanese, a
# run id with an accent): the padding counted bytes, so every number
# after such a name stood left of its column (by 6 places after 日本語モデル).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/score-data.sh"

# one_width PATTERN FILE WITH: how many widths (Unicode's) the lines of FILE
# that hold WITH have up to PATTERN (default: their first digit): their
# name and its padding, 1 when every column stands where the others do
one_width() {
	python3 -c '
import re, sys, unicodedata as u
pat = sys.argv[1] or "[0-9]"
ws = set()
for line in open(sys.argv[2], encoding="utf-8"):
    if sys.argv[3] not in line or not re.search(pat, line):
        continue
    head = re.split(pat, line, maxsplit=1)[0]
    ws.add(sum(0 if u.combining(c) else 2 if u.east_asian_width(c) in "WF" else 1 for c in head))
print(len(ws))' "$1" "$2" "$3"
}

test_expect_success 'score: a wide name keeps the columns of its line and of paired' '
	cat "$TMP/forecasts.ndjson" "$TMP/resolutions.ndjson" |
		sed "s/\"llm\"/\"日本語モデル\"/g; s/s:forecast:llm/s:forecast:日本語モデル/g" |
		pm-store --db s.db >/dev/null 2>&1 &&
	run pm-summary --score --db s.db && expect_status 0 &&
	test_grep "^s:日本語モデル (forecast) " out &&
	grep "^s:" out >lines && test_eq 1 "$(one_width "" lines "(forecast)")" &&
	grep "^  s:" out >lines && test_eq 1 "$(one_width "" lines "(forecast)")"
'

test_expect_success 'the run summary: a variant of accents and wide characters, in its columns' '
	printf "%s\n" "{\"kind\":\"group\",\"event_key\":\"e\",\"event\":null,\"markets\":[],\"results\":[{\"suite\":\"s\",\"stage\":\"f\",\"variant\":\"plain\",\"status\":\"ok\",\"latency_ms\":1},{\"suite\":\"s\",\"stage\":\"f\",\"variant\":\"modèle-日本\",\"status\":\"ok\",\"latency_ms\":1}]}" >in.ndjson &&
	run pm-summary in.ndjson && expect_status 0 &&
	test_grep "^s:modèle-日本 (f) " err &&
	test_eq 1 "$(one_width "" err "(f)")"
'

test_expect_success 'status: a run id with accents, its flow in the column of the others' '
	{ rec_run_start r1 static; rec_run_start "été-日本" static; } |
		pm-store --db d.db >/dev/null 2>&1 &&
	run pm-summary --status --db d.db --flow static && expect_status 5 &&
	test_grep "^  été-日本 " out &&
	test_eq 1 "$(one_width " static " out " completed ")"
'

test_done
