#!/bin/bash
# t0410's PostgreSQL cases again, with every database pg_newdb makes reached
# through PgBouncer in transaction mode with a server pool of 2: nothing
# pm-store relies on may outlive a transaction (issue 16).
PM_PG_POOLED=1
. "$(dirname "$0")/t0410-store-pg.sh"
