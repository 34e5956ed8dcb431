# shellcheck shell=bash
# tests/pg.sh - a throwaway PostgreSQL server for the tests, sourced after
# lib.sh:
#
#   . "$(dirname "$0")/pg.sh"
#   pg_start            # sets PG_URL, stops the server at exit
#   test_expect_success '...' 'pg_ready && pm-store --db "$PG_URL" ...'
#
# PG_OPTS, set before pg_start: more server settings ("-c name=value"),
# such as shared_preload_libraries=pg_stat_statements.  PGB_OPTS, set
# before pgbouncer_start: more PgBouncer settings, a "name = value" line
# each, such as query_wait_timeout = 2.
#
# initdb refuses to run as root, so the server runs as an unprivileged
# user (pmtest, made if missing, else nobody) in a private directory with
# its socket there and no TCP at all.  A missing initdb or pg_ctl, or a
# server that does not start, FAILS the cases that need it: a skipped
# PostgreSQL test would hide a missing part.
#
# pg_start_tls: after pg_start, the same server also on 127.0.0.1 (an
# ephemeral port) with TLS, its certificate a throwaway one made by
# openssl.  Sets PG_TLS_PORT and PG_TLS_URL.
PG_TLS_PORT=
PG_TLS_URL=

pg_start_tls() {
	[ -n "$PG_URL" ] || return 1
	PG_TLS_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	if ! openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
	    -keyout "$PG_DIR/data/server.key" -out "$PG_DIR/data/server.crt" \
	    >"$PG_DIR/openssl.log" 2>&1; then
		PG_ERR="openssl failed: $(tail -3 "$PG_DIR/openssl.log")"
		return 1
	fi
	chmod 600 "$PG_DIR/data/server.key"
	[ -n "$PG_USER" ] && chown "$PG_USER" "$PG_DIR/data/server.key" "$PG_DIR/data/server.crt"
	if ! pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" \
	    -w -t 60 -o "-c listen_addresses=127.0.0.1 -c port=$PG_TLS_PORT -c unix_socket_directories=$PG_DIR -c fsync=off -c max_connections=40 -c ssl=on" \
	    restart >/dev/null 2>&1; then
		PG_ERR="server did not restart with TLS: $(tail -3 "$PG_DIR/server.log")"
		return 1
	fi
	PG_URL="postgresql://postgres@/postgres?host=$PG_DIR&port=$PG_TLS_PORT"
	PG_TLS_URL="postgresql://postgres@127.0.0.1:$PG_TLS_PORT/postgres"
	export PG_URL PG_TLS_URL
}

# pgbouncer_start: PgBouncer in transaction mode in front of pg_start's
# server, as the same unprivileged user, in its own directory, on a unix
# socket only, with a server pool of 2 (fewer than the clients the tests
# run): every transaction may get another server connection.  Sets
# PGB_DIR and PGB_URL; pgb_url NAME is database NAME through it.  Stopped
# at exit with the server.
PGB_DIR=
PGB_URL=

# pgbouncer_start_tls: the same, also on 127.0.0.1 (an ephemeral port)
# with TLS required of clients, as a hosted pooler is (its certificate a
# throwaway one made by openssl).  Sets PGB_TLS_PORT; pgb_tls_url NAME is
# database NAME through it.
PGB_TLS_PORT=

pgbouncer_start_tls() {
	PGB_TLS_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	pgbouncer_start
}

pgb_tls_url() {
	echo "postgresql://postgres@127.0.0.1:$PGB_TLS_PORT/$1"
}

