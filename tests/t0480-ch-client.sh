#!/bin/bash
# lib/ch.c and lib/schema_ch.c against real ClickHouse 18.16 servers
# (tests/ch.sh): the schema applied and re-applied, a 10,000-row block in
# one INSERT, re-inserts collapsing under FINAL, 3 bad rows among 1,000,
# a server stopped then killed mid-run, and a two-shard cluster behind
# Distributed tables.  The checks themselves are tests/unit/test-ch.c.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/ch.sh"
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
test_done
