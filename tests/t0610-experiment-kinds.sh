#!/bin/bash
# pm-experiment: jq and command variants, timeouts, -j.
. "$(dirname "$0")/lib.sh"

for k in 1 2 3 4; do
	rec_group "e$k" null "$(rec_market "m$k" -source question=Q \
		contracts:="$(rec_yes_no 1 0.25 2 0.75)")"
done >"$TMP/groups.ndjson"

# command helpers: each reads the group (or group + research) on stdin
cat >"$TMP/prob.sh" <<'SH'
#!/bin/sh
sleep "${1:-0}"
jq -c '{probabilities: (.markets | map({key: .market_id, value: 0.9}) | from_entries),
	output: {seen_research: .research}}'
SH
cat >"$TMP/fail.sh" <<'SH'
#!/bin/sh
cat >/dev/null; echo "first line" >&2; echo "it broke" >&2; exit 3
SH
cat >"$TMP/skip.sh" <<'SH'
#!/bin/sh
cat >/dev/null; echo '{"status":"skipped","error":"not my kind of event"}'
SH
echo '{probabilities: {(.markets[0].market_id): {Yes: 0.1, No: 0.9}}}' >"$TMP/prog.jq"

cat >"$TMP/kinds.json" <<JSON
{"suites": [{"id": "k", "defaults": {"timeout": 20},
  "forecast": [
    {"variant": "jqi", "type": "jq", "program": "{probabilities: {(.markets[0].market_id): 0.2}}"},
    {"variant": "jqf", "type": "jq", "program_file": "prog.jq"},
    {"variant": "jqempty", "type": "jq", "program": "empty"},
    {"variant": "cmd", "type": "command", "argv": ["sh", "$TMP/prob.sh"]},
    {"variant": "fail", "type": "command", "argv": ["sh", "$TMP/fail.sh"]},
    {"variant": "skip", "type": "command", "argv": ["sh", "$TMP/skip.sh"]},
    {"variant": "hang", "type": "command", "argv": ["sh", "-c", "cat >/dev/null; sleep 30"], "timeout": 1},
    {"variant": "bad", "type": "jq", "program": "{probabilities: {nope: 0.5}}"},
    {"variant": "badout", "type": "jq", "program": "{probabilities: {(.markets[0].market_id): {Yes: 0.5, Maybe: 0.5}}}"},
    {"variant": "extra", "type": "jq", "program": "{probabilities: {(.markets[0].market_id): 0.5, other: 0.5}}"},
    {"variant": "nosuch", "type": "command", "argv": ["/nonexistent/program"]},
    {"variant": "two", "type": "jq", "program": "{probabilities: {(.markets[0].market_id): (0.2, 0.3)}}"},
    {"variant": "late", "type": "jq", "program": "{probabilities: {(.markets[0].market_id): 0.2}}, error(\"late trouble\")"},
    {"variant": "gathered", "type": "jq", "program": "{probabilities: ([.markets[] | {(.market_id): 0.5}] | add)}"}
  ]}]}
JSON

# Each run marks itself in a directory while it lasts and notes how many
# were running: concurrency observed, not inferred from timing.
cat >"$TMP/conc.sh" <<'SH'
#!/bin/sh
mkdir -p "$1/on" && : >"$1/on/$$"
ls "$1/on" | wc -l >>"$1/seen"
sleep 0.6
rm -f "$1/on/$$"
exec sh "$2" 0
SH
cat >"$TMP/slow.json" <<JSON
{"suites": [{"id": "slow", "forecast": [
  {"variant": "s", "type": "command", "argv": ["sh", "$TMP/conc.sh", "conc", "$TMP/prob.sh"]}]}]}
JSON

status_of() {
	jq -r "select(.kind==\"group\" and .event_key==\"e1\") | .results[] |
		\"\(.variant) \(.status) \(.probabilities // {} | tostring) \(.error)\"" out
}

