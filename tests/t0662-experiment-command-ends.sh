#!/bin/bash
# pm-experiment: a command's standard error is kept up to 64 KiB and the
# rest read and dropped; what it said that is not UTF-8, or was cut inside
# a character, is written valid; a command that leaves a background child holding
# its standard output ends at its own exit; nothing it started, in its
# process group or out of it (setsid), outlives the command.
. "$(dirname "$0")/lib.sh"

jq -cn '{kind:"group", event_key:"e1", event:null,
	markets:[{kind:"market", market_id:"m1", question:"Q",
	contracts:[{outcome:"Yes",token_id:"1",price:0.25},{outcome:"No",token_id:"2",price:0.75}]}]}' \
	>"$TMP/groups.ndjson"

# Unique sleep lengths, to find the processes again; short, so that a
# failing run leaves nothing for long.
A=37.$$ B=38.$$
cat >"$TMP/c.json" <<JSON
{"suites": [{"id": "k", "defaults": {"timeout": 20},
  "research": [
    {"variant": "noisy", "type": "command",
     "argv": ["sh", "-c", "cat >/dev/null; head -c 1000000 /dev/zero | tr '\\\\\\\\0' x >&2; echo '{\"output\": 1}'"]},
    {"variant": "bg", "type": "command",
     "argv": ["sh", "-c", "cat >/dev/null; sleep $A & echo '{\"output\": 2}'"]},
    {"variant": "escape", "type": "command",
     "argv": ["sh", "-c", "cat >/dev/null; setsid sleep $B >/dev/null 2>&1 </dev/null & sleep 0.3; echo '{\"output\": 3}'"]}
  ]}]}
JSON

# a failure whose error is cut at 1023 bytes inside its 512th é, and a
# surrogate written in UTF-8 (CESU-8) on standard error
cat >"$TMP/cut.sh" <<'SH'
cat >/dev/null
printf 'x\355\240\200y\n' >&2
printf '{"status": "failed", "error": "%s"}\n' "$(printf '%0600d' 0 | sed 's/0/é/g')"
SH
jq '.suites[0].research += [{variant: "cut", type: "command", argv: ["sh", $sh]}]' \
	--arg sh "$TMP/cut.sh" "$TMP/c.json" >"$TMP/cut.json"

# standard output past its cap, PM_MAX_LINE, and standard error quiet
cat >"$TMP/big.sh" <<'SH'
cat >/dev/null
head -c 300000 /dev/zero | tr '\0' ' '
echo '{"output": 4}'
SH
jq '.suites[0].research += [{variant: "big", type: "command", argv: ["sh", $sh]}]' \
	--arg sh "$TMP/big.sh" "$TMP/c.json" >"$TMP/big.json"

alive() {
	# shellcheck disable=SC2009 # whole command lines, counted exactly
	ps -eo args | grep -c -x -e "sleep $A" -e "sleep $B" || true
}

test_expect_success 'a command writing over 64 KiB to stderr: the first 64 KiB kept, marked' '
	run pm-experiment -c ../c.json --include-research noisy ../groups.ndjson &&
	expect_status 0 &&
	jq -r ".results[] | \"\(.variant) \(.status) \(.output) \(.error)\"" out >got &&
	echo "noisy ok 1 null" >want && test_cmp want got &&
	jq -r ".results[0].stderr" out >se &&
	test "$(wc -c <se)" -le 65537 && test "$(wc -c <se)" -gt 65000 &&
	grep -q "^\[standard error cut: [0-9]* more bytes\]$" se
'

# It said "output over 65472 bytes", standard error's cap, whatever the
# cap of the output was.
test_expect_success 'a command writing past PM_MAX_LINE: failed, naming that cap' '
	PM_MAX_LINE=200000 run pm-experiment -c ../big.json --include-research big ../groups.ndjson &&
	expect_status 1 &&
	jq -r "select(.kind==\"group\") | .results[] | \"\(.variant) \(.status) \(.error)\"" out >got &&
	echo "big failed output over 200000 bytes" >want && test_cmp want got
'

test_expect_success 'an error cut inside a character, stderr not UTF-8: written valid, stored' '
	jq -c ".markets[].source = \"polymarket\"" ../groups.ndjson >groups.ndjson &&
	run pm-experiment -c ../cut.json --include-research cut groups.ndjson &&
	expect_status 1 && cp out cut.ndjson &&
	python3 -c "import sys; open(sys.argv[1], \"rb\").read().decode()" cut.ndjson &&
	jq -r "select(.kind==\"group\") | .results[0] | .status, .stderr, .error" cut.ndjson >got &&
	{ echo failed && echo "x???y" && echo &&
	  printf "%s?\n" "$(printf "%0511d" 0 | sed "s/0/é/g")"; } >want &&
	test_cmp want got &&
	run pm-store --db ../cut.db cut.ndjson && expect_status 0 &&
	test "$(sqlite3 ../cut.db "SELECT status, length(CAST(error AS BLOB)) FROM experiment_results")" = "failed|1023"
'

test_expect_success 'a background child holding stdout: the command ends at its exit' '
	start=$(date +%s) &&
	run pm-experiment -c ../c.json --include-research bg ../groups.ndjson &&
	expect_status 0 &&
	test $(($(date +%s) - start)) -lt 15 &&
	jq -r ".results[] | \"\(.variant) \(.status) \(.output) \(.error)\"" out >got &&
	echo "bg ok 2 null" >want && test_cmp want got &&
	test "$(alive)" = 0
'

test_expect_success 'a setsid grandchild does not outlive the command' '
	run pm-experiment -c ../c.json --include-research escape ../groups.ndjson &&
	expect_status 0 &&
	jq -r ".results[] | \"\(.variant) \(.status) \(.output) \(.error)\"" out >got &&
	echo "escape ok 3 null" >want && test_cmp want got &&
	test "$(alive)" = 0
'

# A command a signal ended said its number alone ("killed by signal 11"):
# the name says what happened (a crash, the OOM killer's KILL).
cat >"$TMP/s.json" <<'JSON'
{"suites": [{"id": "s", "research": [{"variant": "segv", "type": "command",
  "argv": ["sh", "-c", "cat >/dev/null; kill -SEGV $$"]}]}]}
JSON
test_expect_success 'a command killed by a signal: the signal named' '
	run pm-experiment -c ../s.json ../groups.ndjson && expect_status 1 &&
	jq -r "select(.kind == \"group\") | .results[] | \"\(.status) \(.error)\"" out >got &&
	echo "failed killed by signal 11 (SIGSEGV)" >want && test_cmp want got &&
	test_grep -x "pm-experiment: ../groups.ndjson:1: event e1: s:research:segv: killed by signal 11 (SIGSEGV)" err
'

test_done
