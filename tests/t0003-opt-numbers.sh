#!/bin/bash
# Numeric options, one reader (lib/opt.c): the whole value in range, or
# exit 2 and "prog: --opt: "value" is not a number from lo to hi".
. "$(dirname "$0")/lib.sh"

# Nothing here may reach the network, even when an option slips through.
export PM_GAMMA_URL=http://127.0.0.1:9 PM_CLOB_URL=http://127.0.0.1:9

# refused WANT CMD...: status 2, nothing on stdout, exactly WANT on stderr
refused() {
	want=$1
	shift
	run "$@" </dev/null && expect_status 2 && test ! -s out &&
	printf '%s\n' "$want" >want && test_cmp want err
}

test_expect_success 'pm-fetch refuses what strtol would take' '
	refused "pm-fetch: --limit: \" 5\" is not a number from 1 to 1000000000" \
	    pm-fetch markets --attempts 1 --limit " 5" &&
	refused "pm-fetch: --page-size: \"+5\" is not a number from 1 to 100" \
	    pm-fetch markets --page-size +5 &&
	refused "pm-fetch: --batch: \"0x10\" is not a number from 1 to 500" \
	    pm-fetch prices --batch 0x10 &&
	refused "pm-fetch: --parallel: \"257\" is not a number from 1 to 256" \
	    pm-fetch prices -j 257
'

test_expect_success 'pm-group, pm-experiment: the same message' '
	refused "pm-group: --limit: \"5 \" is not a number from 1 to 1000000000" \
	    pm-group --limit "5 " &&
	refused "pm-group: --limit: \"0\" is not a number from 1 to 1000000000" \
	    pm-group -n 0 &&
	refused "pm-experiment: --jobs: \"65\" is not a number from 1 to 64" \
	    pm-experiment -j 65 &&
	refused "pm-experiment: --timeout: \"1e6\" is not a number from 0.001 to 86400" \
	    pm-experiment --timeout 1e6
'

test_expect_success 'pm-summary: integers, reals and percentages' '
	refused "pm-summary: --buckets: \"\" is not a number from 1 to 1000" \
	    pm-summary --score --buckets "" &&
	refused "pm-summary: --clamp: \"0.5\" is not a number above 0 and below 0.5" \
	    pm-summary --score --clamp 0.5 &&
	refused "pm-summary: --clamp: \"inf\" is not a number above 0 and below 0.5" \
	    pm-summary --score --clamp inf &&
	refused "pm-summary: --max-failures: \"101\" is not a number from 0 to 100" \
	    pm-summary --max-failures 101% &&
	refused "pm-summary: --max-failures: \" 2\" is not a number from 0 to 1000000000" \
	    pm-summary --max-failures " 2"
'

test_expect_success 'leading zeros and the bounds themselves are numbers' '
	run pm-group --limit 007 </dev/null && expect_status 0 && test ! -s err &&
	run pm-summary -q --max-failures 100% </dev/null && expect_status 0 &&
	test ! -s err
'

test_expect_success 'other option values: the same order, the value quoted' '
	refused "pm-summary: --now: \"soon\" is not a time" \
	    pm-summary --status --now soon &&
	refused "pm-summary: --fresh: \"5y\" is not a duration (N, Ns, Nm, Nh or Nd)" \
	    pm-summary --status --fresh 5y &&
	refused "pm-fetch: --closed: \"maybe\" is not a valid value" \
	    pm-fetch markets --closed maybe &&
	refused "pm-experiment: --stage: \"all\" is not research, forecast or both" \
	    pm-experiment --stage all
'

test_expect_success 'PM_MAX_LINE: the same message, then the default' '
	printf "{\"kind\":\"x\"}\n" >in.ndjson &&
	PM_MAX_LINE=" 64" run pm-group in.ndjson && expect_status 0 &&
	test_cmp in.ndjson out &&
	grep -qxF "pm-group: PM_MAX_LINE: \" 64\" is not a number from 64 to 17179869184" err
'

test_expect_success 'PM_MAX_LINE: a bad value is said once, by every tool' '
	printf "{\"kind\":\"x\"}\n" >in.ndjson &&
	for t in pm-normalize pm-group "pm-store -N" "pm-summary -q" pm-experiment; do
		PM_MAX_LINE=abc run $t in.ndjson &&
		test "$(grep -c "PM_MAX_LINE: \"abc\" is not a number" err)" -eq 1 ||
		{ echo "$t:"; cat err; false; }
	done
'
test_done
