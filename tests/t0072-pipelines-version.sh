#!/bin/bash
# pipelines.sh --version, as every program has one: the code version a
# run records (GITHUB_SHA, else the checkout's HEAD) and the first line
# of each program's --version, of the programs a flow runs (PM_BIN);
# after a flow name too, before any database is touched; a program that
# does not answer is named, exit 3; an output that cannot be written is
# said, exit 3.  pm-pipelines(7) lists -V and --version.
. "$(dirname "$0")/lib.sh"
P=$TOP/pipelines.sh
PROGS="pm-fetch pm-normalize pm-group pm-experiment pm-store pm-summary"
unset GITHUB_SHA

test_expect_success '--version: the driver, then each program as it says it' '
	sha=$(git -C "$TOP" rev-parse HEAD 2>/dev/null || echo unknown) &&
	{ echo "pipelines.sh (git $sha)" &&
	  for p in $PROGS; do "$PM_BIN/$p" --version | head -n 1 || exit 1; done; } >want &&
	for a in --version -V; do
		run "$P" $a && expect_status 0 && test_cmp want out &&
		test ! -s err || return 1
	done
'

test_expect_success '--version after a flow: the same, no database made' '
	GITHUB_SHA=0123abc run "$P" daily --env-file /dev/null --db v.db --version &&
	expect_status 0 && test_eq "pipelines.sh (git 0123abc)" "$(head -n 1 out)" &&
	test_line_count out = 7 && test ! -e v.db && test ! -e data
'

test_expect_success '--version: a program that does not answer is named, exit 3' '
	mkdir bin && for p in $PROGS; do ln -s "$PM_BIN/$p" bin/; done &&
	rm bin/pm-group &&
	PM_BIN=$PWD/bin run "$P" --version && expect_status 3 &&
	test_line_count out = 6 && ! grep -q "^pm-group " out &&
	test_grep -x "pipelines.sh: $PWD/bin/pm-group: no answer to --version (not found?)" err &&
	test_line_count err = 1
'

test_expect_success '--version into a full disk: said, exit 3' '
	run sh -c "\"\$0\" --version >/dev/full" "$P" && expect_status 3 &&
	test_grep -x "pipelines.sh: write error: standard output" err &&
	test_line_count err = 1
'

test_expect_success 'pm-pipelines(7) and --help list -V, --version' '
	grep -q "^\.It Fl V , Fl -version" "$TOP/man/pm-pipelines.7" &&
	run "$P" --help && expect_status 0 && test_grep "^  -V, --version" out
'
test_done
