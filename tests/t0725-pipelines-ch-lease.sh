#!/bin/bash
# The run lock on ClickHouse (pm-summary --hold): a lease row in
# run_leases (ClickHouse migration 3), renewed every third of --ttl, so
# that a flow killed outright (its machine off) is not "running" forever,
# and claims read back past their visibility point, so that two machines
# (two TMPDIRs: the flock of before was in TMPDIR) never run a flow at once.
# Before: the lock was an flock in $TMPDIR only, a run killed with kill -9
# stayed running in status for good and no later run marked it abandoned,
# and a second machine ran the same flow at the same time.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/ch.sh"

ch_start lease || { say "$CH_ERR"; exit 1; }
fake_start pm --markets 40 --events 4
trap 'ch_stop_all; fake_stop_all; rm -rf "$TMP"' EXIT

P=$TOP/pipelines.sh
q() { ch_query "$1"; }
# newch: a new database for the case, its URL in $DB
newch() {
	DB=${CH_URL%/*}/l$test_n
	q "CREATE DATABASE l$test_n"
}
# on DIR FLOW ARGS: pipelines.sh FLOW on $DB from machine DIR (its TMPDIR)
on() {
	local d=$1
	shift
	mkdir -p "$d" && TMPDIR=$PWD/$d run "$P" "$@" --env-file /dev/null --db "$DB" --no-dump
}
# running ID: run ID of the events flow, started and never ended (pm-store
# ends a run at the end of its input: this is a row written as a run
# killed mid-way leaves it)
running() {
	q "INSERT INTO l$test_n.processing_runs (run_id, flow, started_at, status, stored_at, row_version) VALUES ('$1', 'events', '$(date -u +%Y-%m-%dT%H:%M:%SZ)', 'running', '$(date -u +%Y-%m-%dT%H:%M:%SZ)', 1)"
}
# status of run ID as stored (FINAL: the latest version)
stored() { q "SELECT ifNull(status, 'running') FROM l$test_n.processing_runs FINAL WHERE run_id = '$1'"; }

test_expect_success 'a flow killed with kill -9 mid-run: status says abandoned once its lease expires; the next run on another machine marks it so' '
	newch && mkdir -p m1 m2 &&
	on m1 events && expect_status 0 &&
	fake_control "{\"latency_ms\":1500}" &&
	test_when_finished "fake_control \"{\\\"latency_ms\\\":0}\"" &&
	# the machine going off: the driver, its holder and its stages at once
	( cd m1 || exit; TMPDIR=$PWD PM_LOCK_TTL=3 setsid "$P" events --env-file /dev/null \
	    --db "$DB" --no-dump >out 2>err & echo $! >pid ) &&
	for _ in $(seq 200); do
		test "$(q "SELECT count() FROM l$test_n.processing_runs FINAL WHERE ifNull(status, '\''running'\'') = '\''running'\''")" = 1 && break
		sleep 0.1
	done &&
	dead=$(q "SELECT run_id FROM l$test_n.processing_runs FINAL WHERE ifNull(status, '\''running'\'') = '\''running'\''") &&
	test -n "$dead" &&
	kill -9 -- "-$(cat m1/pid)" &&
	while kill -0 -- "-$(cat m1/pid)" 2>/dev/null; do sleep 0.1; done &&
	fake_control "{\"latency_ms\":0}" &&
	test_eq running "$(stored "$dead")" &&
	# the lease lasts 3 s from its last renewal, in whole seconds of
	# the server clock
	sleep 4.5 &&
	run pm-summary --status --json --db "$DB" --flow events && expect_status 0 &&
	jq -e ".flows[0].last_run_status == \"abandoned\" and .runs.running == 0 and
		.runs.failed == 1 and .runs.last[0].run_id == \"$dead\" and
		.runs.last[0].status == \"abandoned\"" out >/dev/null &&
	run pm-summary --status --db "$DB" --flow events && expect_status 0 &&
	test_grep "^runs: last 2: 1 completed, 0 partial, 1 failed, 0 running" out &&
	test_grep "^  $dead  *events  *abandoned " out &&
	# the other machine: its own TMPDIR, a lock file of its own
	on m2 events && expect_status 0 &&
	test_grep "1 earlier events run marked abandoned" err &&
	test_eq abandoned "$(stored "$dead")" &&
	test -n "$(q "SELECT finished_at FROM l$test_n.processing_runs FINAL WHERE run_id = '\''$dead'\''")"
'

test_expect_success 'a run whose holder lives stays running, in status and for another machine; given back unended, abandoned' '
	newch && on m3 events && expect_status 0 &&
	( sleep 60 | TMPDIR=$PWD/m3 pm-summary --hold events --db "$DB" --run-id live1 \
	    --ttl 3 >held 2>hold.err & echo $! >hpid ) &&
	test_when_finished "kill \$(cat hpid) 2>/dev/null || :" &&
	for _ in $(seq 100); do grep -q locked held && break; sleep 0.1; done &&
	grep -q locked held &&
	running live1 &&
	# past its --ttl: renewed meanwhile
	sleep 4.5 &&
	run pm-summary --status --json --db "$DB" --flow events && expect_status 0 &&
	jq -e ".runs.running == 1 and .flows[0].last_run_status == \"running\"" out >/dev/null &&
	on m4 events && expect_status 4 && test_eq running "$(stored live1)" &&
	# SIGTERM: the lease given back, the run never ended
	kill "$(cat hpid)" &&
	while kill -0 "$(cat hpid)" 2>/dev/null; do sleep 0.1; done &&
	run pm-summary --status --json --db "$DB" --flow events && expect_status 0 &&
	jq -e ".runs.running == 0 and .flows[0].last_run_status == \"abandoned\"" out >/dev/null
'

test_expect_success 'two machines, one ClickHouse: the second run exits 4 while the first holds the lock' '
	newch && mkdir -p m4 &&
	TMPDIR=$PWD/m4 lock_hold "$DB" events &&
	on m5 events && expect_status 4 &&
	test_grep "another events run on this database holds its lease" err &&
	test_eq 0 "$(q "SELECT count() FROM l$test_n.processing_runs")" &&
	lock_release &&
	on m5 events && expect_status 0 &&
	test_eq completed "$(q "SELECT status FROM l$test_n.processing_runs FINAL")"
'

# contend N ROUNDS: N holders in their own TMPDIRs, each taking the static
# lock ROUNDS times (waiting for it), keeping it 0.4 s; each holding's
# start and end (monotonic clock) in held.txt
contend() {
	python3 - "$DB" "$1" "$2" <<-'PY'
	import os, subprocess, sys, threading, time
	db, n, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
	out, bad = [], []
	def one(k):
	    d = "c%d" % k
	    os.makedirs(d, exist_ok=True)
	    env = dict(os.environ, TMPDIR=os.path.abspath(d))
	    for r in range(rounds):
	        p = subprocess.Popen(["pm-summary", "--hold", "static", "--db", db,
	            "--wait", "120", "--run-id", "c%d-%d" % (k, r)], env=env,
	            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
	        line = p.stdout.readline()
	        t0 = time.monotonic()
	        if line != b"locked\n":
	            bad.append((k, r, line, p.wait()))
	            continue
	        time.sleep(0.4)
	        t1 = time.monotonic()
	        p.stdin.close()
	        rc = p.wait()
	        if rc != 0:
	            bad.append((k, r, "exit", rc))
	        out.append((t0, t1, k))
	ts = [threading.Thread(target=one, args=(k,)) for k in range(n)]
	for t in ts: t.start()
	for t in ts: t.join()
	with open("held.txt", "w") as f:
	    for t0, t1, k in sorted(out):
	        f.write("%.3f %.3f %d\n" % (t0, t1, k))
	for b in bad: print("not held:", b)
	sys.exit(1 if bad else 0)
	PY
}

test_expect_success 'contenders on four machines at once: never two holders at a time' '
	newch && contend 4 2 &&
	test_line_count held.txt -eq 8 &&
	awk "NR > 1 && \$1 < end { print \"overlap: \" \$0; bad = 1 } { end = \$2 } END { exit bad }" held.txt
'

test_expect_success 'a database at ClickHouse schema 2 with a run left running: upgraded in place by the next run, which marks it abandoned' '
	newch &&
	PM_SCHEMA_VERSION=2 pm-store --db "$DB" </dev/null >/dev/null 2>&1 &&
	running old &&
	test_eq 2 "$(q "SELECT max(version) FROM l$test_n.schema_migrations")" &&
	test_eq running "$(stored old)" &&
	# status reads a schema-2 database as it is: no lease, still running
	run pm-summary --status --json --db "$DB" --flow events && expect_status 5 &&
	jq -e ".runs.running == 1" out >/dev/null &&
	on m6 events && expect_status 0 &&
	test_grep "1 earlier events run marked abandoned" err &&
	test_eq abandoned "$(stored old)" &&
	test_eq 5 "$(q "SELECT max(version) FROM l$test_n.schema_migrations")" &&
	test_eq 1 "$(q "EXISTS TABLE l$test_n.run_leases")"
'
# last: the cluster's servers, started in the case, stop with it (ch.sh)
test_expect_success 'a cluster: the lease on its first server, a dead holder'"'"'s run abandoned through the Distributed table' '
	ch_cluster pml 2 || { say "$CH_ERR"; return 1; }
	# shellcheck disable=SC2086 # split on purpose: one URL per shard
	set -- $CH_URLS &&
	h1=${1#clickhouse://} h1=${h1%%/*} h2=${2#clickhouse://} h2=${h2%%/*} &&
	on() { curl -sf --data-binary "$2" "http://$1/"; } &&
	CL="$1?cluster=pml&shards=$h2" &&
	run pm-store --schema clickhouse --db "$CL" && expect_status 0 &&
	test_eq 1 "$(on "$h2" "EXISTS TABLE run_leases")" &&
	test_eq 0 "$(on "$h2" "EXISTS TABLE run_leases_local")" &&
	(sleep 30 | pm-summary --hold static --db "$CL" --run-id gone --ttl 3 >held 2>&1 & echo $! >hpid) &&
	test_when_finished "kill \$(cat hpid) 2>/dev/null || :" &&
	for _ in $(seq 100); do grep -q locked held && break; sleep 0.1; done &&
	grep -q locked held &&
	test_eq 1 "$(on "$h1" "SELECT count() FROM run_leases FINAL WHERE expires_at > toInt64(now())")" &&
	test_eq 0 "$(on "$h2" "SELECT count() FROM run_leases")" &&
	for i in $(seq 1 8); do printf "%s\n" "{\"kind\":\"run\",\"phase\":\"start\",\"run_id\":\"gone$i\",\"flow\":\"static\"}"; done >runs &&
	pm-store --db "$CL" runs >/dev/null 2>&1 &&
	# as a run killed mid-way leaves them: started, not ended
	curl -sf --data-binary "INSERT INTO processing_runs (run_id, flow, started_at, status, stored_at, row_version) SELECT run_id, flow, started_at, '\''running'\'', stored_at, row_version + 1 FROM processing_runs FINAL" "http://$h1/?insert_distributed_sync=1" &&
	test_num "$(on "$h2" "SELECT count() FROM processing_runs_local")" -gt 0 &&
	test_eq 8 "$(on "$h1" "SELECT count() FROM processing_runs FINAL WHERE status = '\''running'\''")" &&
	kill -9 "$(cat hpid)" && sleep 4.5 &&
	(sleep 3 | pm-summary --hold static --db "$CL" --run-id next >held2 2>err2) &&
	grep -q locked held2 && test_grep "8 earlier static runs marked abandoned" err2 &&
	test_eq 8 "$(on "$h1" "SELECT count() FROM processing_runs FINAL WHERE status = '\''abandoned'\''")"
'
test_done