pgbouncer_start() {
	local bin port=${PGB_TLS_PORT:-6432} addr='' tls=''
	bin=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
	if [ ! -x "$bin" ]; then
		PG_ERR="pgbouncer not found (install pgbouncer)"
		return 1
	fi
	[ -n "$PG_URL" ] || return 1
	PGB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pm-pgb.XXXXXX") || return 1
	chmod 755 "$PGB_DIR"
	if [ -n "$PGB_TLS_PORT" ]; then
		if ! openssl req -x509 -newkey rsa:2048 -nodes -days 1 \
		    -subj /CN=localhost -keyout "$PGB_DIR/tls.key" \
		    -out "$PGB_DIR/tls.crt" >"$PGB_DIR/openssl.log" 2>&1; then
			PG_ERR="openssl failed: $(tail -3 "$PGB_DIR/openssl.log")"
			return 1
		fi
		chmod 600 "$PGB_DIR/tls.key"
		addr=127.0.0.1 tls="client_tls_sslmode = require
client_tls_key_file = $PGB_DIR/tls.key
client_tls_cert_file = $PGB_DIR/tls.crt"
	fi
	[ -n "$PG_USER" ] && chown -R "$PG_USER" "$PGB_DIR"
	cat >"$PGB_DIR/pgbouncer.ini" <<-EOF
	[databases]
	* = host=$PG_DIR user=postgres
	[pgbouncer]
	listen_addr = $addr
	listen_port = $port
	${tls}
	unix_socket_dir = $PGB_DIR
	auth_type = any
	pool_mode = transaction
	default_pool_size = 2
	min_pool_size = 0
	reserve_pool_size = 0
	max_client_conn = 200
	logfile = $PGB_DIR/pgbouncer.log
	pidfile = $PGB_DIR/pgbouncer.pid
	${PGB_OPTS:-}
	EOF
	echo "$PGB_DIR" >"$PG_DIR/pgbouncer.dir"
	if ! pg_as "$bin" -d "$PGB_DIR/pgbouncer.ini" >"$PGB_DIR/start.log" 2>&1; then
		PG_ERR="pgbouncer did not start: $(tail -3 "$PGB_DIR/start.log" "$PGB_DIR/pgbouncer.log" 2>/dev/null)"
		return 1
	fi
	PGB_URL="postgresql://postgres@/postgres?host=$PGB_DIR&port=$port"
	export PGB_URL
	local i=0
	until psql -X -A -t -q "$PGB_URL" -c "select 1" >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			PG_ERR="pgbouncer does not answer: $(tail -3 "$PGB_DIR/pgbouncer.log")"
			PGB_URL=
			return 1
		fi
		sleep 0.1
	done
}

# pgbouncer_stop [DIR]: the one of PGB_DIR, or of DIR
pgbouncer_stop() {
	local d=${1:-$PGB_DIR}
	[ -n "$d" ] || return 0
	[ -f "$d/pgbouncer.pid" ] && kill "$(cat "$d/pgbouncer.pid")" 2>/dev/null
	rm -rf "$d" "$PG_DIR/pgbouncer.dir"
	PGB_DIR=
}

pgb_url() {
	echo "postgresql://postgres@/$1?host=$PGB_DIR&port=${PGB_TLS_PORT:-6432}"
}

# In a case: fails, saying why, when there is no pooler.
pgb_ready() {
	[ -n "$PGB_URL" ] && return 0
	echo "no PgBouncer: ${PG_ERR:-pgbouncer_start not called}"
	return 1
}

# pg_url_via NAME VIA: database NAME's URL, directly (VIA direct) or
# through PgBouncer (VIA pgbouncer)
pg_url_via() {
	if [ "$2" = pgbouncer ]; then
		pgb_url "$1"
	else
		echo "postgresql://postgres@/$1?host=$PG_DIR"
	fi
}

# pg_settled NAME: no server session of database NAME in a transaction:
# what a pm-store has read is committed
pg_settled() {
	test "$(psql -X -A -t -q "$PG_URL" -c "SELECT count(*)
	    FROM pg_stat_activity WHERE datname = '$1' AND state <> 'idle'")" = 0
}

# pg_refusing NAME: a new database NAME with pm-store's schema whose
# server refuses a market asking a question that starts "BOOM" and a
# contract whose outcome is "BOOM" (tests/mark-markets.py makes them)
pg_refusing() {
	local u
	u=$(pg_newdb "$1") && pm-store --db "$u" </dev/null >/dev/null 2>&1 &&
	psql -X -q -v ON_ERROR_STOP=1 "$u" \
	    -c "ALTER TABLE markets ADD CONSTRAINT no_boom CHECK (question NOT LIKE 'BOOM%')" \
	    -c "ALTER TABLE contracts ADD CONSTRAINT no_boom CHECK (outcome <> 'BOOM')"
}

