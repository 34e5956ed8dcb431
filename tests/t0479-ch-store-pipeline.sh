#!/bin/bash
# pm-store into ClickHouse sends a batch while it reads the next.  The
# input trickles in (a record every 10 ms), so batches go by the second
# and one is in flight while the next is gathered; the markets INSERTs go
# through a proxy that holds or drops them.  Shown: the records after a
# held INSERT are read while it is held; connections dropped mid-stream
# are retried (nothing lost, nothing twice, the run's counts exact); the
# server lost for good with a batch in flight: exit 3, every record read
# said, what was said stored is stored; rows the server refuses in a
# batch found while the next is gathered: only they fail, in their place
# in the output, and the run's counts say so.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/ch.sh"

ch_start pipeline || { say "$CH_ERR"; exit 1; }

# proxy.py PORT UPSTREAM: HTTP to the server on UPSTREAM, each request on
# a connection of its own; INSERTs into markets are counted (every
# attempt) in ./proxy.log.  HOLD=K: the K-th is held (./held says so)
# until ./release exists.  DROP=K-L: the K-th to L-th are read, then
# their connection closed unanswered.  DIE=K: from the K-th on, every
# request is.
cat >"$TMP/proxy.py" <<'PY'
import http.client, http.server, os, sys, threading, time, urllib.parse

port, upstream = int(sys.argv[1]), int(sys.argv[2])
hold = int(os.environ.get("HOLD", "0"))
lo, hi = (int(x) for x in os.environ.get("DROP", "0-0").split("-"))
die = int(os.environ.get("DIE", "0"))
n = 0
lock = threading.Lock()
log = open("proxy.log", "a", buffering=1)


class Relay(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.relay()

    def do_POST(self):
        self.relay()

    def relay(self):
        global n
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(
            self.path).query).get("query", [""])[0]
        k = 0
        with lock:
            if query.startswith("INSERT INTO `markets`"):
                n += 1
                k = n
                log.write("insert %d: %d rows\n" % (k, body.count(b"\n")))
            dead = die and n >= die
        if dead or (k and lo <= k <= hi):
            log.write("dropped %d\n" % k)
            self.close_connection = True
            return
        if k and k == hold:
            open("held", "w").close()
            while not os.path.exists("release"):
                time.sleep(0.01)
        c = http.client.HTTPConnection("127.0.0.1", upstream)
        c.request(self.command, self.path, body, {h: v for h, v in
                  self.headers.items() if h.lower() not in ("host",
                  "connection")})
        r = c.getresponse()
        data = r.read()
        c.close()
        self.send_response_only(r.status)
        for h, v in r.getheaders():
            if h.lower() not in ("transfer-encoding", "connection",
                                 "content-length", "keep-alive"):
                self.send_header(h, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


s = http.server.ThreadingHTTPServer(("127.0.0.1", port), Relay)
s.daemon_threads = True
open("proxy.ready", "w").close()
s.serve_forever()
PY

# trickle.py IN FIFO: IN's lines into FIFO, one every 10 ms.  When ./held
# appears: one line more, then whether pm-store read it within a second
# while the INSERT is held (./consumed: yes or no), then ./release;
# also ./release when every line went before one was held (a slow
# pm-store, as under valgrind: the case fails instead of hanging).
cat >"$TMP/trickle.py" <<'PY'
import fcntl, os, struct, sys, termios, time

fd = os.open(sys.argv[2], os.O_WRONLY)


def unread():
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0]


checked = False
try:
    for line in open(sys.argv[1], "rb"):
        held = not checked and os.path.exists("held")
        os.write(fd, line)
        if held:
            end = time.time() + 1
            while unread() and time.time() < end:
                time.sleep(0.005)
            open("consumed", "w").write("no\n" if unread() else "yes\n")
            open("release", "w").close()
            checked = True
        time.sleep(0.01)
except BrokenPipeError:
    pass	# pm-store gave up: the test says whether it should have
if not checked:
    open("consumed", "w").write("no line left to read\n")
    open("release", "w").close()
PY

PORT=${CH_HTTP##*:}
db() { ch_query "CREATE DATABASE IF NOT EXISTS $1"; }
count() { ch_query "SELECT count() FROM $1.markets${2- FINAL}"; }
# markets FROM TO [BAD...]: market records mFROM..mTO, slug the number,
# but "x" for the numbers BAD
markets() {
	jq -cn --argjson from "$1" --argjson to "$2" --argjson bad "[${3:-}]" \
	    'range($from; $to + 1) | {kind: "market", source: "polymarket",
	    market_id: "m\(.)", question: "Q\(.)",
	    slug: (if [.] | inside($bad) then "x" else "\(.)" end)}'
}
# proxy [VAR=VALUE...]: a proxy (proxy.py) in this case's dir; $PURL is
# the database pipe on the server behind it
proxy() {
	local p
	p=$(ch_free_port) || return 1
	env "$@" python3 "$TMP/proxy.py" "$p" "$PORT" 3>&- &
	proxy_pid=$!
	for _ in $(seq 100); do [ -e proxy.ready ] && break; sleep 0.05; done
	test -e proxy.ready || return 1
	PURL=clickhouse://127.0.0.1:$p/pipe
}
stop_proxy() { kill "$proxy_pid" && wait "$proxy_pid" 2>/dev/null; true; }
# store URL IN: pm-store --db URL fed IN by trickle.py; $status its exit
store() {
	rm -f f && mkfifo f &&
	{ pm-store --db "$1" <f >out 2>err & pid=$!; } &&
	python3 "$TMP/trickle.py" "$2" f &&
	status=0 && { wait "$pid" || status=$?; }
}
# run_counts RUN_ID: the status and counts pm-store recorded for the run
run_counts() {
	ch_query "SELECT status, counts FROM $1.processing_runs FINAL WHERE run_id = '$2'"
}

