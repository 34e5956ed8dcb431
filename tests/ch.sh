# shellcheck shell=bash
# tests/ch.sh - a throwaway ClickHouse server for the tests, sourced after
# lib.sh:
#
#   . "$(dirname "$0")/ch.sh"
#   ch_start [NAME]     start a server in a temp dir; sets CH_HTTP (its
#                       http://127.0.0.1:PORT) and CH_URL (clickhouse://
#                       127.0.0.1:PORT/default); stopped when the script (or
#                       the test case that started it) exits
#   ch_query SQL        run SQL over HTTP against the last server started
#   ch_restart          start the last server again (same data, same
#                       ports) after a fault test killed it
#   ch_cluster NAME N   start N servers (ch_start) that all know cluster
#                       NAME, one shard each, in <remote_servers>; sets
#                       CH_URLS (their URLs, space-separated)
#   ch_newdb NAME       create database NAME on the last server started
#                       (if need be) and print its clickhouse:// URL
#   ch_dburl NAME       print the HTTP URL of database NAME there
#   ch_dbq NAME SQL     run SQL in database NAME there; its answer on
#                       standard output
#
# CH_PIDFILE holds the pid of the last server started, for fault tests.
# CH_USERS, when set, is the users.xml (users, profiles, quotas) of the
# next server, copied into its dir, instead of the system's.
#
# Debian 12's clickhouse-server is 18.16: it runs as the clickhouse user
# with a config naming path, tmp_path, ports, listen_host, users_config
# and mark_cache_size (it refuses to start without that one).  The ports
# are free ones on 127.0.0.1 found at start.  A missing server FAILS the
# cases that need it: a skipped test would hide a missing part.

# Sourced without lib.sh (bench/ch.sh): the EXIT trap stops the servers
# only; it used to fail there and leave them running.
declare -F test_exit_cleanup >/dev/null ||
    test_exit_cleanup() { local f; for f in "$@"; do "$f"; done; }

CH_HTTP=
CH_URL=
CH_ERR=
CH_DIRS=
CH_URLS=
CH_PIDFILE=
CH_DIR=
CH_USER=
# the next server's ports (HTTP:TCP) and more of its config (XML: the
# <remote_servers> of ch_cluster, a TLS test's <https_port> and <openSSL>)
CH_PORTS=
CH_EXTRA=

ch_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ch_proxy MATCH BODY DB: tests/ch-proxy.py in the case's directory, in
# front of the server on $PORT, answering the requests whose SQL matches
# MATCH with a 200 of BODY itself (an answer cut or garbled on its way, a
# proxy's page); $PROXY_URL is the database DB through it
ch_proxy() {
	local p
	p=$(ch_free_port) &&
	{ MATCH=$1 BODY=$2 python3 "$TESTS_DIR/ch-proxy.py" "$p" "$PORT" & } &&
	echo $! >proxy.pid && test_when_finished "kill \$(cat proxy.pid)" &&
	for _ in $(seq 100); do test -e proxy.ready && break; sleep 0.05; done &&
	PROXY_URL="clickhouse://127.0.0.1:$p/$3"
}

ch_stop_all() {
	local d
	for d in $CH_DIRS; do
		# CONT: a test may have stopped it (SIGSTOP)
		{ [ -s "$d/pid" ] && kill "$(cat "$d/pid")" &&
		    kill -CONT "$(cat "$d/pid")"; } 2>/dev/null || true
	done
	for d in $CH_DIRS; do
		while [ -s "$d/pid" ] && kill -0 "$(cat "$d/pid")" 2>/dev/null; do
			sleep 0.1
		done
		rm -rf "$d"
	done
}

