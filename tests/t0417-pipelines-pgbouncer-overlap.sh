#!/bin/bash
# The prices and trades flows at once through PgBouncer in transaction
# mode with a pool of two: both complete.  Each exported its markets
# (pm-store --export market) into pm-fetch, which reads them no faster
# than it fetches, and the export held its server connection until its
# last row was read: each run's own pm-store then waited for a
# connection while the pipe stood full, and both runs failed on
# PgBouncer's query_wait_timeout.  The export now goes whole to a file of
# the run first (pipelines.sh spooled).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/pg.sh"
pg_start
# no wait of two minutes (PgBouncer's default) for a failure
PGB_OPTS="query_wait_timeout = 20" pgbouncer_start
# markets enough that an export fills the pipes between the stages
fake_start pm --markets 3000 --events 3 --trades 2

P=$TOP/pipelines.sh

test_expect_success 'prices and trades at once through a pool of two: both completed' '
	test_grep -x "default_pool_size = 2" "$PGB_DIR/pgbouncer.ini" &&
	pg_newdb overlap >/dev/null && u=$(pgb_url overlap) &&
	"$P" static --db "$u" --env-file /dev/null >/dev/null 2>&1 &&
	{ { "$P" prices --db "$u" --env-file /dev/null --summary-path p.json >po 2>pe; echo $? >p.st; } & } &&
	{ { "$P" trades --db "$u" --env-file /dev/null --summary-path t.json >to 2>te; echo $? >t.st; } & } &&
	wait && cat pe te &&
	test_eq 0 "$(cat p.st)" prices && test_eq 0 "$(cat t.st)" trades &&
	test_eq completed "$(jq -r .run_status p.json)" &&
	test_eq completed "$(jq -r .run_status t.json)" &&
	test_num "$(psql -X -A -t -q "$u" -c "SELECT count(*) FROM price_history")" -gt 3000 &&
	test_num "$(psql -X -A -t -q "$u" -c "SELECT count(*) FROM trades")" -gt 0
'
test_done
