#!/bin/bash
# pm-experiment: the builtin suite, the line format, pass-through, --list.
. "$(dirname "$0")/lib.sh"

groups() {
	for f in "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json "$FIXTURES"/gamma-events-bobaoxu2001-1.json; do
		jq -c ".[]" "$f"
	done | pm-normalize -R | pm-group
}

test_expect_success 'no config: baseline snapshot and market-implied forecast' '
	groups >in.ndjson &&
	run pm-experiment in.ndjson && expect_status 1 &&
	test_count group out "$(wc -l <in.ndjson)" &&
	jq -r "select(.kind==\"group\") | .results | map(.experiment_id) | join(\" \")" out | sort -u >got &&
	echo "builtin:research:baseline builtin:forecast:market" >want && test_cmp want got &&
	jq -se "map(select(.kind==\"group\") | .results[0]) | all(.status == \"ok\" and .probabilities == null and .output.markets != null)" out >/dev/null &&
	jq -r "select(.kind==\"group\") | .results[1] | select(.status==\"ok\") | .probabilities | to_entries[] | .key as \$m | .value | to_entries[] | \"\(\$m) \(.key) \(.value)\"" out | sort >got &&
	jq -r "select(.kind==\"group\") | .markets[] | select(.contracts[0].price != null) | .market_id as \$m | .contracts[] | \"\(\$m) \(.outcome) \(.price)\"" in.ndjson | sort >want &&
	test -s want && test_cmp want got
'

test_expect_success 'a group whose markets have no prices: skipped, then no_forecast_results' '
	groups >in.ndjson &&
	run pm-experiment in.ndjson && expect_status 1 &&
	jq -se "map(select(.event_key == \"11120\" and .kind == \"group\"))[0].results[1] | .status == \"skipped\" and .error == \"no market has prices\"" out >/dev/null &&
	jq -c "select(.kind==\"failure\") | [.reason, .event_key, .retriable, .stage]" out >got &&
	echo "[\"no_forecast_results\",\"11120\",false,\"experiment\"]" >want && test_cmp want got
'

test_expect_success 'the group bytes before results are the input bytes' '
	groups >in.ndjson &&
	run pm-experiment -j 3 in.ndjson &&
	grep "^{\"kind\":\"group\"" out | sed "s/,\"results\":\[.*//" >got &&
	sed "s/}\$//" in.ndjson >want && test_cmp want got
'

test_expect_success 'other kinds pass through in order, with groups in flight' '
	groups | head -6 >g.ndjson &&
	{ echo "{\"kind\":\"run\",\"phase\":\"start\"}"; sed -n 1,2p g.ndjson;
	  echo "{\"kind\":\"skip\",\"stage\":\"store\",\"event_key\":\"x\",\"why\":\"already_processed\"}";
	  sed -n 3,6p g.ndjson; echo "{\"kind\":\"raw\",\"x\":1}"; } >in.ndjson &&
	run pm-experiment -j 4 in.ndjson &&
	jq -r "select(.kind != \"failure\") | .kind + \" \" + (.event_key // \"-\")" out >got &&
	jq -r ".kind + \" \" + (.event_key // \"-\")" in.ndjson >want && test_cmp want got &&
	test_grep -Fx "{\"kind\":\"raw\",\"x\":1}" out
'

test_expect_success 'a group run twice has one results member, the new one' '
	groups | head -3 >in.ndjson &&
	pm-experiment in.ndjson >once 2>/dev/null || true &&
	grep "^{\"kind\":\"group\"" once >g1 &&
	run pm-experiment g1 && grep "^{\"kind\":\"group\"" out >g2 &&
	test_num "$(grep -o "\"results\":" g2 | wc -l)" -eq 3 &&
	jq -s "map(del(.results))" g1 >a && jq -s "map(del(.results))" g2 >b && test_cmp a b
'

test_expect_success '--list prints the manifest; PM_EXPERIMENTS names the config' '
	run pm-experiment --list && expect_status 0 &&
	printf "builtin\tresearch\tbaseline\tbuiltin\t-\nbuiltin\tforecast\tmarket\tbuiltin\t-\n" >want &&
	test_cmp want out &&
	echo "{\"suites\":[{\"id\":\"s\",\"forecast\":[{\"variant\":\"m\",\"type\":\"builtin\",\"builtin\":\"market\"}]}]}" >c.json &&
	PM_EXPERIMENTS=c.json run pm-experiment -l && expect_status 0 &&
	printf "s\tforecast\tm\tbuiltin\t-\n" >want && test_cmp want out
'

test_expect_success 'configuration and usage errors exit 2 before reading input' '
	echo "{\"suites\":[{\"id\":\"s\",\"forecast\":[{\"variant\":\"m\",\"type\":\"nope\"}]}]}" >bad.json &&
	run pm-experiment -c bad.json && expect_status 2 && test_grep "s:forecast:m: type must be" err &&
	run pm-experiment -c missing.json && expect_status 2 && test_grep "missing.json" err &&
	run pm-experiment --suite nosuch && expect_status 2 && test_grep "no suite nosuch" err &&
	run pm-experiment -j 0 && expect_status 2 &&
	run pm-experiment --stage neither && expect_status 2 &&
	echo "{\"suites\":[{\"id\":\"s\",\"forecast\":[{\"variant\":\"j\",\"type\":\"jq\",\"program\":\"{\"}]}]}" >badjq.json &&
	run pm-experiment -c badjq.json && expect_status 2 && test_grep "s:forecast:j: jq" err &&
	run pm-experiment --help && expect_status 0 && test_grep "^usage: pm-experiment" out
'

test_expect_success 'a group line that is not a group becomes bad_record' '
	echo "{\"kind\":\"group\",\"markets\":3}" >in.ndjson &&
	run pm-experiment in.ndjson && expect_status 1 &&
	test_count group out 0 &&
	jq -e "select(.kind==\"failure\") | .reason == \"bad_record\" and .input == \"in.ndjson:1\"" out >/dev/null
'
test_expect_success 'examples/experiments.json: manifest, and the suites that need no key' '
	run pm-experiment -c "$TOP/examples/experiments.json" --list && expect_status 0 &&
	test_line_count out 10 && test_grep "^llm	forecast	with-research	openai	llm:research:brief$" out &&
	groups >in.ndjson &&
	run pm-experiment -c "$TOP/examples/experiments.json" -s baseline -s heuristics in.ndjson &&
	expect_status 1 && test_count failure out 1 &&
	jq -se "map(select(.kind==\"group\" and .event_key==\"12585\"))[0].results | map(.status) == [\"ok\",\"ok\",\"ok\"]" out >/dev/null
'
test_done
