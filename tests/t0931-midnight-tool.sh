#!/bin/bash
# make midnight (tests/midnight.sh): its settings checked before anything
# runs, and the hook it runs each script through (tests/run.sh's
# PM_TEST_WRAP).  The clock itself needs libfaketime, which the suite's
# machines need not have: make midnight is its own check.
. "$(dirname "$0")/lib.sh"

test_expect_success 'MIDNIGHT_AT that is not a number of seconds: exit 2, named, nothing run' '
	MIDNIGHT_AT=5s run bash "$TESTS_DIR/midnight.sh" "t0003*" &&
	expect_status 2 && test ! -s out &&
	echo "midnight: MIDNIGHT_AT: not a number of seconds: 5s" >want &&
	test_cmp want err
'

test_expect_success 'MIDNIGHT_DAY that is not a day: exit 2, named, nothing run' '
	for d in 2027-02-29 2027-1-1 tomorrow; do
		MIDNIGHT_DAY=$d run bash "$TESTS_DIR/midnight.sh" "t0003*" &&
		expect_status 2 && test ! -s out &&
		echo "midnight: MIDNIGHT_DAY: not a day (YYYY-MM-DD): $d" >want &&
		test_cmp want err || return 1
	done
'

test_expect_success 'tests/run.sh runs each script under PM_TEST_WRAP, its tally unchanged' '
	printf "#!/bin/sh\necho \"\$*\" >>\"%s/wrapped\"\nexec \"\$@\"\n" "$PWD" >wrap &&
	chmod +x wrap &&
	PM_TEST_WRAP=$PWD/wrap run bash "$TESTS_DIR/run.sh" "t0003*" &&
	expect_status 0 &&
	echo "bash t0003-opt-numbers.sh" >want && test_cmp want wrapped &&
	n=$(grep -c "^ok " out) && test "$n" -gt 0 &&
	test_eq "$n passed, 0 failed" "$(tail -n 1 out)" "the tally"
'
test_done
