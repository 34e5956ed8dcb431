#!/bin/bash
# A few trials of tests/stress.sh (make stress runs 60): kill -9 of a
# random stage of the daily flow at a random moment, then a rerun gives
# the rows of an uninterrupted run, no partial group, no orphan row.
. "$(dirname "$0")/lib.sh"

test_expect_success 'kill -9 mid-flow, then a rerun: the same rows as one clean run' '
	STRESS_TRIALS=${STRESS_CI_TRIALS:-5} bash "$TESTS_DIR/stress.sh" >log 2>&1 ||
	    { cat log; false; }
	cat log
'
test_done