ch_start() {
	local name=${1:-ch} d http tcp user=clickhouse users _
	if [ ! -x /usr/sbin/clickhouse-server ]; then
		CH_ERR="clickhouse-server not found (install clickhouse-server)"
		return 1
	fi
	[ "$(id -u)" -eq 0 ] || user=
	d=$(mktemp -d "${TMPDIR:-/tmp}/pm-ch-$name.XXXXXX") || return 1
	CH_DIRS="$CH_DIRS $d"
	# Started inside a test case (a subshell): stopped when the case
	# ends, and the script's $TMP, with the case's log, stays.
	trap 'test_exit_cleanup ch_stop_all' EXIT
	users=/etc/clickhouse-server/users.xml
	if [ -n "${CH_USERS:-}" ]; then
		users=$d/users.xml
		cp "$CH_USERS" "$users" || return 1
	fi
	if [ -n "$CH_PORTS" ]; then
		http=${CH_PORTS%:*} tcp=${CH_PORTS#*:}
	else
		http=$(ch_free_port) && tcp=$(ch_free_port) || return 1
	fi
	cat >"$d/config.xml" <<-XML
	<?xml version="1.0"?>
	<yandex>
	  <logger><level>warning</level><log>$d/server.log</log><errorlog>$d/error.log</errorlog></logger>
	  <path>$d/data/</path>
	  <tmp_path>$d/tmp/</tmp_path>
	  <http_port>$http</http_port>
	  <tcp_port>$tcp</tcp_port>
	  <listen_host>127.0.0.1</listen_host>
	  <users_config>$users</users_config>
	  <mark_cache_size>5368709120</mark_cache_size>
	  <default_profile>default</default_profile>
	  <default_database>default</default_database>
	  $CH_EXTRA
	</yandex>
	XML
	chmod 755 "$d"
	[ -n "$user" ] && chown -R "$user" "$d"
	CH_DIR=$d CH_USER=$user
	CH_HTTP=http://127.0.0.1:$http
	ch_launch || return 1
	CH_URL=clickhouse://127.0.0.1:$http/default
	CH_PIDFILE=$d/pid
	export CH_HTTP CH_URL CH_PIDFILE
}

# Start the server of $CH_DIR (as $CH_USER when set) and wait for it.
# On the real clock: tests/midnight.sh preloads libfaketime, under which
# clickhouse-server 18.16 does not start.
ch_launch() {
	local d=$CH_DIR _
	if [ -n "$CH_USER" ]; then
		env -u LD_PRELOAD su -s /bin/sh "$CH_USER" -c "cd '$d' && exec /usr/sbin/clickhouse-server --config-file='$d/config.xml' >>'$d/out' 2>&1 & echo \$! >'$d/pid'"
	else
		(cd "$d" && exec env -u LD_PRELOAD /usr/sbin/clickhouse-server --config-file="$d/config.xml" >>"$d/out" 2>&1) &
		echo $! >"$d/pid"
	fi
	for _ in $(seq 300); do
		curl -sf "$CH_HTTP/?query=SELECT%201" >/dev/null 2>&1 && break
		sleep 0.1
	done
	if ! curl -sf "$CH_HTTP/?query=SELECT%201" >/dev/null 2>&1; then
		CH_ERR="clickhouse-server did not start: $(tail -3 "$d/out" "$d/error.log" 2>/dev/null)"
		return 1
	fi
}

ch_restart() {
	local _
	# the old one's port must be free first
	for _ in $(seq 100); do
		kill -0 "$(cat "$CH_DIR/pid")" 2>/dev/null || break
		sleep 0.1
	done
	ch_launch
}

ch_cluster() {
	local cluster=$1 n=$2 i p ports='' xml
	for i in $(seq "$n"); do
		p=$(ch_free_port):$(ch_free_port) || return 1
		ports="$ports $p"
	done
	xml="<remote_servers><$cluster>"
	for p in $ports; do
		xml="$xml<shard><replica><host>127.0.0.1</host><port>${p#*:}</port></replica></shard>"
	done
	xml="$xml</$cluster></remote_servers>"
	CH_URLS=''
	i=0
	for p in $ports; do
		i=$((i + 1))
		CH_PORTS=$p CH_EXTRA=$xml ch_start "$cluster$i" || return 1
		CH_URLS="$CH_URLS${CH_URLS:+ }$CH_URL"
	done
	export CH_URLS
}

ch_query() {
	curl -sf --data-binary "$1" "$CH_HTTP/"
}

ch_newdb() {
	ch_query "CREATE DATABASE IF NOT EXISTS $1" &&
	    echo "clickhouse://127.0.0.1:${CH_HTTP##*:}/$1"
}

ch_dburl() { echo "$CH_HTTP/?database=$1"; }

ch_dbq() { curl -sf --data-binary "$2" "$(ch_dburl "$1")"; }
