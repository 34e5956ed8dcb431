# shellcheck shell=bash
# tests/lib.sh - the shell test harness, sourced by every tNNNN-*.sh.
#
#   test_expect_success 'what it shows' '
#       run pm-normalize in.ndjson &&
#       expect_status 0 &&
#       test_count market out 3
#   '
#
# Each case runs in a subshell inside a private temp dir ($TMP, removed on
# exit).  `run` captures stdout in ./out, stderr in ./err and the exit
# status in $status; it fails the case by itself when the program died of
# a signal or a sanitizer spoke, so a crash is never an expected failure,
# and when a pm-* program wrote records that are not UTF-8 or not JSON
# (pm-records(5): the next stage would refuse them whole).
# Results go to $PM_RESULTS (one line per case) for tests/run.sh.
#
# Assertions say why they failed, in the case's log (printed under its
# `not ok` line):
#
#   test_grep [-v] [-x] [-i] [-F] [-E] [-r] [-e] PATTERN [FILE...]
#                               a line matches (-v: none does); stdin
#                               when no FILE; on failure the file's head
#                               (or, with -v, the lines that matched)
#   test_count KIND FILE [OP] N records of KIND in FILE, -eq N or OP N
#                               (-ge, -lt...); on failure the count of
#                               every kind in FILE
#   test_line_count FILE [OP] N lines in FILE; on failure its head
#   test_eq EXPECTED ACTUAL [WHAT]   string equality, both shown
#   test_num ACTUAL OP N [WHAT]      `test ACTUAL OP N`, both shown
#   test_cmp EXPECTED ACTUAL    files equal, diff -u shown
#   lock_hold DB FLOW, lock_release   a run lock held in the background
#   sqlite_hold DB SQL [exclusive]   an SQLite writer lock held until
#                               ./release appears ($holder its pid)
#   test_when_finished CMD...   run CMD when the case ends, passed or
#                               failed (not from inside a pipe or $(...))
#
# In a loop or a function called from an && list set -e is off, and only
# the last status counts: end each check there with `|| return 1`.
#
# Record builders (rec_market, rec_group, rec_raw...): tests/records.sh.

set -u
TESTS_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$TESTS_DIR/.." && pwd)
PM_BIN=${PM_BIN:-$TOP/bin}
PM_UNIT=${PM_UNIT:-$TOP/build/unit}
FIXTURES=${FIXTURES:-$TESTS_DIR/fixtures}
PATH=$PM_BIN:$PATH
export PATH PM_BIN FIXTURES TOP TESTS_DIR
. "$TESTS_DIR/records.sh"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pm-test.XXXXXX")
# pm-fetch's shared rate budgets (PM_STATE_DIR, pm-fetch(1)) in the
# test's directory: a fake server's budget is not the user's to keep, and
# tests never share one through ~/.cache/pm.
PM_STATE_DIR=$TMP/state
export PM_STATE_DIR
# No proxy of the environment the suite was started from: libcurl (in
# pm-fetch, pm-store's ClickHouse client, the curl of the helpers) sends
# even 127.0.0.1 through http_proxy or all_proxy, and every request to
# the tests' servers went to the proxy instead (pm-fetch(1) ENVIRONMENT).
unset http_proxy https_proxy HTTPS_PROXY all_proxy ALL_PROXY

# test_exit_cleanup [STOP...]: the one EXIT trap of every helper file.
# Set at the script's level, it stops every server any helper started
# (fake APIs, fake LLM, ClickHouse, PostgreSQL and PgBouncer), then removes
# $TMP: a helper that sets the trap after another never leaves the other's
# servers running.  Set inside a case (a subshell), it runs only the
# STOP commands of the helper that set it.
test_exit_cleanup() {
	local f
	if [ "$BASH_SUBSHELL" -gt 0 ]; then
		for f in "$@"; do "$f"; done
		return 0
	fi
	for f in "$@" fake_stop_all llm_stop ch_stop_all pg_stop; do
		declare -F "$f" >/dev/null && "$f"
	done
	rm -rf "$TMP"
}
trap test_exit_cleanup EXIT
cd "$TMP" || exit 1

