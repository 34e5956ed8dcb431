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
	cd "$TOP" && shellcheck -x pipelines.sh tools/*.sh bench/*.sh
'
test_expect_success 'every program answers --help and --version' '
	for p in pm-fetch pm-normalize pm-group pm-experiment pm-store pm-summary; do
		run "$p" --help && expect_status 0 && test_grep "^usage: $p" out &&
		run "$p" --version && expect_status 0 && test_grep "^$p [0-9]" out ||
		return 1
	done
'
test_done
