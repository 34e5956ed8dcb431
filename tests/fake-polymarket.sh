# shellcheck shell=bash
# tests/fake-polymarket.sh - start and stop tests/fake-polymarket.py from a
# test script (source it after lib.sh).
#
#   fake_start NAME [server options]   start a server, wait for its port;
#                                      sets FAKE_URL (https:// with --tls)
#                                      and FAKE_PORT, and exports
#                                      PM_GAMMA_URL, PM_CLOB_URL and
#                                      PM_DATA_URL to it
#   fake_stats [KEY ...]               GET /_stats of the current server,
#                                      or one value (jq path) of it
#   fake_control JSON                  POST /_control to the current server
#   fake_reset                         POST /_reset (counters back to zero)
#                                      (these three: plain HTTP servers only)
#   webhook_start PATH                 start tests/fake-webhook.py, its log
#                                      $TMP/hook.log; sets HOOK to its URL
#                                      with PATH; posts counts the POSTs
#
# Servers are killed when the script exits, also those a case started in
# its subshell: their pids go to a file, not only to a variable.  Until one is started, the
# base URLs point at a closed local port, so a test can never reach the
# real Polymarket.
PM_GAMMA_URL=http://127.0.0.1:9
PM_CLOB_URL=http://127.0.0.1:9
PM_DATA_URL=http://127.0.0.1:9
export PM_GAMMA_URL PM_CLOB_URL PM_DATA_URL
FAKE_PIDS=

fake_stop_all() {
	local p pids
	pids="$FAKE_PIDS $(cat "$TMP/fake.pids" 2>/dev/null)"
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	for p in $pids; do
		while kill -0 "$p" 2>/dev/null; do sleep 0.05; done
	done
}
trap 'test_exit_cleanup fake_stop_all' EXIT

fake_start() {
	local name=$1 scheme=http _
	shift
	case " $* " in *" --tls "*) scheme=https ;; esac
	rm -f "$TMP/$name.port"
	python3 "$TESTS_DIR/fake-polymarket.py" --port-file "$TMP/$name.port" \
	    "$@" 2>"$TMP/$name.log" &
	FAKE_PIDS="$FAKE_PIDS $!"
	echo "$!" >>"$TMP/fake.pids"
	for _ in $(seq 200); do
		[ -s "$TMP/$name.port" ] && break
		sleep 0.05
	done
	if ! [ -s "$TMP/$name.port" ]; then
		echo "fake-polymarket did not start:" >&2
		cat "$TMP/$name.log" >&2
		return 1
	fi
	FAKE_PORT=$(cat "$TMP/$name.port")
	FAKE_URL=$scheme://127.0.0.1:$FAKE_PORT
	PM_GAMMA_URL=$FAKE_URL
	PM_CLOB_URL=$FAKE_URL
	PM_DATA_URL=$FAKE_URL
	export FAKE_URL FAKE_PORT PM_GAMMA_URL PM_CLOB_URL PM_DATA_URL
}

webhook_start() {
	python3 "$TESTS_DIR/fake-webhook.py" --port-file "$TMP/hook.port" \
	    --log "$TMP/hook.log" 2>"$TMP/hook.err" &
	echo "$!" >>"$TMP/fake.pids"
	for _ in $(seq 100); do [ -s "$TMP/hook.port" ] && break; sleep 0.05; done
	HOOK=http://127.0.0.1:$(cat "$TMP/hook.port")$1
}

posts() { if [ -f "$TMP/hook.log" ]; then wc -l <"$TMP/hook.log"; else echo 0; fi; }

fake_stats() {
	if [ $# -eq 0 ]; then
		curl -sf "$FAKE_URL/_stats"
	else
		curl -sf "$FAKE_URL/_stats" | jq -r "$1"
	fi
}

fake_control() {
	curl -sf -X POST --data "$1" "$FAKE_URL/_control" >/dev/null
}

fake_reset() {
	curl -sf -X POST "$FAKE_URL/_reset" >/dev/null
}

# jq_all EXPR FILE: over FILE's records EXPR yields at least one value and
# every value is true (jq 1.6's -e looks at the last output only).
jq_all() {
	jq -se "[.[] | $1] | length > 0 and all" "$2" >/dev/null
}

# fake_touch K: every Kth market changes now; prints the touched ids
fake_touch() {
	curl -sf -X POST --data "{\"every\":$1}" "$FAKE_URL/_touch" | jq -r '.touched[]'
}
