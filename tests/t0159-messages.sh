#!/bin/bash
# Messages that said the wrong thing: the arrays of a length mismatch,
# long ids, an HTTP error without a body, records counted without the bad
# lines, a lock held at open called a migration, the path said twice, and
# the stage named first when the last pm-store of a flow fails.
. "$(dirname "$0")/lib.sh"

# a server answering every request with the status and body in $TMP/resp
cat >"$TMP/srv.py" <<'EOP'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(sys.argv[1] + "/resp") as f:
            status, _, body = f.read().partition("\n")
        self.send_response(int(status))
        self.send_header("Content-Length", str(len(body)))
        if status.startswith("3"):
            self.send_header("Location", "http://elsewhere.invalid/")
        self.end_headers()
        self.wfile.write(body.encode())
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + "/port", "w").write(str(s.server_port))
s.serve_forever()
EOP
# hold a SQLite database's write lock until $2 appears
cat >"$TMP/lock.py" <<'EOP'
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[2] + ".held", "w").close()
while not os.path.exists(sys.argv[2]):
    time.sleep(0.05)
EOP
python3 "$TMP/srv.py" "$TMP" &
SRV=$!
trap 'kill $SRV 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.05; done
PM_GAMMA_URL=http://127.0.0.1:$(cat "$TMP/port")
export PM_GAMMA_URL

test_expect_success 'a length mismatch names the arrays whose lengths differ' '
	echo "{\"id\":\"1\",\"question\":\"q\",\"outcomes\":\"[\\\"a\\\",\\\"b\\\"]\",\"outcomePrices\":\"[\\\"0.1\\\",\\\"0.2\\\",\\\"0.7\\\"]\",\"clobTokenIds\":\"[\\\"1\\\",\\\"2\\\"]\"}" >in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 1 &&
	test_grep "market 1: outcomes has 2 entries, outcomePrices 3$" err &&
	sed "s/\"outcomes\":\"\[[^]]*\]\"/\"outcomes\":\"[\\\\\"a\\\\\",\\\\\"b\\\\\",\\\\\"c\\\\\"]\"/" in.ndjson >in2.ndjson &&
	run pm-normalize -R in2.ndjson && expect_status 1 &&
	test_grep "market 1: clobTokenIds has 2 entries, outcomes 3$" err
'

test_expect_success 'ids of 128 characters and more are ids' '
	id=$(printf "%0200d" 7) && eid=$(printf "%0300d" 8) &&
	jq -nc --arg id "$id" --arg e "$eid" "{id: \$e, title: \"t\", markets: [{id: \$id, question: \"q\"}]}" >in.ndjson &&
	run pm-normalize -R in.ndjson && expect_status 0 &&
	test "$(jq -r "select(.kind == \"market\") | .market_id" out)" = "$id" &&
	test "$(jq -r "select(.kind == \"market\") | .event_id" out)" = "$eid" &&
	test "$(jq -r "select(.kind == \"event\") | .market_ids[0]" out)" = "$id"
'

test_expect_success 'an HTTP error without a body says what it is' '
	printf "302\n" >"$TMP/resp" &&
	run pm-fetch markets --limit 1 --attempts 1 && expect_status 1 &&
	jq -r "select(.kind == \"failure\") | .detail" out >d &&
	test_grep "^HTTP 302: a redirect, not followed" d &&
	printf "404\n" >"$TMP/resp" &&
	run pm-fetch markets --limit 1 --attempts 1 &&
	test_grep "HTTP 404 with an empty body" err &&
	printf "404\nno such page" >"$TMP/resp" &&
	run pm-fetch markets --limit 1 --attempts 1 &&
	test_grep "HTTP 404: no such page" err
'

test_expect_success 'pm-store counts bad lines among its records' '
	printf "%s\n" "not json" "{\"kind\":\"market\"}" "$(rec_market 1)" >in.ndjson &&
	run pm-store --db sqlite:c.db in.ndjson && expect_status 1 &&
	test_grep "3 records: 1 inserted, 0 updated, 0 unchanged, 0 duplicate, 0 skipped, 2 failed" err
'

test_expect_success 'a lock held at open is no migration; the path is said once' '
	pm-store --db l.db </dev/null 2>/dev/null &&
	{ python3 "$TMP/lock.py" l.db done & } &&
	test_when_finished touch done &&
	for _ in $(seq 100); do [ -e done.held ] && break; sleep 0.05; done &&
	PM_DB_TIMEOUT=1 run pm-store --db l.db </dev/null && expect_status 3 &&
	test_grep "^pm-store: l.db: database is locked" err &&
	not test_grep migration err &&
	echo garbage >g.db &&
	run pm-store --db g.db </dev/null && expect_status 3 &&
	test_grep -x "pm-store: g.db: file is not a database" err
'

test_expect_success 'pipelines.sh: the last stage that failed is named first' '
	echo garbage >g.db && printf "200\n[]" >"$TMP/resp" &&
	run "$TOP/pipelines.sh" events --env-file /dev/null --db g.db --no-dump &&
	expect_status 3 &&
	grep "^pipelines.sh: events: .* failed (status" err >failed &&
	test_grep -x "pipelines.sh: events: pm-store failed (status 3)" failed &&
	test "$(head -1 failed)" = "pipelines.sh: events: pm-store failed (status 3)"
'

test_expect_success 'a control character in a message is shown as ?, never sent to the terminal' '
	run pm-normalize --only "$(printf "a\033[2J\rb")" </dev/null && expect_status 2 &&
	test_grep -x "pm-normalize: --only: unknown endpoint: a?\[2J b" err &&
	not grep -q "$(printf "\033")" err
'

test_expect_success 'a file name with a newline or an escape: its messages one line each, shown as ?' '
	f=$(printf "in\nput\033[2J.ndjson") &&
	printf "nope\n" >"$f" &&
	run pm-store --db s.db "$f" && expect_status 1 &&
	test_grep -x "pm-store: in put?\[2J.ndjson:1: invalid JSON: bad literal" err &&
	test_line_count err -eq 2 && not grep -q "$(printf "\033")" err
'

test_expect_success 'a directory given as a configuration: said why, as input files are' '
	mkdir conf.d &&
	run pm-experiment -c conf.d --list && expect_status 2 &&
	test_grep -x "pm-experiment: conf.d: Is a directory" err &&
	run pm-group conf.d && expect_status 3 &&
	test_grep -x "pm-group: conf.d: read error: Is a directory" err
'

test_done