test_expect_success 'every kind gives its result; failures are recorded, others go on' '
	head -1 ../groups.ndjson >in.ndjson &&
	start=$(date +%s) &&
	run pm-experiment -c ../kinds.json in.ndjson && expect_status 1 &&
	test_num $(( $(date +%s) - start )) -lt 10 "seconds taken" &&
	status_of >got &&
	cat >want <<-EOT &&
	jqi ok {"m1":{"Yes":0.2,"No":0.8}} null
	jqf ok {"m1":{"Yes":0.1,"No":0.9}} null
	jqempty skipped {} the program gave no output
	cmd ok {"m1":{"Yes":0.9,"No":0.09999999999999998}} null
	fail failed {} exit status 3: it broke
	skip skipped {} not my kind of event
	hang failed {} timed out after 1 s
	bad failed {} probabilities: names no market of the group
	badout failed {} probabilities: market m1: outcomes that are not the market'"'"'s
	extra failed {} probabilities: a market id not in the group
	nosuch failed {} /nonexistent/program: No such file or directory
	two failed {} jq: more than one output (a result is one value: gather several into one, [ ... ])
	late failed {} jq: late trouble
	gathered ok {"m1":{"Yes":0.5,"No":0.5}} null
	EOT
	test_cmp want got &&
	jq -r "select(.kind==\"failure\") | .reason + \" \" + .detail" out >got &&
	cat >want <<-EOT &&
	experiment_failed k:forecast:fail: exit status 3: it broke
	experiment_failed k:forecast:hang: timed out after 1 s
	experiment_failed k:forecast:bad: probabilities: names no market of the group
	experiment_failed k:forecast:badout: probabilities: market m1: outcomes that are not the market'"'"'s
	experiment_failed k:forecast:extra: probabilities: a market id not in the group
	experiment_failed k:forecast:nosuch: /nonexistent/program: No such file or directory
	experiment_failed k:forecast:two: jq: more than one output (a result is one value: gather several into one, [ ... ])
	experiment_failed k:forecast:late: jq: late trouble
	EOT
	test_cmp want got
'

# Before, jq wrote a NaN null: a market's probability NaN (as sqrt(-1)
# or infinite - infinite make it) read as declined, a skip taken for done.
test_expect_success 'a jq result holding NaN fails its variant, never read as null' '
	head -1 ../groups.ndjson >in.ndjson &&
	for p in "{probabilities: {(.markets[0].market_id): (infinite - infinite)}}" \
		"{probabilities: {(.markets[0].market_id): 0.5}, output: {x: [-1 | sqrt]}}"; do
		run pm-experiment -c ../kinds.json --include-forecast jqi \
			-o "jqi.program=$p" in.ndjson && expect_status 1 &&
		status_of >>got || return 1
	done &&
	for k in 1 2; do
		echo "jqi failed {} jq: the result holds NaN (not a number), which JSON has not"
	done >want && test_cmp want got
'

# Before, a key repeated in a forecast failed it ("a market id not in the
# group", "outcomes that are not the market's"): the count of keys was
# compared, and pm-records(5) reads the last occurrence as the value.
test_expect_success 'a forecast repeating a key: the last occurrence counts' '
	head -1 ../groups.ndjson >in.ndjson &&
	echo "{\"m1\": 0.2, \"m1\": 0.3}" >a1 &&
	echo "{\"probabilities\": {\"m1\": {\"Yes\": 0.2, \"No\": 0.8, \"Yes\": 0.3}}}" >a2 &&
	echo "{\"m1\": 0.2, \"m1\": 0.3, \"m9\": 0.5}" >a3 &&
	for a in a1 a2 a3; do
		run pm-experiment -c ../kinds.json --include-forecast cmd \
			-o "cmd.argv=[\"cat\", \"$PWD/$a\"]" in.ndjson &&
		status_of >>got || return 1
	done &&
	cat >want <<-EOT &&
	cmd ok {"m1":{"Yes":0.3,"No":0.7}} null
	cmd ok {"m1":{"Yes":0.3,"No":0.8}} null
	cmd failed {} probabilities: a market id not in the group
	EOT
	test_cmp want got
'