test_n=0
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
	case $1 in
	pm-*)	if ! iconv -f UTF-8 -t UTF-8 out >/dev/null 2>&1; then
			say "not UTF-8: what $* wrote:"
			iconv -f UTF-8 -t UTF-8 out 2>&1 >/dev/null | head -1
			return 1
		fi
		# records: each line JSON (a record cut part way is refused
		# whole by the next stage)
		# (no file of its own: cases look at what the directory holds)
		if [ "$(head -c 1 out)" = "{" ] && ! jq . out >/dev/null 2>&1; then
			say "not JSON: what $* wrote:"
			jq . out 2>&1 >/dev/null | head -3
			return 1
		fi ;;
	esac
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

# test_where: the line of the case body that called the failing
# assertion (or the function that called it), for its message.  Inside
# eval, bash numbers the lines from the line of the eval.
test_where() {
	local k=0 n
	while [ $((k + 1)) -lt ${#FUNCNAME[@]} ]; do
		if [ "${FUNCNAME[k + 1]}" = test_expect_success ]; then
			n=$((BASH_LINENO[k] - test_line0 + 1))
			say "at case line $n: $(printf '%s\n' "$test_body" |
			    sed -n "${n}{s/^[[:space:]]*//;p;}" | cut -c 1-200)"
			return 0
		fi
		k=$((k + 1))
	done
}

# test_show FILE: its first lines, each cut short, for a failure message
test_show() {
	local n
	n=$(wc -l <"$1")
	say "--- $1 ($n lines$([ "$n" -gt 20 ] && echo ", first 20"))"
	head -n 20 "$1" | cut -c 1-300 | sed 's/^/| /'
}

# test_grep [-v] [-x] [-i] [-F] [-E] [-r] [-e] PATTERN [FILE...]
test_grep() {
	local neg='' opts=() pat in='' f rc=0 c what
	while [ $# -gt 1 ]; do
		case $1 in
		-e) shift; break ;;
		--) shift; break ;;
		-[vxiFEr]*)
			for c in $(printf '%s' "${1#-}" | sed 's/./& /g'); do
				case $c in
				v) neg=1 ;;
				[xiFEr]) opts+=("-$c") ;;
				*) say "test_grep: unknown option -$c"; return 1 ;;
				esac
			done ;;
		-*) say "test_grep: unknown option $1"; return 1 ;;
		*) break ;;
		esac
		shift
	done
	[ $# -ge 1 ] || { say "test_grep: no pattern"; return 1; }
	pat=$1
	shift
	if [ $# -eq 0 ]; then
		in=$(mktemp "$TMP/stdin.XXXXXX") && cat >"$in" || return 1
		set -- "$in"
	fi
	for f; do
		[ -e "$f" ] && continue
		say "test_grep: no such file: $f"
		rc=1
	done
	what="${opts[*]}${opts[*]:+ }'$pat' in ${in:+stdin}"
	[ -n "$in" ] || what="$what$*"
	if [ $rc -eq 0 ]; then
		if [ -n "$neg" ]; then
			if grep -q "${opts[@]}" -e "$pat" -- "$@"; then
				test_where
				say "test_grep: expected no line matching $what, found:"
				grep -n -H "${opts[@]}" -e "$pat" -- "$@" | head -n 20 | cut -c 1-300 | sed 's/^/| /'
				rc=1
			fi
		elif ! grep -q "${opts[@]}" -e "$pat" -- "$@"; then
			test_where
			say "test_grep: expected a line matching $what"
			for f; do [ -f "$f" ] && test_show "$f"; done
			rc=1
		fi
	fi
	[ -n "$in" ] && rm -f "$in"
	return $rc
}

# sqlite_rows DB: the raw, market, contract and failure rows pm-store
# wrote into SQLite, without the times of writing, sorted
sqlite_rows() {
	sqlite3 "$1" "SELECT sha256, encoding, hex(payload) FROM raw_payloads
	    ORDER BY 1; SELECT sha256, source, endpoint, url, fetched_at
	    FROM raw_observations ORDER BY 1, 2, 3, 4, 5;
	    SELECT * FROM contracts ORDER BY 1, 2, 3;
	    SELECT reason, market_id, detail FROM processing_failures
	    ORDER BY 1, 2, 3" &&
	sqlite3 "$1" "SELECT $(sqlite3 "$1" "SELECT group_concat(name)
	    FROM pragma_table_info('markets') WHERE name NOT IN
	    ('first_seen_at', 'stored_at')") FROM markets ORDER BY 1, 2"
}

# resolve_yes DB: every market of DB stored again closed, resolved Yes
# (its first outcome), fetched after the runs, for pm-summary --score
resolve_yes() {
	pm-store --db "$1" --export markets | jq -c '.active = false |
	    .closed = true | .resolution_status = "resolved" |
	    .resolution = "outcome" | .resolved_outcome = "Yes" |
	    .fetched_at = "2026-12-31T00:00:00Z" | .contracts[0].price = 1 |
	    .contracts[1].price = 0' | pm-store --db "$1" >/dev/null
}

# test_count KIND FILE [OP] N: records of KIND in FILE
test_count() {
	local op=-eq n
	[ $# -eq 4 ] && { op=$3; set -- "$1" "$2" "$4"; }
	[ $# -eq 3 ] || { say "test_count: usage: test_count KIND FILE [OP] N"; return 1; }
	if ! [ -r "$2" ]; then say "test_count: cannot read $2"; return 1; fi
	n=$(count_kind "$1" "$2")
	test "$n" "$op" "$3" && return 0
	test_where
	say "test_count: $2 has $n $1 record(s), expected $op $3; its kinds:"
	grep -o '^{"kind":"[^"]*"' "$2" | cut -d'"' -f4 | sort | uniq -c | sed 's/^/| /'
	n=$(grep -c -v '^{"kind":"' "$2")
	[ "$n" -eq 0 ] || say "| and $n line(s) not starting {\"kind\":"
	return 1
}

# test_line_count FILE [OP] N: lines in FILE
test_line_count() {
	local op=-eq n
	[ $# -eq 3 ] && { op=$2; set -- "$1" "$3"; }
	[ $# -eq 2 ] || { say "test_line_count: usage: test_line_count FILE [OP] N"; return 1; }
	if ! [ -r "$1" ]; then say "test_line_count: cannot read $1"; return 1; fi
	n=$(wc -l <"$1")
	test "$n" "$op" "$2" && return 0
	test_where
	say "test_line_count: $1 has $n line(s), expected $op $2"
	test_show "$1"
	return 1
}

# test_eq EXPECTED ACTUAL [WHAT]: the same string
# schema_latest: the newest schema migration this pm-store knows
schema_latest() {
	pm-store --schema sqlite | sed -n "s/^-- migration \([0-9]*\):.*/\1/p" | tail -n 1
}

# wait_proc PATTERN [TRIES]: until a process whose command line holds
# PATTERN runs (pgrep -f), polled every 0.05 s at most TRIES times
# (default 400); 1 when none came.
wait_proc() {
	local i
	for i in $(seq "${2:-400}"); do
		pgrep -f "$1" >/dev/null && return 0
		sleep 0.05
	done
	return 1
}

test_eq() {
	[ "$1" = "$2" ] && return 0
	test_where
	say "test_eq: ${3:-value}: expected, then got:"
	printf '| %s\n' "$1"
	printf '| %s\n' "$2"
	return 1
}

# test_num ACTUAL OP N [WHAT]: `test ACTUAL OP N`, for numbers
test_num() {
	test "$1" "$2" "$3" && return 0
	test_where
	say "test_num: ${4:-value} is '$1', expected $2 $3"
	return 1
}

# peak CMD...: the peak RSS of CMD in kB; its output in out, err; fails
# when CMD does.  AddressSanitizer keeps what is freed for a while (256 MB
# by default): none kept, so that a row freed is memory given back.
peak() {
	ASAN_OPTIONS=$ASAN_OPTIONS:quarantine_size_mb=0:thread_local_quarantine_size_kb=0 \
	    python3 -c "
import resource, subprocess, sys
rc = subprocess.call(sys.argv[1:], stdout=open(\"out\", \"w\"), stderr=open(\"err\", \"w\"))
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)" "$@"
}

# test_when_finished CMD...: CMD runs when the case ends, whatever its
# result, last registered first; a failing CMD fails the case.  One word
# is a command line to eval, several are the words of one command.
test_when_finished() {
	local cmd
	if [ $# -eq 1 ]; then cmd=$1; else cmd=$(printf '%q ' "$@"); fi
	test_cleanup="{ $cmd
} && ${test_cleanup:-:}"
}

# lock_hold DB FLOW: pm-summary --hold FLOW on DB in the background,
# until lock_release or the case's end (a case failing while it holds
# leaves no holder behind); fails, saying the holder's error, when the
# lock is not held within 5 s.  lock_release: the holder lets go, and has
# once this returns.
lock_hold() {
	rm -f "$TMP/release" "$TMP/held"
	test_when_finished 'touch "$TMP/release"; wait'
	( while [ ! -e "$TMP/release" ]; do sleep 0.1; done ) |
	    pm-summary --hold "$2" --db "$1" >"$TMP/held" 2>"$TMP/hold.err" &
	lock_holder=$!
	for _ in $(seq 100); do grep -q locked "$TMP/held" 2>/dev/null && return 0; sleep 0.05; done
	say "lock_hold: $2 on $1 not held: $(cat "$TMP/hold.err")"
	return 1
}
lock_release() { touch "$TMP/release"; wait "$lock_holder"; }

# sqlite_hold DB SQL [exclusive]: another process runs the write SQL on DB
# in a transaction it keeps open, holding the writer lock (readers go on:
# WAL; with exclusive, locking_mode EXCLUSIVE, no reader gets in either)
# until ./release appears (30 s at most); returns once it is held.
# $holder is its pid.
sqlite_hold() {
	rm -f locked release
	python3 - "$@" <<-'PY' &
	import os, sqlite3, sys, time
	c = sqlite3.connect(sys.argv[1], isolation_level=None)
	if sys.argv[3:] == ["exclusive"]:
	    c.execute("PRAGMA locking_mode = EXCLUSIVE")
	    c.execute("BEGIN EXCLUSIVE")
	else:
	    c.execute("BEGIN IMMEDIATE")
	c.execute(sys.argv[2])
	open("locked", "w").close()
	end = time.time() + 30
	while not os.path.exists("release") and time.time() < end:
	    time.sleep(0.02)
	c.execute("ROLLBACK")
	PY
	holder=$!
	until [ -e locked ]; do sleep 0.05; done
}

# run the cleanups; keep the case's status, or fail it if they fail
test_run_cleanup() {
	local rc=$1
	[ -n "${test_cleanup:-}" ] || return "$rc"
	cd "$dir" || return 1
	if ! eval "$test_cleanup"; then
		say "test_when_finished: a cleanup failed"
		[ "$rc" -eq 0 ] && rc=1
	fi
	return "$rc"
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
	test_n=$((test_n + 1))
	dir=$TMP/case$test_n
	mkdir -p "$dir"
	# Not inside an `if`, so that set -e holds in the case body: every
	# line counts, not only the last.  The EXIT trap runs what
	# test_when_finished registered, also when set -e ends the body.
	(test_cleanup= && test_body=$2 && cd "$dir" &&
	    trap 'test_run_cleanup $?; exit $?' EXIT && set -e &&
	    test_line0=$LINENO && eval "$2") >"$TMP/log" 2>&1
	# shellcheck disable=SC2181
	if [ $? -eq 0 ]; then
		say "ok $test_n - $script: $1"
		echo "pass $script: $1" >>"${PM_RESULTS:-/dev/null}"
	else
		test_failed=$((test_failed + 1))
		say "not ok $test_n - $script: $1"
		sed 's/^/#  /' "$TMP/log"
		echo "fail $script: $1" >>"${PM_RESULTS:-/dev/null}"
	fi
}

test_done() {
	[ "$test_failed" -eq 0 ]
}
