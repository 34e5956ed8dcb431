#!/bin/bash
# An end record that leaves a start member out, or gives it null (one
# written by hand, by another tool), keeps what the run's start stored,
# as an end without counts keeps the counts: on SQLite, PostgreSQL and
# ClickHouse alike, whether the start came in the same input or an
# earlier one.  Before, the run's started_at, run_date, git_sha,
# environment and options became null, and --status, which orders runs by
# started_at, put the run last.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/ch.sh"

pg_start || { say "$PG_ERR"; exit 1; }
ch_start keep || { say "$CH_ERR"; exit 1; }

start() { rec_run_start "$1" daily | jq -c '.target_date = "2026-11-24" |
    .window_days = 1 | .options = {"k":"v"}'; }
end() { jq -cn --arg id "$1" '{kind:"run", phase:"end", run_id:$id,
    flow:"daily", finished_at:"2026-11-23T07:10:00Z", status:"completed",
    started_at:null}'; }
COLS="run_id, flow, run_date, target_date, window_days, started_at, finished_at, status, git_sha, environment, options"
WANT="r1|daily|2026-11-23|2026-11-24|1|2026-11-23T07:00:00Z|2026-11-23T07:10:00Z|completed|abc|test|{\"k\":\"v\"}"

# rows URL RUN: the run's row as WANT has it
rows() {
	case $1 in
	sqlite:*) sqlite3 "${1#sqlite:}" "SELECT $COLS FROM processing_runs WHERE run_id = '$2'" ;;
	postgresql:*) psql -X -A -t -q "$1" -c "SELECT $COLS FROM processing_runs WHERE run_id = '$2'" ;;
	*) ch_dbq "${1##*/}" "SELECT $COLS FROM processing_runs FINAL WHERE run_id = '$2' FORMAT TSV" | tr '\t' '|' ;;
	esac
}

# keeps URL: the end in the start's input, then in an input of its own
keeps() {
	{ start r1 && end r1; } >one.ndjson &&
	run pm-store --db "$1" one.ndjson && expect_status 0 &&
	test_eq "$WANT" "$(rows "$1" r1)" &&
	start r2 >a.ndjson && end r2 >b.ndjson &&
	pm-store --db "$1" a.ndjson >/dev/null 2>&1 &&
	run pm-store --db "$1" b.ndjson && expect_status 0 &&
	test_eq "${WANT//r1/r2}" "$(rows "$1" r2)" &&
	run pm-store --db "$1" one.ndjson && expect_status 0 &&
	test_eq "$WANT" "$(rows "$1" r1)"
}

test_expect_success 'SQLite: an end leaving start members out keeps them' '
	keeps "sqlite:$TMP/k.db"
'
test_expect_success 'PostgreSQL: the same' '
	pg_ready && keeps "$(pg_newdb keep)"
'
test_expect_success 'ClickHouse: the same' '
	keeps "$(ch_newdb keep)"
'
test_expect_success 'an end giving a member keeps its own' '
	start r3 >a.ndjson && end r3 | jq -c ".git_sha = \"def\"" >>a.ndjson &&
	pm-store --db "sqlite:$TMP/k.db" a.ndjson >/dev/null 2>&1 &&
	test_eq def "$(sqlite3 "$TMP/k.db" "SELECT git_sha FROM processing_runs WHERE run_id = '\''r3'\''")"
'

test_done
