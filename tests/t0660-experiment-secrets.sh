#!/bin/bash
# pm-experiment: a command or a jq program gets only the allow-listed
# environment and the variables its variant lists; a secret it is given
# (or finds) is masked in the output, stderr, errors, dumps and, after
# pm-store, the database.
. "$(dirname "$0")/lib.sh"

jq -cn '{kind:"group", event_key:"e1", event:null,
	markets:[{kind:"market", source:"polymarket", market_id:"m1", question:"Q",
	contracts:[{outcome:"Yes",token_id:"1",price:0.25},{outcome:"No",token_id:"2",price:0.75}]}]}' \
	>"$TMP/groups.ndjson"

S=$$-q7
export DATABASE_URL="postgresql://pm:DbPw-$S@127.0.0.1:9/pm"
export SUPABASE_DB_URL="postgresql://sb:Supa%2FPw-$S@127.0.0.1:9/pm"
export PGPASSWORD="PgPw-$S" PM_NOTIFY_URL="https://hooks.invalid/Notify-$S"
export OPENAI_API_KEY="Oai-$S" MY_LLM_KEY="LlmKey-$S" PM_TEST_PLAIN="plain-$S"
secrets() {
	printf '%s\n' "DbPw-$S" "Supa%2FPw-$S" "Supa/Pw-$S" "PgPw-$S" \
		"Notify-$S" "Oai-$S" "LlmKey-$S"
}

cat >"$TMP/c.json" <<'JSON'
{"suites": [{"id": "c",
  "research": [
    {"variant": "envdump", "type": "command",
     "argv": ["sh", "-c", "cat >/dev/null; env >&2; env | jq -Rn '{output: [inputs]}'"]},
    {"variant": "raw", "type": "command", "argv": ["sh", "-c", "cat >/dev/null; env; env >&2; exit 3"]},
    {"variant": "listed", "type": "command", "env": ["DATABASE_URL", "PGPASSWORD", "SUPABASE_DB_URL", "PM_TEST_PLAIN"],
     "argv": ["sh", "-c", "cat >/dev/null; env >&2; jq -n '{output: {url: env.DATABASE_URL, pw: env.PGPASSWORD, sb: env.SUPABASE_DB_URL, plain: env.PM_TEST_PLAIN, notify: env.PM_NOTIFY_URL}}'"]},
    {"variant": "jqenv", "type": "jq", "program": "{output: $ENV}"}
  ]},
 {"id": "llm", "research": [{"variant": "ask", "type": "openai", "model": "m",
   "api_key_env": "MY_LLM_KEY", "base_url": "http://127.0.0.1:9"}]}]}
JSON

test_expect_success 'secrets reach a command only when listed, and are masked everywhere' '
	run pm-experiment -c ../c.json -s c --dump-dir dumps ../groups.ndjson &&
	expect_status 1 &&
	secrets >pats &&
	not grep -rF -f pats out err dumps &&
	jq -r "select(.kind==\"group\") | .results[] | \"\(.variant) \(.status)\"" out >got &&
	printf "%s\n" "envdump ok" "raw failed" "listed ok" "jqenv ok" >want &&
	test_cmp want got &&
	jq -c "select(.kind==\"group\") | .results[2].output" out >got &&
	echo "{\"url\":\"***\",\"pw\":\"***\",\"sb\":\"***\",\"plain\":\"plain-$S\",\"notify\":null}" >want &&
	test_cmp want got &&
	jq -r "select(.kind==\"group\") | .results[0].output[]" out | cut -d= -f1 | sort >names &&
	not grep -v -x -e PATH -e HOME -e LANG -e "LC_.*" -e TZ -e TMPDIR -e PWD -e SHLVL -e _ names &&
	grep -q "^PATH=" dumps/e1/c.research.raw.response.json &&
	grep -q "^PGPASSWORD=\*\*\*" dumps/e1/c.research.listed.stderr.txt
'

test_expect_success 'nothing of them in a SQLite database after pm-store' '
	pm-experiment -c ../c.json -s c ../groups.ndjson >stream || test $? = 1 &&
	run pm-store --db x.db stream && expect_status 0 &&
	test "$(sqlite3 x.db "SELECT count(*) FROM processed_events")" -gt 0 &&
	secrets >pats &&
	sqlite3 x.db .dump >d && grep -q PATH= d &&
	not grep -F -f pats d out err
'

# A key=value DATABASE_URL with its password quoted (a blank, an escaped
# quote and backslash in it): the password as libpq reads it is a secret,
# whoever prints it.
KV_PW="Kv Pw'-$S\\x"
KV_URL="host=/nonexistent dbname=pm password = '$(printf '%s' "$KV_PW" |
    sed "s/\\\\/\\\\\\\\/g; s/'/\\\\'/g")' user=pm"
