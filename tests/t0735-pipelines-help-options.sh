#!/bin/bash
# Every option pm-pipelines(7) lists is in --help: --gamma-url and
# --clob-url, taken by every flow, were missing from it.
. "$(dirname "$0")/lib.sh"
P=$TOP/pipelines.sh

test_expect_success 'each option of pm-pipelines(7) is in --help' '
	run "$P" --help && expect_status 0 &&
	grep -E "^\.It Fl" "$TOP/man/pm-pipelines.7" |
	    grep -oE "Fl -?[a-zA-Z][a-z-]*" | sed "s/^Fl /-/" | sort -u >opts &&
	test_line_count opts -ge 30 &&
	while read -r o; do
		grep -qE -- "(^|[ ,])$o( |,|\$)" out ||
		    { echo "--help: no $o"; return 1; }
	done <opts
'
test_done