test_expect_success 'an INSERT held: the records after it read meanwhile, then all stored' '
	db pipe && proxy HOLD=1 && test_when_finished stop_proxy &&
	markets 1 300 >in.ndjson && store "$PURL" in.ndjson &&
	expect_status 0 && test_eq yes "$(cat consumed)" "read while held" &&
	test_num "$(grep -c "^insert" proxy.log)" -ge 2 "markets INSERTs (the held one and after)" &&
	test_eq 300 "$(count pipe)" &&
	test_eq 300 "$(grep -c "\"stored\":\"inserted\"" out)" &&
	jq -r .market_id in.ndjson >want && jq -r .market_id out >got &&
	test_cmp want got
'

test_expect_success 'connections dropped mid-stream: retried, nothing lost or twice, counts exact' '
	ch_query "TRUNCATE TABLE pipe.markets" && proxy DROP=2-3 &&
	test_when_finished stop_proxy &&
	{ rec_run_start r2 replay && markets 1 300; } >in.ndjson &&
	store "$PURL" in.ndjson && expect_status 0 &&
	test_grep -x "dropped 2" proxy.log && test_grep -x "dropped 3" proxy.log &&
	test_num "$(grep -c "^insert" proxy.log)" -ge 5 "markets INSERTs" &&
	test_eq 300 "$(count pipe)" && test_eq 300 "$(count pipe "")" &&
	test_eq 300 "$(grep -c "\"kind\":\"market\".*\"stored\":\"inserted\"" out)" &&
	test_grep "301 records: 301 inserted, .* 0 failed" err &&
	printf "completed\t{\"records\":300,\"inserted\":300,\"updated\":0,\"unchanged\":0,\"duplicates\":0,\"skipped\":0,\"failed\":0}\n" >want &&
	run_counts pipe r2 >got && test_cmp want got
'

test_expect_success 'the server lost for good with a batch in flight: exit 3, every record said' '
	ch_query "TRUNCATE TABLE pipe.markets" && proxy DIE=3 &&
	test_when_finished stop_proxy &&
	markets 1 600 >in.ndjson &&
	PM_DB_TIMEOUT=2 store "$PURL" in.ndjson && expect_status 3 &&
	test_grep "within 2 s (PM_DB_TIMEOUT)" err &&
	test_grep -v "AddressSanitizer\|runtime error" err &&
	stored=$(grep -c "\"stored\":\"inserted\"" out) &&
	test_num "$stored" -gt 0 && test_eq "$stored" "$(count pipe)" &&
	test_num "$(grep -c "\"reason\":\"store_failed\"" out)" -gt 0 &&
	jq -r "select(.kind == \"market\") | .market_id" out >got &&
	head -n "$(wc -l <got)" in.ndjson | jq -r .market_id >want &&
	test_cmp want got
'

test_expect_success 'rows refused, found while the next batch is gathered: only they fail, in place' '
	db bis && url=clickhouse://127.0.0.1:$PORT/bis &&
	run pm-store --schema clickhouse --db "$url" && expect_status 0 &&
	ch_query "ALTER TABLE bis.markets MODIFY COLUMN slug Nullable(Int64)" &&
	{ rec_run_start r4 replay && markets 1 300 50,150,151; } >in.ndjson &&
	store "$url" in.ndjson && expect_status 1 &&
	test_grep "301 records: 298 inserted, 0 updated, 0 unchanged, 0 duplicate, 0 skipped, 3 failed" err &&
	test_eq 297 "$(count bis)" &&
	jq -r "if .kind == \"failure\" then \"F\" elif .kind == \"run\" then \"R\" else .market_id end" out >got &&
	{ echo R && for i in $(seq 300); do
		echo "m$i"
		case $i in 50|150|151) echo F ;; esac
	done && echo R; } >want && test_cmp want got &&
	test_eq 3 "$(grep -c "\"kind\":\"failure\".*\"detail\":\"markets: " out)" &&
	test_eq 3 "$(ch_query "SELECT count() FROM bis.processing_failures FINAL WHERE run_id = '\''r4'\'' AND detail LIKE '\''markets: %'\''")" &&
	printf "partial\t{\"records\":300,\"inserted\":297,\"updated\":0,\"unchanged\":0,\"duplicates\":0,\"skipped\":0,\"failed\":3}\n" >want &&
	run_counts bis r4 >got && test_cmp want got
'
test_done
