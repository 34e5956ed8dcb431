#!/bin/bash
# pm-store through PgBouncer in transaction mode (server pool 2, fewer than
# the clients): eight at once store every row, the same as one direct run;
# the migration, the COPY path and --new-only work through it (issue 16).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
RUN=$TESTS_DIR/fixtures-store/run.ndjson
pg_start
pgbouncer_start
N=400

jq -c ".[]" "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json | pm-normalize |
    python3 "$TOP/bench/store_gen.py" "$N" --groups >"$TMP/big.ndjson"
# eight slices of ten groups (5 raw+market pairs and their group each),
# each with the run record in front
head -1 "$TMP/big.ndjson" >"$TMP/run1"
tail -n +2 "$TMP/big.ndjson" | split -l 110 - "$TMP/part."
for p in "$TMP"/part.*; do cat "$TMP/run1" "$p" >"$p.ndjson"; done

test_expect_success 'PgBouncer runs in transaction mode with a pool of 2' '
	pgb_ready &&
	grep -qx "pool_mode = transaction" "$PGB_DIR/pgbouncer.ini" &&
	grep -qx "default_pool_size = 2" "$PGB_DIR/pgbouncer.ini" &&
	psql -X -A -t "$PGB_URL" -c "select 1" | grep -qx 1
'

test_expect_success 'eight pm-store at once through the pooler store every row' '
	pgb_ready && direct=$(pg_newdb direct) && pg_newdb pooled >/dev/null &&
	pooled=$(pgb_url pooled) &&
	pm-store --db "$direct" "$TMP"/part.*.ndjson >/dev/null 2>&1 &&
	pids= && i=0 &&
	for p in "$TMP"/part.*.ndjson; do
		i=$((i + 1))
		pm-store --db "$pooled" "$p" >out.$i 2>err.$i &
		pids="$pids $!"
	done &&
	for p in $pids; do wait $p || { cat err.*; exit 1; }; done &&
	cat err.* && not grep -v " 0 failed in " err.* &&
	test "$(cat err.* | wc -l)" -eq 8 &&
	db_dump "$direct" >one && db_dump "$pooled" >two && test_cmp one two &&
	test "$(grep -c "^\[\"markets\"" two)" -eq $N &&
	test "$(grep -c "^\[\"processed_events\"" two)" -eq $((N / 5))
'

test_expect_success 'eight at once over the same stream: each group once, same rows' '
	pgb_ready && direct=$(pg_newdb direct2) && pg_newdb same >/dev/null &&
	same=$(pgb_url same) &&
	pm-store --db "$direct" "$TMP/big.ndjson" >/dev/null 2>&1 &&
	pids= &&
	for i in 1 2 3 4 5 6 7 8; do
		pm-store --db "$same" "$TMP/big.ndjson" >out.$i 2>err.$i &
		pids="$pids $!"
	done &&
	for p in $pids; do wait $p || { cat err.*; exit 1; }; done &&
	not grep -v " 0 failed in " err.* &&
	db_dump "$direct" >one && db_dump "$same" >two && test_cmp one two
'

test_expect_success 'through the pooler: --new-only, --last-run, --export' '
	pgb_ready && pg_newdb reads >/dev/null && u=$(pgb_url reads) &&
	pm-store --db "$u" "$RUN" >/dev/null 2>&1 &&
	run pm-store --db "$u" --new-only "$RUN" && expect_status 0 &&
	test_count group out 3 && test_grep stored_results out &&
	: a run of the fixture is partial and cut by a limit: no watermark &&
	run pm-store --db "$u" --last-run daily && expect_status 0 && test ! -s out &&
	head -n 1 "$RUN" | jq -c ".run_id += \"-whole\" | .options.limit = null" |
		pm-store --db "$u" >/dev/null 2>&1 &&
	run pm-store --db "$u" --last-run daily && expect_status 0 &&
	test_eq 2026-11-23T07:00:00Z "$(cat out)" &&
	run pm-store --db "$u" --export group && expect_status 0 && test -s out
'
test_done