test_expect_success 'a command keeps its standard error; a result names its type' '
	head -1 ../groups.ndjson >in.ndjson &&
	run pm-experiment -c ../kinds.json --include-forecast fail,k:cmd in.ndjson &&
	jq -r "select(.kind==\"group\") | .results[] | \"\(.variant) \(.type) \(.stderr | tojson)\"" out >got &&
	jq -r "select(.kind==\"group\") | .results[1].stderr" out >stderr &&
	printf "%s\n" "first line" "it broke" "" >want && test_cmp want stderr &&
	test_grep "^cmd command null\$" got
'

test_expect_success '-j 4 runs groups at once, output identical to -j 1' '
	run pm-experiment -c ../slow.json -j 1 ../groups.ndjson &&
	expect_status 0 && mv out out1 &&
	test_num "$(sort -n conc/seen | tail -1)" -eq 1 "runs at once at -j 1" && rm -r conc &&
	run pm-experiment -c ../slow.json -j 4 ../groups.ndjson &&
	expect_status 0 &&
	test_num "$(sort -n conc/seen | tail -1)" -ge 2 "runs at once at -j 4" &&
	norm="del(.results[]? | .started_at, .finished_at, .latency_ms)" &&
	jq -c "$norm" out1 >a && jq -c "$norm" out >b && test_cmp a b &&
	jq -r .event_key out >got && jq -r .event_key ../groups.ndjson >want && test_cmp want got
'

test_expect_success 'results carry times and latency' '
	head -1 ../groups.ndjson >in.ndjson &&
	run pm-experiment -c ../slow.json in.ndjson &&
	jq -e ".results[0] | (.latency_ms >= 500) and (.started_at | test(\"^20..-..-..T..:..:..[.][0-9]{3}Z$\")) and .finished_at >= .started_at" out >/dev/null
