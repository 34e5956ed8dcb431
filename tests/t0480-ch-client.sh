#!/bin/bash
# lib/ch.c and lib/schema_ch.c against real ClickHouse 18.16 servers
# (tests/ch.sh): the schema applied and re-applied, a 10,000-row block in
# one INSERT, re-inserts collapsing under FINAL, 3 bad rows among 1,000,
# a server stopped then killed mid-run, and a two-shard cluster behind
# Distributed tables, clickhouses:// with the CA settings of pm-fetch.  The
# checks themselves are tests/unit/test-ch.c.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/ch.sh"
. "$TESTS_DIR/tls.sh"
T=$PM_UNIT/test-ch

# a server that does not start fails the case, and says why
started() {
	"$@" && return 0
	say "$CH_ERR"
	return 1
}

unit() {
	run "$T" "$@" && cat out && expect_status 0 && grep -q ", 0 failed" out
}

test_expect_success 'schema, blocks, re-inserts, bad rows, credentials' '
	started ch_start one && unit server "$CH_URL"
'

test_expect_success 'server stopped: retried; killed: the cause after PM_DB_TIMEOUT' '
	started ch_start down && PM_DB_TIMEOUT=2 unit down "$CH_URL" "$CH_PIDFILE"
'

test_expect_success 'two shards behind Distributed tables: every row once' '
	started ch_cluster pmtwo 2 && unit cluster pmtwo $CH_URLS
'

test_expect_success 'clickhouses:// trusts the CA of --cacert, not any other' '
	tls_ca ca && tls_cert ca srv IP:127.0.0.1 &&
	# the server runs as the clickhouse user: it must read them
	chmod 755 "$TMP" . ca &&
	chmod 644 ca/* && p=$(ch_free_port) &&
	tlsconf="<https_port>$p</https_port><openSSL><server>" &&
	tlsconf="$tlsconf<certificateFile>$PWD/ca/srv.pem</certificateFile>" &&
	tlsconf="$tlsconf<privateKeyFile>$PWD/ca/srv.key</privateKeyFile>" &&
	tlsconf="$tlsconf</server></openSSL>" &&
	CH_EXTRA=$tlsconf started ch_start tls &&
	(unset PM_CA_BUNDLE && unit tls "clickhouses://127.0.0.1:$p/default" ca/ca.pem)
'
test_done