# pgb_held URL: what each server connection of the pool (2) holds
# prepared, one line each ("PID COUNT"): two clients at once, each in a
# transaction, take one server connection each
pgb_held() {
	for _ in 1 2; do
		psql -X -A -t -q -v ON_ERROR_STOP=1 "$1" -c "BEGIN" \
		    -c "SELECT pg_backend_pid() || ' ' || count(*) FROM pg_prepared_statements" \
		    -c "SELECT pg_sleep(0.5)" -c "COMMIT" | grep ' ' &
	done
	wait
}

# db_dump URL: the compared contents of every table, one line per row,
# sorted, the same text for SQLite and PostgreSQL.  Columns that vary per
# store by design are left out: surrogate ids, stored_at, first_seen_at,
# processed_at, recorded_at, applied_at, and a run's finished_at, status
# and counts (they describe the last pm-store over the run, not the data).

PG_URL=
PG_DIR=
PG_BIN=
PG_USER=
PG_ERR=

pg_start() {
	PG_BIN=$(pg_config --bindir 2>/dev/null)
	[ -x "$PG_BIN/initdb" ] || PG_BIN=/usr/lib/postgresql/15/bin
	if [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
		PG_ERR="initdb/pg_ctl not found (install postgresql-15)"
		return 1
	fi
	if [ "$(id -u)" -eq 0 ]; then
		id pmtest >/dev/null 2>&1 ||
		    useradd -r -M -d /nonexistent -s /usr/sbin/nologin pmtest \
		    >/dev/null 2>&1 || true
		PG_USER=pmtest
		id pmtest >/dev/null 2>&1 || PG_USER=nobody
	fi
	# started again (a case of its own each): the one before is stopped
	pg_stop
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pm-pg.XXXXXX") || return 1
	chmod 755 "$PG_DIR"
	[ -n "$PG_USER" ] && chown "$PG_USER" "$PG_DIR"
	trap 'test_exit_cleanup pg_stop' EXIT
	pg_watch
	if ! pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres \
	    --auth=trust -E UTF8 --no-sync >"$PG_DIR/initdb.log" 2>&1; then
		PG_ERR="initdb failed: $(tail -3 "$PG_DIR/initdb.log")"
		return 1
	fi
	if ! pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" \
	    -w -t 60 -o "-c listen_addresses='' -c unix_socket_directories=$PG_DIR -c fsync=off -c max_connections=40 ${PG_OPTS:-}" \
	    start >/dev/null 2>&1; then
		PG_ERR="server did not start: $(tail -3 "$PG_DIR/server.log")"
		return 1
	fi
	PG_URL="postgresql://postgres@/postgres?host=$PG_DIR"
	export PG_URL
}

# pg_watch: a watch on the script that outlives it, so that no server is
# left running whatever the way the script ends: when the script is gone
# and its server (or PgBouncer) is not, as when a later `trap ... EXIT`
# replaced the one that stops them (t0715 did, and left a PostgreSQL
# running after the suite) or the script was killed, it stops them.  In
# a subshell of its own, it is no job of the script's (a `wait` does not
# wait for it), and holds none of its output.
pg_watch() {
	( (
		trap '' HUP INT TERM
		while kill -0 $$ 2>/dev/null; do sleep 1; done
		[ -f "$PG_DIR/pgbouncer.dir" ] &&
		    pgbouncer_stop "$(cat "$PG_DIR/pgbouncer.dir")"
		[ -d "$PG_DIR" ] && pg_stop
	) </dev/null >/dev/null 2>&1 & )
}

pg_as() {
	if [ -n "$PG_USER" ]; then
		runuser -u "$PG_USER" -- "$@"
	else
		"$@"
	fi
}

pg_stop() {
	pgbouncer_stop
	[ -n "$PG_DIR" ] || return 0
	[ -f "$PG_DIR/data/postmaster.pid" ] &&
	    pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop \
	    >/dev/null 2>&1
	rm -rf "$PG_DIR"
	PG_DIR=
}

# In a case: fails, saying why, when there is no server.
pg_ready() {
	[ -n "$PG_URL" ] && return 0
	echo "no PostgreSQL server: ${PG_ERR:-pg_start not called}"
	return 1
}

# pg_newdb NAME: a fresh database on the server; prints its URL, through
# PgBouncer when PM_PG_POOLED is set (and pgbouncer_start was called).
pg_newdb() {
	PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 "$PG_URL" -c "DROP DATABASE IF EXISTS $1" \
	    -c "CREATE DATABASE $1" >/dev/null || return 1
	if [ -n "${PM_PG_POOLED:-}" ]; then
		pgb_ready >&2 && pgb_url "$1"
	else
		echo "postgresql://postgres@/$1?host=$PG_DIR${PG_TLS_PORT:+&port=$PG_TLS_PORT}"
	fi
}

# pg_enus_db NAME: a fresh database NAME made with an en-US collation
# (ICU, as a server's default locale often is: "a" before "B", unlike
# byte order); prints its URL, direct.
pg_enus_db() {
	psql -q -X -v ON_ERROR_STOP=1 "$PG_URL" -c "DROP DATABASE IF EXISTS $1" \
	    -c "CREATE DATABASE $1 TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'" \
	    >/dev/null 2>&1 || return 1
	echo "postgresql://postgres@/$1?host=$PG_DIR"
}

DUMP_TABLES="raw_responses:sha256,source,endpoint,url,fetched_at,request,payload,run_id
markets:source,market_id,condition_id,question_id,slug,question,description,event_id,event_slug,close_time,start_time,closed_time,updated_at,active,closed,archived,neg_risk,group_item_title,resolution_status,volume#,liquidity#,best_bid#,best_ask#,last_trade_price#,event,tags,raw_sha256,fetched_at,record,record_sha256,run_id
contracts:source,market_id,outcome_index,outcome,token_id,price#
events:source,event_id,slug,title,description,start_time,end_time,updated_at,active,closed,archived,neg_risk,volume#,liquidity#,tags,market_ids,raw_sha256,fetched_at,record,record_sha256,run_id
tags:source,tag_id,slug,label
price_history:token_id,side,ts,price#,market_id,outcome,raw_sha256,run_id
processing_runs:run_id,flow,run_date,target_date,window_days,started_at,git_sha,environment,options
processed_events:event_key,run_id,event_id,n_markets,n_results,record
processed_markets:event_key,market_id,run_id,question,close_time,volume#,liquidity#,active,closed,record
processed_contracts:event_key,market_id,outcome_index,run_id,outcome,token_id,price#
experiments:experiment_id,suite,stage,variant,type,fingerprint,version,description
experiment_runs:run_id,experiment_id,status,n_ok,n_failed,n_skipped,fingerprint,version,description
experiment_results:event_key,experiment_id,run_id,suite,stage,variant,type,status,output,probabilities,started_at,finished_at,latency_ms#,error,fingerprint,version,markets,lead
research_artifacts:event_key,experiment_id,run_id,content,fingerprint,markets,provenance
experiment_markets:event_key,experiment_id,fingerprint,markets,market_id,run_id,close_time,lead_h#
processing_failures:failure_sha256,run_id,stage,reason,retriable,market_id,event_key,input,url,detail
schema_migrations:version,name"

# db_dump URL: every compared column as JSON text, one row a line, sorted
# (one transaction per table: it works through a transaction pooler).
# Doubles (marked #) are printed as %.15g on both sides: SQLite's printf
# and PostgreSQL's float8 output with extra_float_digits=0.
db_dump() {
	printf '%s\n' "$DUMP_TABLES" | while IFS=: read -r t cols; do
		sel=
		for c in $(printf '%s' "$cols" | tr , ' '); do
			case $1 in
			postgres*) e="${c%#}::text" ;;
			*) case $c in
			   *#) e="IIF(${c%#} IS NULL, NULL, printf('%.15g', ${c%#}))" ;;
			   *) e="CAST($c AS TEXT)" ;;
			   esac ;;
			esac
			sel="$sel, $e"
		done
		case $1 in
		postgres*)
			psql -X -A -t -q -1 "$1" -c "SET LOCAL extra_float_digits = 0" \
			    -c "SELECT json_build_array('$t'$sel) FROM $t" ;;
		*)
			sqlite3 "${1#sqlite:}" "SELECT json_array('$t'$sel) FROM $t" ;;
		esac
	done | sed 's/, /,/g' | LC_ALL=C sort
}
