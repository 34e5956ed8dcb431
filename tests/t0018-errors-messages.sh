#!/bin/bash
# Messages a new user meets: a pretty-printed JSON array is named once
# with what to do, the same message about bad lines stops repeating past
# a cap (the failure records stay, one per bad line), and a path is named
# once in a message, a write error under --help or --list is said, and
# so is a store stopped by its output reader going away.
. "$(dirname "$0")/lib.sh"

# a pretty-printed array of N market objects
array() {
	echo "["
	for i in $(seq "$1"); do printf '  {"kind":"market","market_id":"%s"},\n' "$i"; done
	echo '  {"kind":"market","market_id":"last"}'
	echo "]"
}

test_expect_success 'a pretty-printed array: named once, with the jq that reads it' '
	array 50 >a.json &&
	run pm-normalize a.json && expect_status 1 &&
	test "$(grep -c "pipe it through jq -c .\.\[\]." err)" -eq 1 &&
	test_grep "^pm-normalize: a.json:1: input is a JSON array, not one object per line" err
'

test_expect_success 'the same message at most 10 times, then how many more' '
	array 50 >a.json &&
	run pm-normalize a.json && expect_status 1 &&
	test "$(grep -c "^pm-normalize: a.json:[0-9]*: invalid JSON$" err)" -eq 10 &&
	test_grep "^pm-normalize: a.json: invalid JSON: said 10 times; not repeated for this input$" err &&
	test_grep "^pm-normalize: a.json: 42 more lines: invalid JSON (not repeated)$" err &&
	test "$(wc -l <err)" -le 14
'

# the count came after the summary line, which scripts take as the last
test_expect_success 'how many more comes before the summary line, and once' '
	for i in $(seq 1 15); do echo "{\"kind\":\"market\"}"; done >m.ndjson &&
	run pm-store --db sqlite:m.db m.ndjson && expect_status 1 &&
	tail -n 2 err >last2 &&
	test_grep "^pm-store: m.ndjson: 5 more lines: source missing (not repeated)$" last2 &&
	test_grep "^pm-store: 15 records: .* 15 failed in sqlite:m.db$" last2 &&
	tail -n 1 err | grep -q "15 failed" &&
	test "$(grep -c "more lines" err)" -eq 1
'

test_expect_success 'the failure records stay, one per bad line' '
	array 50 >a.json &&
	run pm-normalize a.json &&
	test_count failure out 52 &&
	jq -r "select(.kind == \"failure\") | .input" out >inputs &&
	test_eq "a.json:1" "$(head -1 inputs)" && test_eq "a.json:53" "$(tail -1 inputs)"
'

test_expect_success 'the cap is per input: a second file is told again' '
	array 20 >a.json && array 20 >b.json &&
	run pm-normalize a.json b.json &&
	test "$(grep -c "^pm-normalize: a.json:[0-9]*: invalid JSON$" err)" -eq 10 &&
	test "$(grep -c "^pm-normalize: b.json:[0-9]*: invalid JSON$" err)" -eq 10
'

test_expect_success 'up to the cap every one is said, and no more is said about it' '
	for i in $(seq 10); do echo "[$i]"; done >n.ndjson &&
	run pm-group n.ndjson && expect_status 1 &&
	test "$(grep -c "not a JSON object" err)" -eq 10 &&
	test_grep -v "repeated" err && test_count failure out 10
'

test_expect_success 'a database path is named once' '
	run pm-summary --score --db "$TMP/no/such/x.db" && expect_status 3 &&
	test_grep -v "x.db.*x.db" err &&
	test_grep "^pm-summary: no database at $TMP/no/such/x.db; run a flow first$" err &&
	: >file &&
	run pm-store --db file/x.db </dev/null && expect_status 3 &&
	test_grep -v "x.db: .*x.db" err &&
	test_grep "^pm-store: file/x.db: [a-z]" err
'

test_expect_success 'a full disk under --help, --version or --list: said once, exit 3' '
	for c in "pm-normalize --help" "pm-group -V" "pm-store --help" \
	    "pm-summary -V" "pm-fetch --help" "pm-experiment --help" \
	    "pm-experiment -V" "pm-experiment --list"; do
		run sh -c "$c >/dev/full" && expect_status 3 &&
		test_grep -x "${c%% *}: write error: No space left on device" err &&
		test "$(wc -l <err)" -eq 1 || { echo "$c:"; cat err; false; }
	done
'

test_expect_success 'a store whose output reader went away says so: the rest is not stored' '
	jq -c ".[]" "$FIXTURES"/gamma-markets-ra1nty-1.json | pm-normalize -R >m.ndjson &&
	jq -c ".[]" "$FIXTURES"/gamma-markets-estevaogn-1.json | pm-normalize -R >later.ndjson &&
	# the later records only once the first are stored (and written)
	{ cat m.ndjson &&
	  for _ in $(seq 400); do
		[ "$(pm-store --db s.db -e market 2>/dev/null | wc -l)" -ge 1 ] && break
		sleep 0.05
	  done && cat later.ndjson; } |
	    { pm-store --db s.db 2>err; echo $? >status; } | { exec 0<&-; sleep 2; } &&
	test_eq 3 "$(cat status)" && test "$(wc -l <err)" -eq 2 &&
	test_grep -x "pm-store: standard output closed by its reader: stopped reading the input; what was not read is not stored" err &&
	pm-store --db s.db -e market >stored &&
	test_eq "$(wc -l <m.ndjson)" "$(wc -l <stored)"
'

test_expect_success 'run by its path, a bad option is said as prog:, not as the path' '
	for c in "pm-normalize --bogus" "pm-group -Z" "pm-store --db" \
	    "pm-summary --json" "pm-fetch markets --bogus" "pm-fetch --bogus" \
	    "pm-experiment -c"; do
		# shellcheck disable=SC2086
		run "$PM_BIN"/$c && expect_status 2 &&
		test_grep -E "^${c%% *}: (unrecognized|invalid) option|^${c%% *}: option .*requires an argument" err &&
		test_grep -v -F "$PM_BIN" err || { echo "$c:"; cat err; false; }
	done
'

test_done
