#!/bin/bash
# pm-records(5) names every failure reason and stage a tool or
# pipelines.sh writes: the reasons as written in the sources (a failure
# record's reason, add_fail, entry_fail, fail_entry, and pipelines.sh's
# jq), each an item of FAILURE REASONS; the stages (a failure's .stage,
# an input loop's nd.stage), each in the failure kind's stage item.
. "$(dirname "$0")/lib.sh"
PAGE=$TOP/man/pm-records.5

# The FAILURE REASONS items, and the text of the failure kind's stage item
awk '/^\.Sh FAILURE REASONS/ { s = 1; next } /^\.Sh/ { s = 0 }
    s && /^\.It Cm / { print $3 }' "$PAGE" >"$TMP/documented"
awk '/^\.Ss failure/ { s = 1; next } /^\.S[sh]/ { s = 0 }
    s && /^\.It Cm stage/ { t = 1; next } s && /^\.It/ { t = 0 }
    t' "$PAGE" >"$TMP/stage-item"

test_expect_success 'the page lists reasons and a stage item' '
	test "$(wc -l <"$TMP/documented")" -ge 8 && test_grep "^fetch, normalize" "$TMP/stage-item"
'

test_expect_success 'every failure reason written is in FAILURE REASONS' '
	{ grep -rhoE "(\.reason *= *|add_fail\([a-z_>.-]+, *|(entry_fail|fail_entry)\([^,()]+, *)\"[a-z_]+\"" \
	    "$TOP"/lib/*.c "$TOP"/tools/*.c &&
	  grep -hoE "reason: *\"[a-z_]+\"" "$TOP/pipelines.sh"; } |
	    sed -E "s/.*\"([a-z_]+)\"\$/\1/" | sort -u >written &&
	test "$(wc -l <written)" -ge 9 &&
	test_grep -x stage_failed written &&
	sort -u "$TMP/documented" >doc &&
	comm -23 written doc >missing &&
	{ test ! -s missing || { echo "not in pm-records(5):"; cat missing; false; }; }
'

test_expect_success 'every failure stage written is in the stage item' '
	grep -rhoE "(\.stage|nd\.stage) *= *\"[a-z_]+\"" "$TOP"/lib/*.c "$TOP"/tools/*.c |
	    sed -E "s/.*\"([a-z_]+)\"\$/\1/" | sort -u >stages &&
	test_grep -x summary stages &&
	while read -r s; do
		grep -qw -- "$s" "$TMP/stage-item" || { echo "stage $s not in pm-records(5)"; exit 1; }
	done <stages &&
	test_grep stage_failed "$TMP/stage-item"
'

test_expect_success 'pm-summary writes stage summary for a line it cannot read' '
	printf "not json\n" >bad.ndjson &&
	run pm-summary -q bad.ndjson && expect_status 0 &&
	jq -e "select(.kind == \"failure\") | .stage == \"summary\" and .reason == \"bad_record\"" out >/dev/null
'
test_done
