#!/bin/bash
# pm-summary --json PATH writes to what PATH is: a device or a FIFO is
# written in place, a symlink keeps pointing at its target, a regular file
# is replaced atomically through a private temp file.
. "$(dirname "$0")/lib.sh"

run_line() {
	echo '{"kind":"run","phase":"start","run_id":"r1","flow":"daily","run_date":"2026-11-23","started_at":"2026-11-23T07:00:00Z"}'
}

test_expect_success 'a character device stays a device; /dev/stdout is the output' '
	run_line >in.ndjson &&
	if [ "$(id -u)" -eq 0 ]; then
		mknod null c 1 3 &&
		run pm-summary -q --json null in.ndjson && expect_status 0 &&
		test -c null
	fi &&
	pm-summary -q --json /dev/stdout in.ndjson | cat >got &&
	jq -e ".run_id == \"r1\"" got >/dev/null
'

test_expect_success 'a FIFO is written to, not replaced' '
	run_line >in.ndjson && mkfifo f &&
	{ timeout 20 cat f >got & } && reader=$! &&
	run pm-summary -q --json f in.ndjson && expect_status 0 &&
	wait "$reader" &&
	test -p f && jq -e ".run_id == \"r1\"" got >/dev/null
'

test_expect_success 'a symlink keeps pointing at its target, which gets the data' '
	run_line >in.ndjson && mkdir real && echo old >real/s.json &&
	ln -s real/s.json link.json &&
	run pm-summary -q --json link.json in.ndjson && expect_status 0 &&
	test -L link.json && test "$(readlink link.json)" = real/s.json &&
	jq -e ".run_id == \"r1\"" real/s.json >/dev/null
'

test_expect_success 'a regular file is replaced through an unpredictable temp file, none left' '
	run_line >in.ndjson && mkdir d && echo old >d/s.json &&
	echo keep >victim &&
	python3 -c "import os; b = os.getpid()
for p in range(b, b + 500): os.symlink(\"../victim\", \"d/s.json.tmp.%d\" % p)" &&
	run pm-summary -q --json d/s.json in.ndjson && expect_status 0 &&
	test "$(cat victim)" = keep &&
	jq -e ".run_id == \"r1\"" d/s.json >/dev/null &&
	test "$(find d -type f | wc -l)" -eq 1
'

test_expect_success 'a missing directory is made; an unwritable target is one message' '
	run_line >in.ndjson &&
	run pm-summary -q --json new/dir/s.json in.ndjson && expect_status 0 &&
	test -f new/dir/s.json &&
	run pm-summary -q --json /proc/version in.ndjson &&
	not expect_status 0 && test "$(grep -c /proc/version err)" -eq 1
'

test_done
