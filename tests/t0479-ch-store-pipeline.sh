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
# proxy [VAR=VALUE...]: a proxy (tests/ch-proxy.py: HOLD, DROP, DIE) in
# this case's dir; $PURL is the database pipe on the server behind it
proxy() {
	local p
	p=$(ch_free_port) || return 1
	env "$@" python3 "$TESTS_DIR/ch-proxy.py" "$p" "$PORT" 3>&- &
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

# a load balancer in front of a server that restarts answers 502 or 504
# (ClickHouse itself never does): the INSERT was taken for refused by the
# server, its records failed store_failed, exit 3; it is tried again, as
# for a connection dropped
for st in 502 504; do
test_expect_success "INSERTs answered $st by a proxy: retried, nothing lost or twice" '
	ch_query "TRUNCATE TABLE pipe.markets" && proxy DROP=2-3 DROP_STATUS=$st &&
	test_when_finished stop_proxy &&
	{ rec_run_start r$st replay && markets 1 300; } >in.ndjson &&
	store "$PURL" in.ndjson && expect_status 0 &&
	test_grep -x "dropped 3" proxy.log &&
	test_eq 300 "$(count pipe)" && test_eq 300 "$(count pipe "")" &&
	test_eq 300 "$(grep -c "\"kind\":\"market\".*\"stored\":\"inserted\"" out)" &&
	test_grep "301 records: 301 inserted, .* 0 failed" err
'
done

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
