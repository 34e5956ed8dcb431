#!/bin/bash
# The C unit tests of lib/ (tests/unit/), built by make test.
. "$(dirname "$0")/lib.sh"

for t in "$PM_UNIT"/*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	test_expect_success "unit: $name" '
		run "$t" && cat out && expect_status 0 && test_grep ", 0 failed" out
	'
done
test_expect_success 'unit tests were built' '
	ls "$PM_UNIT"/test-lib "$PM_UNIT"/test-opt "$PM_UNIT"/test-command
'
test_done