jq -n --arg pw "$KV_PW" '{suites: [{id: "kv", research: [{variant: "says",
    type: "command", argv: ["sh", "-c", "cat >/dev/null; printf %s \"$1\" >&2; jq -n --arg p \"$1\" \"{output: \\$p}\"", "sh", $pw]}]}]}' \
    >"$TMP/kv.json"

test_expect_success 'a quoted password= of a key=value DATABASE_URL is masked as libpq reads it' '
	DATABASE_URL=$KV_URL run pm-experiment -c ../kv.json --dump-dir dumps ../groups.ndjson &&
	expect_status 0 &&
	jq -e "select(.kind==\"group\") | .results[0].output == \"***\"" out &&
	printf "%s\n" "$KV_PW" "Kv Pw" >pats &&
	not grep -rF -f pats out err dumps
'

# Python's json.dumps writes a non-ASCII secret as \u escapes: the text
# held no copy of it to mask, and the output and error decoded from it
# were recorded, and stored, in clear.
cat >"$TMP/u.py" <<'PY'
import json, os, sys
sys.stdin.read()
t = os.environ["MY_TOKEN"]
print(json.dumps({"status": "failed", "error": "refused " + t, "output": {"tok": t}}))
PY
jq -n --arg py "$TMP/u.py" '{suites: [{id: "u", research: [{variant: "py",
    type: "command", env: ["MY_TOKEN"], argv: ["python3", $py]}]}]}' >"$TMP/u.json"

test_expect_success 'a secret a command writes JSON-escaped is masked in its output and error' '
	tok=$(printf "T\303\266k-%s" "$S") &&
	MY_TOKEN=$tok run pm-experiment -c ../u.json ../groups.ndjson &&
	expect_status 1 &&
	jq -c "select(.kind==\"group\") | .results[0] | [.output, .error]" out >got &&
	echo "[{\"tok\":\"***\"},\"refused ***\"]" >want && test_cmp want got &&
	not grep -F "k-$S" out err
'

# Standard error is cut after 64 KiB, less the note: a secret that cut
# fell in kept its first bytes in clear, masking looked for it whole.
cat >"$TMP/cut.sh" <<'SH'
cat >/dev/null
head -c 65462 /dev/zero | tr '\0' x >&2
printf '%s\n' "$MY_TOKEN" >&2
echo '{"output": 1}'
SH
jq -n --arg sh "$TMP/cut.sh" '{suites: [{id: "x", research: [{variant: "v",
    type: "command", env: ["MY_TOKEN"], argv: ["sh", $sh]}]}]}' >"$TMP/cut.json"

test_expect_success 'a secret the cut of standard error at 64 KiB falls in is masked whole' '
	MY_TOKEN=Cut-$S-0123456789 run pm-experiment -c ../cut.json --dump-dir dumps ../groups.ndjson &&
	expect_status 0 &&
	jq -j "select(.kind==\"group\") | .results[0].stderr" out >se &&
	test "$(tail -n 1 se | tr -d x)" = "***" &&
	not grep -rF "Cut-" out err dumps
'

test_expect_success 'env: names only' '
	echo "{\"suites\":[{\"id\":\"b\",\"research\":[{\"variant\":\"v\",\"type\":\"command\",\"argv\":[\"true\"],\"env\":[\"A=B\"]}]}]}" >bad.json &&
	run pm-experiment -c bad.json -l && expect_status 2 &&
	grep -q "b:research:v: env: an array of variable names" err
'

# A prompt template's jq ran in pm-experiment, whose environment holds
# every key: {{ $ENV.DATABASE_URL }} put the database password in the
# prompt sent to the provider (and it is masked in no request).  Its
# $ENV and env are now a command's allow-list.
test_expect_success 'a prompt template sees only the allow-listed environment' '
	. "$TESTS_DIR/fake-llm.sh" && llm_start &&
	export PM_TMPL_KEY=x &&
	cat >t.json <<-JSON &&
	{"suites": [{"id": "t", "forecast": [{"variant": "v", "type": "openai",
	  "model": "valid", "api_key_env": "PM_TMPL_KEY",
	  "base_url": "http://127.0.0.1:$port/v1",
	  "prompt": "A {{ \$ENV.DATABASE_URL }} B {{ env.MY_LLM_KEY }} C {{ \$ENV.PM_TEST_PLAIN }} D {{ env.PATH | type }} E {{ .markets | length }} F {{ def f: 2; f }} market_id {{ .markets[0].market_id }}:"}]}]}
	JSON
	run pm-experiment -c t.json ../groups.ndjson && expect_status 0 &&
	jq -r ".request.messages[-1].content" "$TMP/llm.log" >got &&
	echo "A null B null C null D string E 1 F 2 market_id m1:" >want && test_cmp want got &&
	secrets >pats && not grep -F -f pats "$TMP/llm.log"
'

test_done
