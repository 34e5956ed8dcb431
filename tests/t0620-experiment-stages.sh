#!/bin/bash
# pm-experiment: research before forecast, dependencies, selection, overrides.
. "$(dirname "$0")/lib.sh"

for k in 1 2; do
	rec_group "e$k" null "$(rec_market "m$k" -source question=Q \
		contracts:="$(rec_yes_no 1 0.25 2 0.75)")"
done >"$TMP/groups.ndjson"

cat >"$TMP/deps.json" <<'JSON'
{"suites": [{"id": "d",
  "research": [
    {"variant": "good", "type": "command",
     "argv": ["sh", "-c", "cat >/dev/null; echo '{\"output\":{\"note\":\"hello\"}}'"]},
    {"variant": "broken", "type": "command", "argv": ["sh", "-c", "cat >/dev/null; exit 1"]}
  ],
  "forecast": [
    {"variant": "usesgood", "type": "jq", "depends_on": "good",
     "program": "{probabilities: {(.markets[0].market_id): 0.5}, output: .research}"},
    {"variant": "usesbroken", "type": "jq", "depends_on": ["broken"],
     "program": "{probabilities: {(.markets[0].market_id): 0.5}}"},
    {"variant": "indep", "type": "builtin", "builtin": "market"}
  ]}]}
JSON

cat >"$TMP/ovr.json" <<'JSON'
{"suites": [{"id": "o",
  "defaults": {"program": "{probabilities: {(.markets[0].market_id): 0.1}}"},
  "forecast": [{"variant": "v", "type": "jq"}]}]}
JSON
echo '{"o": {"program": "{probabilities: {(.markets[0].market_id): 0.2}}"}}' >"$TMP/file.json"

results() {
	jq -r "select(.kind==\"group\" and .event_key==\"e1\") | .results[] |
		\"\(.experiment_id) \(.status) \(.output | tostring) \(.error)\"" out
}

prob() {
	jq -r "select(.kind==\"group\") | .results[0].probabilities.m1.Yes" out | head -1
}

test_expect_success 'research runs first; a forecast gets the output of its research' '
	run pm-experiment -c ../deps.json ../groups.ndjson && expect_status 1 &&
	results >got &&
	cat >want <<-EOT &&
	d:research:good ok {"note":"hello"} null
	d:research:broken failed null exit status 1
	d:forecast:usesgood ok {"good":{"note":"hello"}} null
	d:forecast:usesbroken skipped null research d:research:broken failed
	d:forecast:indep ok {"markets":1,"priced":1} null
	EOT
	test_cmp want got &&
	jq -r "select(.kind==\"failure\") | \"\(.event_key) \(.reason) \(.detail)\"" out >got &&
	printf "%s\n" "e1 experiment_failed d:research:broken: exit status 1" \
		"e2 experiment_failed d:research:broken: exit status 1" >want &&
	test_cmp want got
'

test_expect_success 'no forecast result at all: no_forecast_results' '
	run pm-experiment -c ../deps.json --include-forecast usesbroken ../groups.ndjson &&
	expect_status 1 &&
	jq -r "select(.kind==\"failure\" and .event_key==\"e1\") | .reason" out >got &&
	printf "%s\n" experiment_failed no_forecast_results >want && test_cmp want got &&
	results | cut -d" " -f1,2 >got &&
	printf "%s\n" "d:research:good ok" "d:research:broken failed" \
		"d:forecast:usesbroken skipped" >want &&
	test_cmp want got
'

test_expect_success '--stage and --include-*: a forecast pulls in its research' '
	run pm-experiment -c ../deps.json --stage research --include-research d:good ../groups.ndjson &&
	expect_status 0 && results | cut -d" " -f1 >got &&
	echo d:research:good >want && test_cmp want got &&
	run pm-experiment -c ../deps.json --stage forecast --include-forecast usesgood,indep -l &&
	expect_status 0 &&
	printf "d\tresearch\tgood\tcommand\t-\nd\tforecast\tusesgood\tjq\td:research:good\nd\tforecast\tindep\tbuiltin\t-\n" >want &&
	test_cmp want out &&
	run pm-experiment -c ../deps.json --include-forecast nosuch -l && expect_status 2 &&
	test_grep "no forecast variant nosuch" err &&
	run pm-experiment -c ../deps.json --suite d -l && expect_status 0 && test_line_count out 5
