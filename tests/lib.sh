# shellcheck shell=bash
# tests/lib.sh - the shell test harness, sourced by every tNNNN-*.sh.
#
#   test_expect_success 'what it shows' '
#       run pm-normalize in.ndjson &&
#       expect_status 0 &&
#       grep -q market out
#   '
#
# Each case runs in a subshell inside a private temp dir ($TMP, removed on
# exit).  `run` captures stdout in ./out, stderr in ./err and the exit
# status in $status; it fails the case by itself when the program died of
# a signal or a sanitizer spoke, so a crash is never an expected failure.
# Results go to $PM_RESULTS (one line per case) for tests/run.sh.

set -u
TESTS_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$TESTS_DIR/.." && pwd)
PM_BIN=${PM_BIN:-$TOP/bin}
PM_UNIT=${PM_UNIT:-$TOP/build/unit}
FIXTURES=${FIXTURES:-$TESTS_DIR/fixtures}
PATH=$PM_BIN:$PATH
export PATH PM_BIN FIXTURES TOP TESTS_DIR
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pm-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1

test_count=0
test_failed=0
script=$(basename "$0" .sh)

say() { printf '%s\n' "$*"; }

run() {
	# `|| status=$?`: a failing command must not end the case under set -e
	status=0
	"$@" >out 2>err || status=$?
	if [ "$status" -ge 128 ]; then
		say "crashed: $* (status $status)"; sed 's/^/  /' err | head -20
		return 1
	fi
	if grep -q -e 'AddressSanitizer' -e 'LeakSanitizer' -e 'runtime error:' err; then
		say "sanitizer: $*"; sed 's/^/  /' err | head -30
		return 1
	fi
	return 0
}

expect_status() {
	[ "$status" = "$1" ] && return 0
	say "expected status $1, got $status"; sed 's/^/  stderr: /' err | head -10
	return 1
}

# test_cmp EXPECTED ACTUAL
test_cmp() {
	diff -u "$1" "$2" && return 0
	return 1
}

# not CMD...: succeeds when CMD fails (a leading `!` is ignored by set -e)
not() {
	if "$@"; then return 1; fi
	return 0
}

# count_kind KIND FILE: records of that kind
count_kind() {
	grep -c "^{\"kind\":\"$1\"" "$2" || true
}

test_expect_success() {
	test_count=$((test_count + 1))
	dir=$TMP/case$test_count
	mkdir -p "$dir"
	# Not inside an `if`, so that set -e holds in the case body: every
	# line counts, not only the last.
	(cd "$dir" && set -e && eval "$2") >"$TMP/log" 2>&1
	# shellcheck disable=SC2181
	if [ $? -eq 0 ]; then
		say "ok $test_count - $script: $1"
		echo "pass $script: $1" >>"${PM_RESULTS:-/dev/null}"
	else
		test_failed=$((test_failed + 1))
		say "not ok $test_count - $script: $1"
		sed 's/^/#  /' "$TMP/log"
		echo "fail $script: $1" >>"${PM_RESULTS:-/dev/null}"
	fi
}

test_done() {
	[ "$test_failed" -eq 0 ]
}
