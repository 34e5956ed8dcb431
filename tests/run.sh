#!/bin/bash
# tests/run.sh [PATTERN ...] - run the test scripts, then the one line
# "N passed, N failed" that CI reads.  Exit 0 only when nothing failed.
# PM_TEST_WRAP, when set, is a command each script is run under
# (tests/midnight.sh: a clock past midnight).
cd "$(dirname "$0")" || exit 2
PM_RESULTS=$(mktemp)
export PM_RESULTS
pats=("$@")
[ ${#pats[@]} -eq 0 ] && pats=('t[0-9]*')
for pat in "${pats[@]}"; do
	for t in $pat.sh; do
		[ -e "$t" ] || continue
		${PM_TEST_WRAP:+"$PM_TEST_WRAP"} bash "$t"
	done
done
passed=$(grep -c '^pass ' "$PM_RESULTS")
failed=$(grep -c '^fail ' "$PM_RESULTS")
if [ "$failed" -gt 0 ]; then
	echo "failed cases:"
	grep '^fail ' "$PM_RESULTS" | sed 's/^fail /  /'
fi
rm -f "$PM_RESULTS"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