'

# --stage research --include-forecast x ran the research and exited 0,
# x dropped without a word (and --stage forecast --include-research r
# ran the forecasts with all their research): a usage error.
test_expect_success '--include-* of a stage --stage leaves out is a usage error' '
	run pm-experiment -c ../deps.json --stage research --include-forecast usesgood ../groups.ndjson &&
	expect_status 2 && test_line_count out 0 && cp err got &&
	run pm-experiment -c ../deps.json --stage forecast --include-research good -l &&
	expect_status 2 && test_line_count out 0 && cat err >>got &&
	cat >want <<-\EOT &&
	pm-experiment: --include-forecast does not go with --stage research
	pm-experiment: --include-research does not go with --stage forecast
	EOT
	test_cmp want got
'

test_expect_success 'overrides: inline beats file beats the suite defaults' '
	run pm-experiment -c ../ovr.json ../groups.ndjson && test_eq 0.1 "$(prob)" &&
	run pm-experiment -c ../ovr.json --override-file ../file.json ../groups.ndjson &&
	test_eq 0.2 "$(prob)" &&
	run pm-experiment -c ../ovr.json -o "o:v.program={probabilities: {(.markets[0].market_id): 0.3}}" \
		--override-file ../file.json ../groups.ndjson &&
	test_eq 0.3 "$(prob)" && expect_status 0
'

test_expect_success 'override values are typed; a name that matches nothing is an error' '
	run pm-experiment -c ../ovr.json -o v.timeout=2.5 -l && expect_status 0 &&
	run pm-experiment -c ../ovr.json -o v.timeout=soon -l && expect_status 2 &&
	test_grep "o:forecast:v: timeout" err &&
	run pm-experiment -c ../ovr.json -o v.timeout=null -l && expect_status 0 &&
	run pm-experiment -c ../ovr.json -o nosuch.timeout=1 -l && expect_status 2 &&
	test_grep "no suite or variant named nosuch" err &&
	run pm-experiment -c ../ovr.json -o novalue -l && expect_status 2
'

test_expect_success 'a variant may not depend on what is not research' '
	echo "{\"suites\":[{\"id\":\"x\",\"forecast\":[{\"variant\":\"f\",\"type\":\"builtin\",\"builtin\":\"market\",\"depends_on\":\"r\"}]}]}" >c.json &&
	run pm-experiment -c c.json -l && expect_status 2 && test_grep "depends on r, not a research variant" err
'
test_expect_success 'names and suite ids: at most 64 characters, each research its own key' '
	a=$(printf "%063d" 0 | tr 0 A) &&
	printf "%s\n" "{\"suites\":[{\"id\":\"${a}s\",\"research\":[" \
		"{\"variant\":\"${a}1\",\"type\":\"jq\",\"program\":\"{output: 1}\"}," \
		"{\"variant\":\"${a}2\",\"type\":\"jq\",\"program\":\"{output: 2}\"}]," \
		"\"forecast\":[{\"variant\":\"f\",\"type\":\"jq\",\"depends_on\":[\"${a}1\",\"${a}2\"]," \
		"\"program\":\"{probabilities: {(.markets[0].market_id): 0.5}, output: .research}\"}]}]}" >long.json &&
	run pm-experiment -c long.json ../groups.ndjson && expect_status 0 &&
	jq -c "select(.kind==\"group\" and .event_key==\"e1\") | .results[2].output" out >got &&
	echo "{\"${a}1\":1,\"${a}2\":2}" >want && test_cmp want got &&
	sed "s/${a}2/A${a}2/g" long.json >over.json &&
	run pm-experiment -c over.json ../groups.ndjson && expect_status 2 && test ! -s out &&
	test_grep "suite ${a}s: research variant without a name of 1 to 64 letters" err &&
	sed "s/${a}s/A${a}s/" long.json >over.json &&
	run pm-experiment -c over.json -l && expect_status 2 &&
	test_grep "a suite without an id of 1 to 64 letters" err
