#!/bin/bash
# Input that is JSON but not NDJSON as the tools want it says what to do:
# a byte order mark, a JSON array (pretty-printed or on one line).
. "$(dirname "$0")/lib.sh"

good() { jq -c ".[$1]" "$FIXTURES"/gamma-markets-bobaoxu2001-1.json; }

hint="input is a JSON array, not one object per line: pipe it through jq -c '.\[\]'"

test_expect_success 'a byte order mark is named, and how to be rid of it' '
	{ printf "\357\273\277"; good 0; good 1; } >in.ndjson &&
	run pm-normalize -R -e markets in.ndjson && expect_status 1 &&
	grep -q "^pm-normalize: in.ndjson:1: invalid JSON: starts with a byte order mark (U+FEFF); save the file without it\$" err &&
	test "$(count_kind market out)" -eq 1 &&
	grep -q "\"detail\":\"invalid JSON: starts with a byte order mark" out
'

test_expect_success 'the same from pm-group and pm-store' '
	{ printf "\357\273\277"; echo "{\"kind\":\"note\"}"; } >in.ndjson &&
	run pm-group in.ndjson && expect_status 1 &&
	grep -q "^pm-group: in.ndjson:1: invalid JSON: starts with a byte order mark" err &&
	run pm-store -n -d "$PWD/s.db" in.ndjson && expect_status 1 &&
	grep -q "^pm-store: in.ndjson:1: invalid JSON: starts with a byte order mark" err
'

test_expect_success 'a pretty-printed JSON array: every line bad, the way out said once' '
	jq . "$FIXTURES"/gamma-markets-bobaoxu2001-1.json >in.json &&
	run pm-normalize -R -e markets in.json && expect_status 1 &&
	test "$(grep -c "jq -c" err)" -eq 1 &&
	grep -q "^pm-normalize: in.json:1: $hint\$" err &&
	test "$(count_kind market out)" -eq 0 &&
	jq -c ".[]" in.json | pm-normalize -R -e markets >fixed &&
	test "$(count_kind market fixed)" -gt 0
'

test_expect_success 'arrays on one line: not an object, the way out said once' '
	{ good 0; jq -c . "$FIXTURES"/gamma-markets-bobaoxu2001-1.json; good 1; echo "[1,2]"; } >in.ndjson &&
	run pm-normalize -R -e markets in.ndjson && expect_status 1 &&
	grep -q "^pm-normalize: in.ndjson:2: not a JSON object\$" err &&
	grep -q "^pm-normalize: in.ndjson:2: $hint\$" err &&
	grep -q "^pm-normalize: in.ndjson:4: not a JSON object\$" err &&
	test "$(grep -c "jq -c" err)" -eq 1 &&
	test "$(count_kind market out)" -eq 2
'

test_expect_success 'other bad lines get no such hint' '
	{ good 0; echo "{oops"; echo "\"[a string]\""; echo "  {\"kind\":1}"; } >in.ndjson &&
	run pm-group in.ndjson && expect_status 1 &&
	test "$(grep -c "" err)" -eq 3 && not grep -q "jq -c" err
'

test_done
