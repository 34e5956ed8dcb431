# shellcheck shell=bash
# tests/db-faults.sh - what t0940 (SQLite) and t0941 (PostgreSQL) share to
# break the database under pm-store, sourced after lib.sh and pg.sh:
#
#   STREAM, CLEAN        a run, 100 markets with their raw payloads and a
#                        group per 5 markets; the db_dump of one clean store
#   store_fifo URL       pm-store --db URL in the background ($store_pid),
#                        reading a fifo held open on fd 3, so the test says
#                        when the input goes on and when it ends
#   feed FROM [TO]       lines FROM..TO (or to the end) of STREAM into it
#   store_wait           close the input, wait: $status, and $elapsed_ms
#                        since $t0 (set it with t0=$(now_ms) at the fault)
#   said_stored OUT...   what pm-store's annotated outputs say it stored
#   db_stored URL        the same keys, read from the database
#   wait_for CMD...      until CMD succeeds (30 s at most)
#   has_rows URL TABLE N TABLE has N rows
#
# A group commits on its own, so after line 12 (the run, 5 raw+market
# pairs, their group) that much is durable; the lines after it are
# committed when pm-store has read them and finds no more input ready
# (store_idle), so a fifo fed up to line N has N durable lines.

N_MARKETS=100
jq -c ".[]" "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json | pm-normalize |
    python3 "$TOP/bench/store_gen.py" "$N_MARKETS" --groups >"$TMP/stream.ndjson"
STREAM=$TMP/stream.ndjson
pm-store --db "$TMP/clean.db" "$STREAM" >/dev/null 2>&1
db_dump "$TMP/clean.db" >"$TMP/clean.dump"
CLEAN=$TMP/clean.dump

now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((10#$t / 1000))
}

wait_for() {
	local i=0
	until "$@"; do
		i=$((i + 1))
		[ $i -lt 600 ] || { echo "gave up waiting for: $*"; return 1; }
		sleep 0.05
	done
}

# timeout: a pm-store that hangs is killed, and the case fails on it
store_fifo() {
	mkfifo fifo
	timeout 120 pm-store --db "$1" <fifo >out 2>err &
	store_pid=$!
	exec 3>fifo
}

# A pm-store that stopped reading makes the writer fail: that is fine.
feed() {
	sed -n "$1,${2:-\$}p" "$STREAM" >&3 2>/dev/null || true
}

store_wait() {
	exec 3>&-
	status=0
	wait "$store_pid" || status=$?
	elapsed_ms=$(($(now_ms) - ${t0:?set t0 at the fault}))
	echo "pm-store exit $status after $elapsed_ms ms"
}

said_stored() {
	cat "$@" | jq -r 'select(.stored != null and .stored != "failed") |
	    if .kind == "raw" then "r \(.sha256)"
	    elif .kind == "market" then "m \(.market_id)"
	    elif .kind == "group" then "g \(.event_key)"
	    else empty end' | LC_ALL=C sort -u
}

# Plus: every stored group has all its markets (a group is atomic).
db_stored() {
	local sql="SELECT 'r ' || sha256 FROM raw_responses
	    UNION ALL SELECT 'm ' || market_id FROM markets
	    UNION ALL SELECT 'g ' || event_key FROM processed_events
	    UNION ALL SELECT 'partial group ' || event_key FROM processed_events e
	    WHERE n_markets <> (SELECT count(*) FROM processed_markets m
	    WHERE m.event_key = e.event_key)"
	case $1 in
	postgres*) psql -X -A -t -q "$1" -c "$sql" ;;
	*) sqlite3 "$1" "$sql" ;;
	esac | LC_ALL=C sort -u
}

# stored_as_said URL OUT...: the database holds exactly what pm-store said
# it stored: nothing half-written, nothing lost
stored_as_said() {
	local url=$1
	shift
	said_stored "$@" >said && db_stored "$url" >have && test_cmp said have &&
	    test -s have
}

# has_rows URL TABLE N: TABLE has N rows
has_rows() {
	[ "$(rows "$1" "$2")" = "$3" ]
}

# rows URL TABLE
rows() {
	case $1 in
	postgres*) psql -X -A -t -q "$1" -c "SELECT count(*) FROM $2" 2>/dev/null ;;
	*) sqlite3 "$1" "SELECT count(*) FROM $2" 2>/dev/null ;;
	esac
}

# PostgreSQL (tests/pg.sh): a session of database $1 waiting for a lock
# another holds
lock_waiter() {
	test "$(psql -X -A -t -q "$PG_URL" -c "SELECT count(*) FROM pg_stat_activity
	    WHERE datname = '$1' AND wait_event_type = 'Lock'")" -ge 1
}

# a session named pmlock (PGAPPNAME) holds its table locked
lock_held() {
	test "$(psql -X -A -t -q "$PG_URL" -c "SELECT count(*) FROM pg_locks l
	    JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'pmlock'
	    AND l.mode = 'AccessExclusiveLock' AND l.granted")" -ge 1
}