'
# A member no type reads was let through: "forcast" ran no forecast (exit 0,
# --check silent), "temprature" and a default's "max_token" set nothing.
test_expect_success 'a suite member or parameter no type reads is a configuration error' '
	good="{\"variant\":\"f\",\"type\":\"openai\",\"model\":\"m\",\"api_key_env\":\"\",\"temperature\":0.1,\"max_tokens\":5,\"description\":\"d\",\"version\":\"1\"}" &&
	echo "{\"suites\":[{\"id\":\"x\",\"defaults\":{\"timeout\":5,\"program\":\".\"},\"research\":[{\"variant\":\"r\",\"type\":\"builtin\",\"builtin\":\"baseline\"}],\"forecast\":[$good]}]}" >ok.json &&
	run pm-experiment -c ok.json --check && expect_status 0 &&
	sed "s/\"forecast\":/\"forcast\":/" ok.json >c1.json &&
	sed "s/\"temperature\":/\"temprature\":/" ok.json >c2.json &&
	sed "s/\"timeout\":5/\"max_token\":5/" ok.json >c3.json &&
	for c in c1 c2 c3; do
		for how in --check -l ../groups.ndjson; do
			run pm-experiment -c $c.json $how && expect_status 2 && test ! -s out || return 1
		done &&
		cat err >>got || return 1
	done &&
	run pm-experiment -c ok.json -o x:f.max_tokn=3 -l && expect_status 2 && cat err >>got &&
	printf "pm-experiment: %s\n" "c1.json: suite x: unknown member forcast (id, defaults, research and forecast)" \
		"c2.json: x:forecast:f: unknown parameter temprature" "c3.json: x:research:r: unknown parameter max_token" \
		"ok.json: x:forecast:f: unknown parameter max_tokn (with the overrides)" >want &&
	test_cmp want got
'
# A top-level member other than suites ("suite", "defaults" meant for a
# suite) was read as nothing, silently; {"suites": []} said "no suites
# array", though it had one.
test_expect_success 'an unknown top-level member or an empty suites array is a configuration error' '
	suite="{\"id\":\"x\",\"forecast\":[{\"variant\":\"f\",\"type\":\"jq\",\"program\":\".\"}]}" &&
	echo "{\"suites\":[$suite],\"defaults\":{\"timeout\":5}}" >t1.json &&
	echo "{\"suite\":[$suite]}" >t2.json &&
	echo "{\"suites\":[]}" >t3.json &&
	: >got &&
	for c in t1 t2 t3; do
		for how in --check -l ../groups.ndjson; do
			run pm-experiment -c $c.json $how && expect_status 2 && test ! -s out || return 1
		done &&
		cat err >>got || return 1
	done &&
	printf "pm-experiment: %s\n" "t1.json: unknown member defaults (a configuration holds only suites)" \
		"t2.json: unknown member suite (a configuration holds only suites)" \
		"t3.json: an empty suites array: no suite to run" >want &&
	test_cmp want got
'
# "defaults": "..." (a string, an array) read as {}: it set nothing.
test_expect_success 'a suite whose defaults is not an object is a configuration error' '
	for d in "\"gpt-4o\"" "[{\"timeout\":5}]" 5 null; do
		echo "{\"suites\":[{\"id\":\"x\",\"defaults\":$d,\"research\":[{\"variant\":\"r\",\"type\":\"builtin\",\"builtin\":\"baseline\"}]}]}" >d.json &&
		run pm-experiment -c d.json --check || return 1
		if [ "$d" = null ]; then
			expect_status 0 || return 1
		else
			expect_status 2 && test_eq "pm-experiment: d.json: suite x: defaults is not an object" "$(cat err)" ||
			{ say "defaults $d"; return 1; }
		fi
	done
