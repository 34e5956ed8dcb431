#!/bin/bash
# Progress lines under script(1) (standard error a terminal): each stage
# names itself, done/total when known, rate and ETA; off with
# --no-progress, no \e[K with TERM=dumb; in a flow whole lines, one stage
# a line.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

fake_start pm --markets 300 --events 5
export TERM=xterm
unset PM_PROGRESS

# tty CMD...: run CMD with a terminal for standard error; its stderr
# (and the terminal's) in tty.out, CR as \r, ESC as \e
tty() {
	script -qfc "$*" typescript >/dev/null </dev/null || return 1
	sed -e 's/\r/\\r/g' -e 's/\x1b/\\e/g' typescript >tty.out
}

slow() { fake_control "{\"latency_ms\": $1}"; }

pm-fetch markets --limit 60 | pm-normalize >"$TMP/markets.ndjson" &&
pm-group "$TMP/markets.ndjson" >"$TMP/groups.ndjson" || exit 1

test_expect_success 'pm-fetch markets on a terminal: one line rewritten, named' '
	tty "pm-fetch markets --limit 250 >m.ndjson" &&
	test_grep "\\\\rpm-fetch markets: [0-9]* requests.*\\\\e\[K" tty.out &&
	test_grep "pm-fetch markets: 3 requests, [0-9:]*; 250 records" tty.out
'

test_expect_success 'pm-fetch events on a terminal' '
	tty "pm-fetch events --limit 5 >e.ndjson" &&
	test_grep "\\\\rpm-fetch events: [0-9]* requests" tty.out
'

test_expect_success 'pm-fetch prices and history: done/total, rate, ETA' '
	tty "pm-fetch prices --endpoint price $TMP/markets.ndjson >p.ndjson" &&
	test_grep "\\\\rpm-fetch prices: [0-9]*/[0-9]* requests, [0-9.]*/s" tty.out &&
	test_grep -E "pm-fetch prices: ([0-9]+)/\\1 requests" tty.out &&
	tty "pm-fetch history $TMP/markets.ndjson >h.ndjson" &&
	test_grep -E "pm-fetch history: ([0-9]+)/\\1 requests, [0-9.]+/s, [0-9:]+;" tty.out
'

test_expect_success 'an ETA while the total is known and work is left' '
	slow 50 && test_when_finished slow 0 &&
	tty "pm-fetch history -j 2 $TMP/markets.ndjson >h.ndjson" &&
	test_grep "pm-fetch history: [0-9]*/[0-9]* requests, [0-9.]*/s, ETA [0-9]*:[0-9][0-9]" tty.out
'

test_expect_success 'pm-experiment: groups done of the total, results' '
	tty "pm-experiment $TMP/groups.ndjson >x.ndjson" &&
	g=$(grep -c "^{\"kind\":\"group\"" "$TMP/groups.ndjson") &&
	test_grep "\\\\rpm-experiment: $g/$g groups, .*results ok" tty.out &&
	test_grep "\\\\e\\[K\\\\r\\\\e\\[Kpm-experiment: .*: no forecast variant" tty.out
'

test_expect_success 'pm-experiment with an LLM: its calls and their mean latency' '
	python3 "$TESTS_DIR/fake-llm.py" "$TMP/llm.port" "$TMP/llm.log" &
	echo "$!" >>"$TMP/fake.pids" &&
	for _ in $(seq 600); do [ -s "$TMP/llm.port" ] && break; sleep 0.05; done &&
	jq -n --arg u "http://127.0.0.1:$(cat "$TMP/llm.port")/v1" "{suites: [{id: \"l\",
		forecast: [{variant: \"v\", type: \"openai\", base_url: \$u, model: \"valid\",
		api_key_env: \"K\", system: \"s\", prompt: \"{{.markets[0].market_id}}\"}]}]}" >c.json &&
	K=k tty "pm-experiment -c c.json $TMP/groups.ndjson >x.ndjson" &&
	test_grep "\\\\rpm-experiment: [0-9]*/[0-9]* groups.*; LLM [0-9]* calls, mean [0-9.]* s" tty.out
'

test_expect_success 'pm-store: records and rows written' '
	tty "pm-store --db s.db $TMP/markets.ndjson >s.ndjson" &&
	test_grep "\\\\rpm-store: [0-9]* records.*rows: [0-9]* inserted, 0 updated" tty.out
'

test_expect_success '--no-progress: nothing on the terminal but the summary' '
	tty "pm-fetch markets --limit 50 --no-progress >m.ndjson" &&
	test_grep -v "pm-fetch markets:" tty.out &&
	tty "pm-store --no-progress --db n.db $TMP/markets.ndjson >s.ndjson" &&
	test_grep -v "^pm-store: [0-9]* records, " tty.out
'

test_expect_success 'TERM=dumb: off by default, whole lines with --progress' '
	TERM=dumb tty "pm-fetch markets --limit 50 >m.ndjson" &&
	test_grep -v "pm-fetch markets:" tty.out &&
	TERM=dumb tty "pm-fetch markets --limit 50 --progress >m.ndjson" &&
	test_grep "^pm-fetch markets: " tty.out &&
	test_grep -v -F "\\e[K" tty.out &&
	test_grep -v "^\\\\r" tty.out
'

test_expect_success 'not a terminal: off, unless asked' '
	pm-fetch markets --limit 50 >m.ndjson 2>err &&
	test_grep -v "pm-fetch markets:" err &&
	pm-fetch markets --limit 50 --progress >m.ndjson 2>err &&
	test_grep "^pm-fetch markets: 1 requests, [0-9:]*; 50 records" err
'

test_expect_success 'PM_PROGRESS neither on, off nor lines: said once, the default' '
	for v in 0 no false; do
		PM_PROGRESS=$v pm-store --db "v$v.db" "$TMP/markets.ndjson" \
		    >s.ndjson 2>err &&
		test_grep -v -E "^pm-store: [0-9]+ records[,;]" err &&
		test "$(grep -c "^pm-store: PM_PROGRESS: \"$v\" is not on, off or lines (ignored)\$" err)" -eq 1 ||
		return 1
	done &&
	PM_PROGRESS=on pm-store --db von.db "$TMP/markets.ndjson" >s.ndjson 2>err &&
	test_grep -E "^pm-store: [0-9]+ records[,;]" err &&
	test_grep -v "PM_PROGRESS" err
'

test_expect_success 'a flow on a terminal: whole lines, each one stage' '
	tty "$TOP/pipelines.sh prices --env-file /dev/null --db f.db --limit 20" &&
	tty "$TOP/pipelines.sh static --env-file /dev/null --db f.db --limit 20 --no-dump" &&
	test_grep "^pm-fetch markets: " tty.out &&
	test_grep "^pm-fetch prices: " tty.out &&
	test_grep "^pm-store: " tty.out &&
	test_grep -v -F "\\e[K" tty.out &&
	grep "^pm-[a-z]*\( [a-z]*\)*: [0-9]" tty.out >lines &&
	test_grep -v ": .*pm-[a-z]*\( [a-z]*\)*: [0-9]" lines
'

test_expect_success 'a flow with --no-progress: no progress line' '
	tty "$TOP/pipelines.sh static --env-file /dev/null --db g.db --limit 20 --no-dump --no-progress" &&
	test_grep -v "^pm-fetch markets: [0-9]* requests" tty.out
'

test_done
