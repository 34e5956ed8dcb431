#!/bin/bash
# prune --keep-days 0 (or any n) while a daily run goes on removed the
# dump that run was still writing: its stages went on writing a file no
# longer in the dump directory, and the run's end record, appended after
# the stream, made a new dump holding that line alone.  So was a log a
# flow was still writing (cron's >>logs/daily.log), prune's own too.  A
# file a process has open is kept; the driver holds its dump open from
# its start to its end.  (A stalled writer is kept too: an open file
# has no age.)
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

P=$TOP/pipelines.sh
fake_start pm --markets 20 --events 2 --spread-days 60
mkdir "$TMP/bin" && for p in "$PM_BIN"/pm-*; do ln -s "$p" "$TMP/bin/"; done
# the stream's pm-store (no argument) waits while $TMP/hold is there: the
# stream is in the dump (tee is done) but the run goes on, its end not
# yet appended
rm "$TMP/bin/pm-store"
cat >"$TMP/bin/pm-store" <<SH
#!/bin/sh
[ \$# -gt 0 ] || while [ -e "$TMP/hold" ]; do sleep 0.05; done
exec "$PM_BIN/pm-store" "\$@"
SH
chmod +x "$TMP/bin/pm-store"
ln -s "$(command -v sleep)" "$TMP/bin/slow-sleep"
cat >"$TMP/market.json" <<JSON
{"suites":[{"id":"s","forecast":[
  {"variant":"market","type":"builtin","builtin":"market"}]}]}
JSON
cleanup() { rm -f "$TMP/hold"; }

test_expect_success 'prune --keep-days 0 mid-run: the run dump stays whole' '
	test_when_finished cleanup &&
	mkdir -p d logs &&
	touch -d "3 days ago" d/old.ndjson logs/old.log &&
	touch "$TMP/hold" &&
	PM_BIN=$TMP/bin "$P" daily --env-file /dev/null --db run.db \
	    --dump-dir d --config "$TMP/market.json" --window-days 3 \
	    >out 2>daily.err &
	dp=$! &&
	for i in $(seq 400); do
		pgrep -f "$TMP/bin/pm-experiment" >/dev/null ||
		    ! grep -q "\"kind\":\"result\"" d/*-daily-*.ndjson 2>/dev/null ||
		    break
		sleep 0.05
	done &&
	sleep 0.5 && lines=$(cat d/*-daily-*.ndjson | wc -l) &&
	test "$lines" -gt 2 &&
	run "$P" prune --keep-days 0 --env-file /dev/null --db other.db \
	    --dump-dir d && expect_status 0 &&
	cleanup && { wait "$dp"; true; } &&
	test_grep "1 kept (open)" err &&
	test_grep "prune: d/.*-daily-.*\.ndjson kept: a process has it open" err &&
	test ! -e d/old.ndjson && test ! -e logs/old.log &&
	dump=$(ls d/*-daily-*.ndjson) &&
	head -n 1 "$dump" | jq -e ".kind == \"run\" and .phase == \"start\"" >/dev/null &&
	tail -n 1 "$dump" | jq -e ".kind == \"run\" and .phase == \"end\"" >/dev/null &&
	test_eq "$((lines + 1))" "$(wc -l <"$dump")"
'

test_expect_success 'a log still written (open) is kept, an old closed one goes' '
	mkdir -p logs2 &&
	touch -d "3 days ago" logs2/daily.log logs2/gone.log &&
	{ "$TMP/bin/slow-sleep" 60 >>logs2/daily.log & } &&
	sp=$! &&
	PM_LOG_DIR=logs2 run "$P" prune --keep-days 1 --env-file /dev/null \
	    --db other.db --dump-dir none && expect_status 0 &&
	kill "$sp" &&
	test -e logs2/daily.log && test ! -e logs2/gone.log &&
	test_grep "prune: 1 dump and log file(s) older than .*, 1 kept (open)" err
'

test_expect_success 'prune own log (>>logs3/prune.log, --keep-days 0) stays' '
	mkdir -p logs3 &&
	PM_LOG_DIR=logs3 "$P" prune --keep-days 0 --env-file /dev/null \
	    --db other.db --dump-dir none >>logs3/prune.log 2>&1 &&
	test_grep "kept (open)" logs3/prune.log
'
test_done