'

# "json_mode": "true", "web_search": 1 or "yes" read as false: the
# variant ran without the JSON mode or the search it asked for, exit 0.
test_expect_success 'a switch that is not true, false or null is a configuration error' '
	for p in "\"json_mode\":\"true\"" "\"json_mode\":1" \
	    "\"api\":\"responses\",\"web_search\":\"yes\"" \
	    "\"type\":\"gemini\",\"google_search\":\"true\"" \
	    "\"type\":\"gemini\",\"web_search\":0"; do
		echo "{\"suites\":[{\"id\":\"x\",\"research\":[{\"variant\":\"r\",\"type\":\"openai\",\"model\":\"m\",$p}]}]}" >b.json &&
		run pm-experiment -c b.json -l && expect_status 2 &&
		test ! -s out && cat err >>got || return 1
	done &&
	for p in "\"json_mode\":false" "\"json_mode\":null" \
	    "\"api\":\"responses\",\"web_search\":true"; do
		echo "{\"suites\":[{\"id\":\"x\",\"research\":[{\"variant\":\"r\",\"type\":\"openai\",\"model\":\"m\",$p}]}]}" >b.json &&
		run pm-experiment -c b.json -l && expect_status 0 || return 1
	done &&
	run pm-experiment -c b.json -o r.web_search=yes -l && expect_status 2 &&
	cat err >>got &&
	printf "pm-experiment: b.json: x:research:r: %s\n" "json_mode: true or false" \
		"json_mode: true or false" "web_search: true or false" \
		"google_search: true or false" "web_search: true or false" \
		"web_search: true or false (with the overrides)" >want &&
	test_cmp want got
'

# -o v.variant=w (or an override file's {"v": {"name": "w"}}) renamed
# nothing: the name is read before the overrides, and the run went on
# as v, exit 0.
test_expect_success 'an override of a variant name is a configuration error' '
	echo "{\"suites\":[{\"id\":\"x\",\"research\":[{\"variant\":\"r\",\"type\":\"builtin\",\"builtin\":\"baseline\"}]}]}" >n.json &&
	echo "{\"r\":{\"name\":\"w\"}}" >of.json &&
	for o in "-o r.variant=w" "-o x.variant=w" "--override-file of.json"; do
		run pm-experiment -c n.json $o -l && expect_status 2 &&
		test ! -s out && cat err >>got || return 1
	done &&
	run pm-experiment -c n.json -o r.variant=r -l && expect_status 0 &&
	printf "pm-experiment: n.json: x:research:r: %s\n" \
		"an override cannot rename a variant (with the overrides)" \
		"an override cannot rename a variant (with the overrides)" \
		"an override cannot rename a variant (with the overrides)" >want &&
	test_cmp want got
'

# depends_on ["r", "x:r"] named r twice: listed twice, its output twice
# under one key of the forecast's research, and a fingerprint of its own.
test_expect_success 'a research named twice in depends_on is depended on once' '
	for d in "\"r\"" "[\"r\",\"x:r\",\"x:research:r\"]"; do
		echo "{\"suites\":[{\"id\":\"x\",\"research\":[{\"variant\":\"r\",\"type\":\"builtin\",\"builtin\":\"baseline\"}],\"forecast\":[{\"variant\":\"f\",\"type\":\"jq\",\"program\":\"{probabilities: {(.markets[0].market_id): 0.5}}\",\"depends_on\":$d}]}]}" >dd.json &&
		run pm-experiment -c dd.json -l && expect_status 0 && cat out >>list &&
		run pm-experiment -c dd.json ../groups.ndjson &&
		jq -r "select(.kind == \"group\") | .results[1].fingerprint" out >>fp ||
		return 1
	done &&
	test "$(sort -u list | grep -c "x:research:r\$")" -eq 1 &&
	test "$(sort -u fp | wc -l)" -eq 1 &&
	echo "{\"suites\":[{\"id\":\"x\",\"research\":[{\"variant\":\"r\",\"type\":\"builtin\",\"builtin\":\"baseline\"}],\"forecast\":[{\"variant\":\"f\",\"type\":\"jq\",\"program\":\".\",\"depends_on\":[\"r\",\"nope\"]}]}]}" >dd.json &&
	run pm-experiment -c dd.json -l && expect_status 2 &&
	test_grep "x:forecast:f: depends on nope, not a research variant" err