'
test_expect_success '--dump-dir: a file path over 4095 bytes is refused, never cut short' '
	head -1 ../groups.ndjson >in.ndjson &&
	d=$(printf "%0200d/" $(seq 20))$(printf "%059d" 0) && test ${#d} = 4079 &&
	mkdir -p "$d" &&
	run pm-experiment -c ../kinds.json --include-forecast jqi --dump-dir "$d" in.ndjson &&
	expect_status 0 && test "$(jq -r .results[0].status out)" = ok &&
	test_grep "^pm-experiment: --dump-dir: 0.*: File name too long\$" err &&
	test "$(grep -c "File name too long" err)" = 2 &&
	test "$(find "${d%%/*}" -type f | wc -l)" = 0
'
test_expect_success 'program_file: a path over 4095 bytes is refused, not cut to another file' '
	mkdir -p cfgdir8 && echo "{output: \"the wrong file\"}" >cfgdir8/prog.jq &&
	f=$(printf "%02040d" 0 | sed "s,0,./,g")prog.jq &&
	test $((${#f} + 8)) = 4095 &&
	echo "{\"suites\":[{\"id\":\"s\",\"research\":[{\"variant\":\"v\",\"type\":\"jq\",\"program_file\":\"$f-other.jq\"}]}]}" >cfgdir8/c.json &&
	run pm-experiment -c cfgdir8/c.json ../groups.ndjson && expect_status 2 && test ! -s out &&
	test_grep "^pm-experiment: cfgdir8/c.json: s:research:v: program_file: over 4095 bytes with the config'"'"'s directory\$" err &&
	sed "s,$f-other.jq,$f," cfgdir8/c.json >cfgdir8/ok.json &&
	run pm-experiment -c cfgdir8/ok.json ../groups.ndjson && expect_status 0 &&
	test "$(jq -r ".results[0].output" out | sort -u)" = "the wrong file" &&
	sed "s,$f-other.jq,${f:16}-none.jq," cfgdir8/c.json >cfgdir8/none.json &&
	run pm-experiment -c cfgdir8/none.json ../groups.ndjson && expect_status 2 &&
	test_grep "\.\.\.: No such file or directory\$" err
'
# pm-experiment(1): a command's relative paths are the working directory's,
# a program_file's the configuration's directory.
test_expect_success 'argv paths are taken from the working directory, program_file from the config' '
	mkdir -p cfgdir9 && echo "{output: \"config dir\"}" >cfgdir9/p.jq &&
	echo "cat >/dev/null; echo \"{\\\"output\\\": \\\"cwd\\\"}\"" >run.sh &&
	echo "{\"suites\":[{\"id\":\"s\",\"research\":[{\"variant\":\"c\",\"type\":\"command\",\"argv\":[\"sh\",\"run.sh\"]},{\"variant\":\"j\",\"type\":\"jq\",\"program_file\":\"p.jq\"}]}]}" >cfgdir9/c.json &&
	head -1 ../groups.ndjson >in.ndjson &&
	run pm-experiment -c cfgdir9/c.json in.ndjson && expect_status 0 &&
	jq -r ".results[] | \"\(.variant) \(.output)\"" out >got &&
	printf "%s\n" "c cwd" "j config dir" >want && test_cmp want got
'
# halt_error (jq(1) exits 5, or the status given) gave no output to
# libjq's caller: the variant was "skipped", taken as done, never retried.
test_expect_success 'halt_error fails its variant; halt alone gives no output' '
	head -1 ../groups.ndjson >in.ndjson &&
	jq -n "{suites: [{id: \"h\", forecast: [
		{variant: \"he\", type: \"jq\", program: \"\\\"bad input\\n\\\" | halt_error\"},
		{variant: \"he2\", type: \"jq\", program: \"{a: 1} | halt_error(2)\"},
		{variant: \"late\", type: \"jq\", program: \"{probabilities: {(.markets[0].market_id): 0.5}}, (\\\"late\\\" | halt_error)\"},
		{variant: \"he0\", type: \"jq\", program: \"\\\"fine\\\" | halt_error(0)\"},
		{variant: \"h\", type: \"jq\", program: \"halt\"},
		{variant: \"ok\", type: \"jq\", program: \"{probabilities: {(.markets[0].market_id): 0.5}}, halt\"}]}]}" >h.json &&
	run pm-experiment -c h.json in.ndjson && expect_status 1 &&
	jq -r "select(.kind==\"group\") | .results[] | \"\(.variant) \(.status) \(.error)\"" out >got &&
	printf "%s\n" "he failed jq: halt_error, exit status 5: bad input" \
		"he2 failed jq: halt_error, exit status 2: {\"a\":1}" \
		"late failed jq: halt_error, exit status 5: late" \
		"he0 skipped the program gave no output" \
		"h skipped the program gave no output" "ok ok null" >want &&
	test_cmp want got &&
	test "$(jq -r "select(.kind==\"failure\") | .detail" out | wc -l)" = 3
'

# A program that imports or includes a module made libjq 1.6 abort (an
# assertion on its unset library path): pm-experiment died of SIGABRT,
# with a core, and pm-store -w too.  No module is found: a usage error.
test_expect_success 'a program importing a module: a usage error, no abort' '
	head -1 ../groups.ndjson >in.ndjson &&
	for p in "import \"m\" as m; 1" "include \"m\"; 1"; do
		jq -n --arg p "$p" "{suites: [{id: \"i\", forecast: [
		    {variant: \"m\", type: \"jq\", program: \$p}]}]}" >i.json &&
		run pm-experiment -c i.json in.ndjson && expect_status 2 &&
		test ! -s out &&
		test_grep "^pm-experiment: i.json: i:forecast:m: .*module not found: m" err &&
		run pm-store -d sqlite:i.db -e markets -w "$p" && expect_status 2 &&
		test_grep "^pm-store: --where: .*module not found: m" err || return 1
	done
'
# A program that did not compile said "jq: jq: error: ... line 1: PROGRAM
# " (libjq's own prefix after ours, its hint for shell quoting, and
# the program's line padded with spaces): one clause now.
test_expect_success 'a program that does not compile: one clean message' '
	head -1 ../groups.ndjson >in.ndjson &&
	while IFS="@" read -r p why; do
		jq -n --arg p "$p" "{suites: [{id: \"s\", forecast: [
		    {variant: \"j\", type: \"jq\", program: \$p}]}]}" >s.json &&
		run pm-experiment -c s.json in.ndjson && expect_status 2 &&
		test ! -s out &&
		echo "pm-experiment: s.json: s:forecast:j: jq: $why" >want &&
		test_cmp want err || return 1
	done <<-\EOF
	{output: @syntax error, unexpected $end at <top-level>, line 1
	.a | foo@foo/0 is not defined at <top-level>, line 1
	EOF
'

# An argv whose program is "" failed every group at its run ("No such
# file or directory", retriable: retried for ever), and one holding a
# NUL character ran cut there: both are configuration errors.
test_expect_success 'argv: an empty program or a NUL character is refused' '
	head -1 ../groups.ndjson >in.ndjson &&
	for a in "[\"\", \"x\"]" "[\"sh\", \"-c\", \"exit 0\\u0000; exit 3\"]"; do
		echo "{\"suites\": [{\"id\": \"a\", \"forecast\": [{\"variant\": \"v\",
		    \"type\": \"command\", \"argv\": $a}]}]}" >a.json &&
		run pm-experiment -c a.json in.ndjson && expect_status 2 &&
		test ! -s out && cat err >>errs || return 1
	done &&
	printf "pm-experiment: a.json: a:forecast:v: %s\n" \
	    "argv[0]: no program (an empty string)" \
	    "argv[2]: holds a NUL character" >want && test_cmp want errs
'
# A --dump-dir whose parent did not exist made no dump: each file said
# "No such file or directory", the same for every group, and exit 0.
test_expect_success '--dump-dir: made with its parents; one that cannot be is a usage error' '
	head -1 ../groups.ndjson >in.ndjson &&
	run pm-experiment -c ../kinds.json --include-forecast jqi --dump-dir dd/x/y in.ndjson &&
	expect_status 0 && test ! -s err &&
	test -s dd/x/y/e1/k.forecast.jqi.response.json &&
	: >plain && run pm-experiment -c ../kinds.json --include-forecast jqi --dump-dir plain/x in.ndjson &&
	expect_status 2 && test ! -s out &&
	test_grep -x "pm-experiment: --dump-dir: plain/x: Not a directory" err &&
	run pm-experiment -c ../kinds.json --include-forecast jqi --dump-dir nodir -l &&
	expect_status 0 && test ! -e nodir
'
# --timeout took whole seconds only ("1.5" refused) where a variant's
# "timeout": 0.5 was taken; and a variant's timeout under a millisecond
# (0.0004) was taken as 0 ms: no timeout at all.  Both take seconds from
# 0.001 to 86400 now.
test_expect_success '--timeout and a variant timeout take the same seconds' '
	head -1 ../groups.ndjson >in.ndjson &&
	echo "{\"suites\":[{\"id\":\"t\",\"research\":[{\"variant\":\"c\",\"type\":\"command\",\"argv\":[\"sh\",\"-c\",\"cat >/dev/null; sleep 30\"]}]}]}" >t.json &&
	run pm-experiment -c t.json --timeout 1.5 in.ndjson && expect_status 1 &&
	jq -r "select(.kind==\"group\") | .results[0].error" out >got &&
	echo "timed out after 1.5 s" >want && test_cmp want got &&
	run pm-experiment -c t.json -o c.timeout=0.0004 -l && expect_status 2 &&
	test_grep "t:research:c: timeout: seconds, from 0.001 to 86400 (with the overrides)\$" err &&
	for v in 0 0.0004 86401 -1 soon; do
		run pm-experiment -c t.json --timeout $v -l && expect_status 2 &&
		test_grep -x "pm-experiment: --timeout: \"$v\" is not a number from 0.001 to 86400" err ||
		return 1
	done &&
	run pm-experiment -c t.json --timeout 0.001 -o c.timeout=86400 -l && expect_status 0
'

test_done
