#!/bin/bash
# pm-store under kill -9 and with two writers at once, on SQLite and on
# PostgreSQL: no partial group, no duplicate, nothing missing.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
pg_start
N=${STORE_TEST_N:-3000}

jq -c ".[]" "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json | pm-normalize |
    python3 "$TOP/bench/store_gen.py" "$N" --groups >"$TMP/big.ndjson"
GROUPS_N=$((N / 5))

# stored_ok DB: one clean run's tables, to compare against
pm-store --db "$TMP/clean.db" "$TMP/big.ndjson" >/dev/null 2>&1
db_dump "$TMP/clean.db" >"$TMP/clean.dump"

# crash DB: kill -9 in the middle, then store the stream again.  The
# input comes through a fifo held open, so pm-store cannot reach the end
# of its input before the kill however slow or fast the machine is.
crash() {
	mkfifo fifo
	pm-store --db "$1" <fifo >part 2>/dev/null &
	pid=$!
	exec 3>fifo
	head -n $((2 * N)) "$TMP/big.ndjson" >&3
	tries=0
	while [ "$(wc -l <part)" -lt $((N / 4)) ] && [ $tries -lt 3000 ]; do
		sleep 0.02
		tries=$((tries + 1))
	done
	kill -9 $pid
	wait $pid 2>/dev/null || true
	exec 3>&-
	echo "killed after $(wc -l <part) lines of output"
	test_line_count part -ge $((N / 4)) || return 1
	run pm-store --db "$1" "$TMP/big.ndjson" && expect_status 0
}

# race DB: two writers over the same stream; each group inserted once
race() {
	pm-store --db "$1" "$TMP/big.ndjson" >o1 2>e1 &
	p1=$!
	pm-store --db "$1" "$TMP/big.ndjson" >o2 2>e2 &
	p2=$!
	if ! wait "$p1" || ! wait "$p2"; then cat e1 e2; return 1; fi
	cat o1 o2 | grep "^{\"kind\":\"group" | jq -r .stored | sort | uniq -c |
	    sed "s/^ *//" >got
	printf "%s inserted\n%s skipped\n" "$GROUPS_N" "$GROUPS_N" >want
	test_cmp want got || return 1
	test_num "$(cat o1 o2 | count_kind skip /dev/stdin)" -eq "$GROUPS_N"
}

test_expect_success 'SQLite: kill -9 mid-stream, then again: same as one clean run' '
	crash k.db && db_dump k.db >d && test_cmp "$TMP/clean.dump" d
'

test_expect_success 'SQLite: two writers at once: each group once, no lost write' '
	race r.db && db_dump r.db >d && test_cmp "$TMP/clean.dump" d
'

test_expect_success 'SQLite: two writers opening one new file: neither is refused' '
	jq -c ".[]" "$FIXTURES"/gamma-markets-bobaoxu2001-1.json | pm-normalize >in &&
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		rm -f n.db n.db-wal n.db-shm &&
		{ pm-store --db n.db in >/dev/null 2>e1 & p1=$!;
		  pm-store --db n.db in >/dev/null 2>e2 & p2=$!;
		  wait $p1 && wait $p2; } || { cat e1 e2; false; }
	done
'

test_expect_success 'PostgreSQL: kill -9 mid-stream, then again: same rows' '
	pg_ready && url=$(pg_newdb crash) && crash "$url" &&
	db_dump "$url" >d && test_cmp "$TMP/clean.dump" d
'

test_expect_success 'PostgreSQL: two writers at once: each group once, no lost write' '
	pg_ready && url=$(pg_newdb race) && race "$url" &&
	db_dump "$url" >d && test_cmp "$TMP/clean.dump" d
'
test_done