'

# A configuration error said what was wrong but not where:
# "pm-experiment: a:forecast:x: defined twice", with several files about.
test_expect_success 'a configuration error names the configuration file' '
	mkdir -p conf &&
	echo "{\"suites\":[{\"id\":\"a\",\"forecast\":[{\"variant\":\"x\",\"type\":\"builtin\",\"builtin\":\"market\"},{\"variant\":\"x\",\"type\":\"builtin\",\"builtin\":\"market\"}]}]}" >conf/twice.json &&
	echo "{\"suites\":[{\"id\":\"a\",\"forecast\":[{\"variant\":\"x\",\"type\":\"builtin\",\"builtin\":\"market\",\"depends_on\":\"r\"}]}]}" >conf/dep.json &&
	echo "{\"suites\":[{\"id\":\"a\",\"forecast\":[{\"variant\":\"x\",\"type\":\"jq\",\"program\":\"nosuchfn\"}]}]}" >conf/jq.json &&
	for c in twice dep jq; do
		run pm-experiment -c conf/$c.json --check && expect_status 2 &&
		cut -d: -f1-6 err >>got || return 1
	done &&
	run pm-experiment -c conf/twice.json -o x.timeout=5 -l && expect_status 2 &&
	cat err >>got &&
	cat >want <<-\EOT &&
	pm-experiment: conf/twice.json: a:forecast:x: defined twice
	pm-experiment: conf/dep.json: a:forecast:x: depends on r, not a research variant
	pm-experiment: conf/jq.json: a:forecast:x: jq
	pm-experiment: conf/twice.json: a:forecast:x: defined twice
	EOT
	test_cmp want got
'

# "variant" or "name" in a suite's defaults was read by no variant (each
# reads its own), and the run went on, exit 0: a configuration error.
test_expect_success 'a suite defaults naming a variant is a config error' '
	mkdir -p conf &&
	echo "{\"suites\":[{\"id\":\"a\",\"defaults\":{\"variant\":\"y\"},\"forecast\":[{\"variant\":\"x\",\"type\":\"builtin\",\"builtin\":\"market\"}]}]}" >conf/dv.json &&
	echo "{\"suites\":[{\"id\":\"b\",\"defaults\":{\"name\":\"y\"},\"forecast\":[{\"name\":\"x\",\"type\":\"builtin\",\"builtin\":\"market\"}]}]}" >conf/dn.json &&
	: >got &&
	for c in dv dn; do
		run pm-experiment -c conf/$c.json -l && expect_status 2 &&
		test_line_count out 0 && cat err >>got || return 1
	done &&
	cat >want <<-\EOT &&
	pm-experiment: conf/dv.json: suite a: defaults: variant names no variant (each variant names itself)
	pm-experiment: conf/dn.json: suite b: defaults: name names no variant (each variant names itself)
	EOT
	test_cmp want got
'

# A research result's provenance said temperature 0.0 of a command, a jq
# program and the builtin baseline, which have none: null, as an LLM
# variant that sets none has.
test_expect_success 'provenance: no temperature for a variant that has none' '
	head -1 ../groups.ndjson >in.ndjson &&
	run pm-experiment -c ../deps.json --stage research --include-research good in.ndjson &&
	expect_status 0 && mv out cmd.out &&
	run pm-experiment --stage research in.ndjson && expect_status 0 &&
	jq -r "select(.kind==\"group\") | .results[] | \"\(.variant) \(.provenance.parameters.temperature)\"" cmd.out out >got &&
	printf "%s\n" "good null" "baseline null" >want && test_cmp want got
'
test_done
