#!/bin/bash
# Every program has a man page; every man page is mandoc-lint clean;
# the shell is shellcheck clean; every program answers --help.
. "$(dirname "$0")/lib.sh"

test_expect_success 'every program and pm-records(5) have a man page' '
	for p in pm-fetch pm-normalize pm-group pm-experiment pm-store pm-summary; do
		test -f "$TOP/man/$p.1" || { echo "no man/$p.1"; return 1; }
	done &&
	test -f "$TOP/man/pm-records.5" && test -f "$TOP/man/pm-pipelines.7"
'
test_expect_success 'mandoc -T lint is clean on man/' '
	mandoc -T lint -W warning "$TOP"/man/*.[1-9] >lint 2>&1 || true &&
	cat lint && test ! -s lint
'
test_expect_success 'pipelines.sh and the tools scripts are shellcheck clean' '
	cd "$TOP" && shellcheck -x pipelines.sh tools/*.sh bench/*.sh completion/*.bash
'
test_expect_success 'every program answers --help and --version' '
	for p in pm-fetch pm-normalize pm-group pm-experiment pm-store pm-summary; do
		run "$p" --help && expect_status 0 && test_grep "^usage: $p" out &&
		run "$p" --version && expect_status 0 && test_grep "^$p [0-9]" out ||
		return 1
	done
'
test_expect_success '--version: the program, its git revision, the libraries in use' '
	rev=$(git -C "$TOP" rev-parse --short=12 HEAD 2>/dev/null || echo unknown) &&
	for p in pm-fetch pm-normalize pm-group pm-experiment pm-store pm-summary; do
		run "$p" --version && expect_status 0 &&
		test "$(wc -l <out)" -eq 2 &&
		grep -qx "$p [0-9][0-9.]* (git $rev)" out &&
		grep -qx "libcurl [0-9.]*, SQLite [0-9.]*, libpq [0-9.]*, simdjson [0-9.]*, libjq [0-9.]* (as built)" out ||
		{ cat out; exit 1; }
	done
'
test_expect_success 'ENVIRONMENT: what every program reads, and PM_PROGRESS with --progress' '
	for p in pm-fetch pm-normalize pm-group pm-experiment pm-store pm-summary; do
		sed -n "/^\.Sh ENVIRONMENT/,/^\.Sh [A-DF-Z]/p" "$TOP/man/$p.1" |
		    grep "^\.It Ev " >env &&
		want="PM_ENV_FILE PM_MAX_LINE" &&
		if "$p" --help | grep -q -- "--progress"; then
			want="$want PM_PROGRESS"
		fi &&
		for v in $want; do
			grep -qw "$v" env || { echo "$p(1): no $v"; return 1; }
		done || return 1
	done
'
test_expect_success 'the database is -d, --db in every program that opens one' '
	for p in pm-store pm-summary; do
		run "$p" --help && expect_status 0 &&
		test_grep "^  -d, --db URL " out || return 1
	done &&
	printf "{\"kind\":\"x\"}\n" >in.ndjson &&
	run pm-store -d s.db in.ndjson && expect_status 1 &&
	run pm-summary --status -d s.db --json && expect_status 5 &&
	test_grep "\"markets\"" out &&
	run pm-summary --score -d s.db && expect_status 0 &&
	run pm-summary -d s.db in.ndjson && expect_status 2
'
test_done
