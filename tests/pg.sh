# shellcheck shell=bash
# tests/pg.sh - a throwaway PostgreSQL server for the tests, sourced after
# lib.sh:
#
#   . "$(dirname "$0")/pg.sh"
#   pg_start            # sets PG_URL, stops the server at exit
#   test_expect_success '...' 'pg_ready && pm-store --db "$PG_URL" ...'
#
# initdb refuses to run as root, so the server runs as an unprivileged
# user (pmtest, made if missing, else nobody) in a private directory with
# its socket there and no TCP at all.  A missing initdb or pg_ctl, or a
# server that does not start, FAILS the cases that need it: a skipped
# PostgreSQL test would hide a missing part.
#
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
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pm-pg.XXXXXX") || return 1
	chmod 755 "$PG_DIR"
	[ -n "$PG_USER" ] && chown "$PG_USER" "$PG_DIR"
	trap 'pg_stop; rm -rf "$TMP"' EXIT
	if ! pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres \
	    --auth=trust -E UTF8 --no-sync >"$PG_DIR/initdb.log" 2>&1; then
		PG_ERR="initdb failed: $(tail -3 "$PG_DIR/initdb.log")"
		return 1
	fi
	if ! pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" \
	    -w -t 60 -o "-c listen_addresses='' -c unix_socket_directories=$PG_DIR -c fsync=off -c max_connections=40" \
	    start >/dev/null 2>&1; then
		PG_ERR="server did not start: $(tail -3 "$PG_DIR/server.log")"
		return 1
	fi
	PG_URL="postgresql://postgres@/postgres?host=$PG_DIR"
	export PG_URL
}

pg_as() {
	if [ -n "$PG_USER" ]; then
		runuser -u "$PG_USER" -- "$@"
	else
		"$@"
	fi
}

pg_stop() {
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

# pg_newdb NAME: a fresh database on the server; prints its URL.
pg_newdb() {
	PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 "$PG_URL" -c "DROP DATABASE IF EXISTS $1" \
	    -c "CREATE DATABASE $1" >/dev/null &&
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

# db_dump URL: every compared column as JSON text, one row a line, sorted.
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
			psql -X -A -t -q "$1" -c "SET extra_float_digits = 0" \
			    -c "SELECT json_build_array('$t'$sel) FROM $t" ;;
		*)
			sqlite3 "${1#sqlite:}" "SELECT json_array('$t'$sel) FROM $t" ;;
		esac
	done | sed 's/, /,/g' | LC_ALL=C sort
}
