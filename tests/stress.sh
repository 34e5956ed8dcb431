#!/bin/bash
# tests/stress.sh - kill -9 at random points of each stage of the daily
# flow, then run the flow again: the database must equal the one an
# uninterrupted run gives (db_dump, run ids and per-run times aside), with
# no partial group and no orphan row.  `make stress` runs STRESS_TRIALS
# (default 60) trials on SQLite and every fifth on PostgreSQL;
# tests/t0930 runs a few.  Prints one line per trial and a total.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/pg.sh"
pg_start
trap 'fake_stop_all; pg_stop; rm -rf "$TMP"' EXIT
TRIALS=${STRESS_TRIALS:-60}
STAGES=(pm-fetch pm-normalize pm-group pm-store-new pm-experiment pm-store)
# --spread-days: 40 markets close on the target day (one UTC day).  One
# target day for every run: the server lays its markets out from NOW's
# day, and a run after UTC midnight would otherwise target the next day,
# other markets than the uninterrupted run's (make stress runs minutes).
NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
TARGET=$(date -u -d "$NOW + 7 days" +%F)
fake_start pm --markets 400 --spread-days 10 --group-size 3 --events 8 \
    --latency 0.01 --now "$NOW"
export TMP

# Wrappers: each stage writes its pid (kept by exec) where the killer finds
# it; the two pm-store stages are told apart by --new-only.
mkdir -p "$TMP/wrap"
for p in "$PM_BIN"/pm-*; do
	n=${p##*/}
	cat >"$TMP/wrap/$n" <<-W
	#!/bin/sh
	t=$n
	case " \$* " in *" --new-only "*) t=pm-store-new ;; esac
	echo \$\$ >"\$TMP/pids/\$t"
	exec "$p" "\$@"
	W
	chmod +x "$TMP/wrap/$n"
done

daily() {
	PM_BIN=$TMP/wrap DATABASE_URL=$1 "$TOP/pipelines.sh" daily \
	    --env-file /dev/null --no-dump --target-date "$TARGET" >/dev/null 2>>"$TMP/flow.err"
}
# the compared contents: what identifies each stored row (the fake
# server's synthetic markets move with the clock, so values may drift)
KEYS="SELECT 'e', event_key, n_markets FROM processed_events
    UNION ALL SELECT 'm', event_key || ' ' || market_id, 0 FROM processed_markets
    UNION ALL SELECT 'c', event_key || ' ' || market_id || ' ' || outcome_index, 0 FROM processed_contracts
    UNION ALL SELECT 'r', event_key || ' ' || experiment_id || ' ' || status, 0 FROM experiment_results
    UNION ALL SELECT 'k', market_id, 0 FROM markets"
dump() {
	case $1 in
	postgres*) psql -X -A -t -q "$1" -c "$KEYS" ;;
	*) sqlite3 "$1" "$KEYS" ;;
	esac | LC_ALL=C sort
}
orphans() {
	local q="SELECT count(*) FROM processed_markets WHERE event_key NOT IN
	    (SELECT event_key FROM processed_events);
	    SELECT count(*) FROM processed_contracts WHERE event_key NOT IN
	    (SELECT event_key FROM processed_events);
	    SELECT count(*) FROM processed_events e WHERE n_markets <>
	    (SELECT count(*) FROM processed_markets m WHERE m.event_key = e.event_key)"
	case $1 in
	postgres*) psql -X -A -t -q "$1" -c "$q" ;;
	*) sqlite3 "$1" "$q" ;;
	esac | tr -d "\n"
}

rm -f "$TMP/flow.err"
mkdir -p "$TMP/pids"

# The uninterrupted run, watched every 5 ms: how long each stage lives
# from the moment its pid is known, so that a kill can aim inside it.
declare -A born life
t0=$(date +%s%N)
daily "$TMP/ref.db" &
flow=$!
while kill -0 "$flow" 2>/dev/null; do
	now=$(( ($(date +%s%N) - t0) / 1000000 ))
	for s in "${STAGES[@]}"; do
		[ -s "$TMP/pids/$s" ] || continue
		born[$s]=${born[$s]:-$now}
		kill -0 "$(cat "$TMP/pids/$s")" 2>/dev/null &&
		    life[$s]=$((now - born[$s]))
	done
	sleep 0.005
done
wait "$flow" || { echo "stress: the uninterrupted run failed"; cat "$TMP/flow.err"; exit 1; }
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
dump "$TMP/ref.db" >"$TMP/ref.dump"
echo "stress: uninterrupted run ${ms} ms, $(grep -c "^e|" "$TMP/ref.dump") groups"
for s in "${STAGES[@]}"; do
	life[$s]=${life[$s]:-0}
	printf 'stress: %s lives %s ms after it starts\n' "$s" "${life[$s]}"
done

# A trial is a kill that landed: a random stage, at a random moment of
# its life, counted from when its pid is known.  A stage that had
# already ended when the kill came (timing differs from run to run)
# still has its rerun checked, but does not count; after 3 x TRIALS
# attempts the run stops short, and fails.
fails=0 killed=0 i=0
while [ "$killed" -lt "$TRIALS" ] && [ "$i" -lt $((3 * TRIALS)) ]; do
	i=$((i + 1))
	stage=${STAGES[$((RANDOM % ${#STAGES[@]}))]}
	delay=$((RANDOM % (life[$stage] + 1)))
	db=$TMP/t$i.db
	[ $((i % 5)) -eq 0 ] && [ -n "$PG_URL" ] && db=$(pg_newdb "t$i")
	rm -f "$TMP"/pids/*
	daily "$db" &
	flow=$!
	while [ ! -s "$TMP/pids/$stage" ] && kill -0 "$flow" 2>/dev/null; do
		sleep 0.002
	done
	sleep "$(printf '0.%03d' $((delay % 1000)))"; [ "$delay" -ge 1000 ] && sleep $((delay / 1000))
	how="too late"
	if [ -s "$TMP/pids/$stage" ] && kill -9 "$(cat "$TMP/pids/$stage")" 2>/dev/null; then
		how="killed"; killed=$((killed + 1))
	fi
	wait $flow; first=$?
	daily "$db"; again=$?
	dump "$db" >"$TMP/got.dump"
	o=$(orphans "$db")
	if [ "$again" -le 1 ] && [ "$o" = 000 ] && cmp -s "$TMP/ref.dump" "$TMP/got.dump"; then
		r=ok
	else
		r=FAIL; fails=$((fails + 1))
		diff "$TMP/ref.dump" "$TMP/got.dump" | head -5
	fi
	echo "attempt $i: $r: ${db##*/} $stage at ${delay} ms: $how (status $first), rerun $again, orphans $o"
done
echo "stress: $killed trials (kills landed) of $TRIALS, in $i attempts, $fails failed"
[ "$fails" -eq 0 ] && [ "$killed" -ge "$TRIALS" ]
