#!/bin/bash
# The driver: --limit in every flow (the prices flow included), stray
# arguments are exit 2, a --help that cannot be written is exit 3, score
# takes pm-summary's score options, and prune removes old dumps, logs and
# raw payload versions, never a market's latest payload nor one a
# processed market was read from.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/pg.sh"
pg_start
trap 'fake_stop_all; pg_stop; rm -rf "$TMP"' EXIT
# --spread-days: every day from today on has markets closing on it, so
# the daily runs' target day (today + 7) is never an empty day of the
# default spread (about one day in four has no market there).
fake_start pm --markets 300 --events 5 --spread-days 60
P=$TOP/pipelines.sh
E=(--env-file /dev/null)

test_expect_success 'stray arguments: exit 2, nothing fetched or created' '
	fake_reset &&
	run "$P" events 2026-12-05 "${E[@]}" --db s.db && expect_status 2 &&
	test_grep "unexpected argument: 2026-12-05" err &&
	run "$P" prices extra "${E[@]}" --db s.db && expect_status 2 &&
	test ! -e s.db && test "$(fake_stats .requests)" -eq 0
'

test_expect_success 'an option of another flow: exit 2, not ignored; nothing fetched or created' '
	fake_reset &&
	while IFS="|" read -r flow opt val why; do
		run "$P" $flow "${E[@]}" --db s.db "$opt" "$val" && expect_status 2 &&
		test_grep -x "pipelines.sh: ${flow%% *}: $opt is $why" err || return 1
	done <<-EOF &&
	static|--target-date|2099-01-01|the daily flow'"'"'s option
	events|--window-days|3|the daily flow'"'"'s option
	prices|--margin|2h|an option of the daily and retry-failures flows
	delta|--where|.active|the trades flow'"'"'s option
	prices|--overlap|5|the delta flow'"'"'s option
	daily|--overlap|5|the delta flow'"'"'s option
	static|--suite|x|an option of the daily and retry-failures flows
	replay /dev/null|-j|4|an option of the daily and retry-failures flows
	status|--experiment-override|a=b|an option of the daily and retry-failures flows
	status|--summary-path|st/s.json|an option of the flows that make a run
	score|--summary-path|st/s.json|an option of the flows that make a run
	prune --keep-days 9|--summary-path|st/s.json|an option of the flows that make a run
	status|--limit|5|an option of the flows that make a run
	score|--limit|5|an option of the flows that make a run
	prune --keep-days 9|--limit|5|an option of the flows that make a run
	EOF
	test ! -e st &&
	test ! -e s.db && test "$(fake_stats .requests)" -eq 0 &&
	PM_MARGIN=2h PIPELINE_EVENT_BATCH_SIZE=4 "$P" events "${E[@]}" --db s.db \
		--limit 3 --no-dump >/dev/null 2>&1
'

# PM_MARGIN and PIPELINE_EVENT_BATCH_SIZE are settings of the flows that
# forecast: in a settings file cron's other flows share, a bad one stops
# those flows (and --list-experiments, which takes -j) only.  Before, the
# events, prices and status flows exited 2 for it, unlike a bad
# PM_WINDOW_DAYS, which only the daily flow reads.
test_expect_success 'a bad PM_MARGIN or PIPELINE_EVENT_BATCH_SIZE stops the daily flow only' '
	printf "%s\n" "PM_MARGIN=90min" "PIPELINE_EVENT_BATCH_SIZE=0" >bad.env &&
	run "$P" events --env-file bad.env --db bad.db --limit 2 --no-dump &&
	expect_status 0 &&
	run "$P" status --env-file bad.env --db bad.db --flow events &&
	expect_status 0 &&
	run "$P" daily --env-file bad.env --db bad2.db --no-dump &&
	expect_status 2 && test_grep "PM_MARGIN: not a duration" err &&
	test ! -e bad2.db &&
	PM_MARGIN=1h run "$P" daily --env-file bad.env --db bad2.db --no-dump &&
	expect_status 2 && test_grep "PIPELINE_EVENT_BATCH_SIZE: not a number" err &&
	PM_MARGIN=1h run "$P" events --env-file bad.env --db bad.db \
	    --list-experiments && expect_status 2 &&
	test ! -e bad2.db
'

test_expect_success 'the prices flow honours --limit: N markets, their tokens only' '
	"$P" static "${E[@]}" --db p.db --limit 60 --no-dump >/dev/null 2>&1 &&
	fake_reset &&
	run "$P" prices "${E[@]}" --db p.db --limit 5 && expect_status 0 &&
	run_id=$(sqlite3 p.db "SELECT run_id FROM processing_runs WHERE flow = '"'prices'"'") &&
	n=$(sqlite3 p.db "SELECT count(DISTINCT market_id) FROM price_history WHERE run_id = '"'"'$run_id'"'"'") &&
	test "$n" -ge 1 && test "$n" -le 5 &&
	test "$(fake_stats ".by_endpoint[\"prices-history\"] // 0")" -le 10
'

test_expect_success 'retry-failures and replay honour --limit' '
	"$P" daily "${E[@]}" --db "$TMP/r.db" --dump-dir d >/dev/null 2>&1 &&
	dump=$(ls d/*.ndjson) && test "$(wc -l <"$dump")" -gt 2 &&
	run "$P" replay "$dump" "${E[@]}" --db r2.db --limit 2 && expect_status 0 &&
	test_grep "^pm-store: 2 records" err &&
	# standard input reaches the flow: a dump from a pipe
	run "$P" replay /dev/stdin "${E[@]}" --db r3.db --limit 3 <"$dump" &&
	expect_status 0 && test_grep "^pm-store: 3 records" err
'

test_expect_success 'a dump directory or summary path beginning with - is a path' '
	run "$P" daily "${E[@]}" --db dash.db --limit 5 --dump-dir --help \
	    --summary-path -s/sum.json && expect_status 0 &&
	! test_grep "Usage: mkdir" out &&
	test_grep "dump in --help/.*ndjson" err &&
	jq -e ".kind == \"run\"" ./--help/*.ndjson >/dev/null &&
	jq -e .run_id ./-s/sum.json >/dev/null
'

test_expect_success 'standard output closed: the flow runs whole; --summary-path - is refused' '
	st=0
	"$P" events "${E[@]}" --db c.db --no-dump --limit 5 >&- 2>err || st=$?
	test_eq 0 "$st"
	test_grep "status completed" err
	test_grep -v "unbound variable" err
	st=0
	"$P" events "${E[@]}" --db c.db --no-dump --summary-path - >&- 2>err ||
	    st=$?
	test_eq 2 "$st"
	test_grep "standard output is closed" err
	test_eq 1 "$(sqlite3 c.db "SELECT count(*) FROM processing_runs")"
'

test_expect_success '--help: exit 0; a usage that cannot be written is said, exit 3' '
	run "$P" --help && expect_status 0 && test_grep "^usage: pipelines.sh FLOW" out &&
	for a in --help "static --help"; do
		run sh -c "\"\$0\" $a >/dev/full" "$P" && expect_status 3 &&
		test_grep -x "pipelines.sh: write error: standard output" err &&
		test "$(wc -l <err)" -eq 1 || { echo "$a:"; cat err; false; }
	done
'

test_expect_success 'every flow --help lists is in the README and in pm-pipelines(7)' '
	run "$P" --help && expect_status 0 &&
	sed -n "/^flows:/,/^options:/s/^  \([a-z-][a-z-]*\).*/\1/p" out >flows &&
	test_line_count flows -ge 11 &&
	sed -n "/^## The flows/,/^## /p" "$TOP/README.md" | grep "^| \`" |
		sed "s/ | .*//" >table &&
	while read -r f; do
		grep -q "\`$f[\` ]" table || { echo "README.md: no $f"; return 1; }
		grep -qE "^\.It Cm $f( |\$)" "$TOP/man/pm-pipelines.7" ||
			{ echo "pm-pipelines.7: no $f"; return 1; }
	done <flows
'

test_expect_success 'a program missing: exit 3 naming it, before anything is written' '
	mkdir nojq &&
	for d in ${PATH//:/ }; do
		for t in "$d"/*; do
			case ${t##*/} in jq) continue ;; esac
			[ -f "$t" ] && [ ! -e "nojq/${t##*/}" ] || continue
			ln -s "$t" "nojq/${t##*/}"
		done
	done &&
	PATH=$PWD/nojq run "$P" events "${E[@]}" --db m.db && expect_status 3 &&
	test_grep "jq: not found" err && test ! -e m.db &&
	mkdir pb && ln -s "$PM_BIN"/pm-* pb/ && rm pb/pm-summary &&
	PM_BIN=$PWD/pb run "$P" events "${E[@]}" --db m.db && expect_status 3 &&
	test_grep "pm-summary: not found" err && test ! -e m.db &&
	rm pb/pm-group && ln -s "$PM_BIN/pm-summary" pb/ &&
	PM_BIN=$PWD/pb run "$P" daily "${E[@]}" --db m.db && expect_status 3 &&
	test_grep "pm-group: not found" err && test ! -e m.db
'

test_expect_success 'rc and stages_file in the environment are not the driver'"'"'s' '
	rc=0 run "$P" delta "${E[@]}" --db none.db && expect_status 3 &&
	test_grep "no completed static or delta run yet" err &&
	rc=0 PM_BIN=$PWD/none run "$P" events "${E[@]}" --db none.db &&
	expect_status 3 &&
	stages_file=$PWD/sf run "$P" status "${E[@]}" --db none.db &&
	expect_status 3 && test_grep "no database at none.db" err &&
	test ! -e sf && test ! -e none.db &&
	# nor in the settings file
	printf "rc=0\nstages_file=%s\nrun_dir=%s\n" "$PWD/sf" "$PWD/rd" >own.env &&
	run "$P" delta --env-file own.env --db none.db && expect_status 3 &&
	test_grep "no completed static or delta run yet" err &&
	run "$P" status --env-file own.env --db none.db && expect_status 3 &&
	test_grep "no database at none.db" err &&
	test ! -e sf && test ! -e rd && test ! -e none.db
'

test_expect_success 'replay of no dump: exit 2 before anything is made' '
	mkdir adir &&
	for d in nodump adir ""; do
		run "$P" replay "$d" "${E[@]}" --db rp.db --dump-dir rpd &&
		expect_status 2 && test_grep "replay: cannot read" err &&
		test ! -e rp.db.replay.lock && test ! -e rp.db && test ! -e rpd ||
		exit 1
	done
'

test_expect_success 'a run date whose target day is past 9999: exit 2, nothing made' '
	run "$P" daily "${E[@]}" --db far.db --now 9999-12-30T00:00:00Z &&
	expect_status 2 && test_grep "past 9999-12-31" err &&
	test ! -e far.db && test ! -e far.db.daily.lock &&
	run "$P" daily "${E[@]}" --db far.db --now 9999-12-20T00:00:00Z \
	    --window-days 3 --dry-run --no-dump && expect_status 0
'

test_expect_success 'score takes --buckets, --json and --plot; other flows refuse them' '
	run "$P" score "${E[@]}" --db "$TMP/r.db" --buckets 4 --json && expect_status 0 &&
	test "$(jq ".variants[0].calibration | length" out)" -eq 4 &&
	run "$P" score "${E[@]}" --db "$TMP/r.db" --plot pic/r.svg && expect_status 0 &&
	python3 -c "import xml.etree.ElementTree as E; E.parse(\"pic/r.svg\")" &&
	run "$P" daily "${E[@]}" --db "$TMP/r.db" --buckets 4 && expect_status 2 &&
	test_grep "^pipelines.sh: daily: --buckets is an option of the score flow$" err
'

# keep_check DB: the payloads rows need are all still there
REC_SHA="json_extract(record, '\$.raw_sha256')"
keep_check() {
	test "$(sqlite3 "$1" "SELECT count(*) FROM markets WHERE raw_sha256 IS NOT NULL AND raw_sha256 NOT IN (SELECT sha256 FROM raw_responses)")" -eq 0 &&
	test "$(sqlite3 "$1" "SELECT count(*) FROM processed_markets WHERE $REC_SHA NOT IN (SELECT sha256 FROM raw_responses)")" -eq 0 &&
	test "$(sqlite3 "$1" "SELECT count(*) FROM price_history WHERE raw_sha256 NOT IN (SELECT sha256 FROM raw_responses)")" -eq 0
}
# the market payloads no row names
GONE_SQL="SELECT count(*) FROM raw_responses WHERE endpoint LIKE 'markets%'
	AND sha256 NOT IN (SELECT raw_sha256 FROM markets WHERE raw_sha256 IS NOT NULL)
	AND sha256 NOT IN (SELECT $REC_SHA FROM processed_markets WHERE $REC_SHA IS NOT NULL)"

PG_KEEP="SELECT count(*) FROM processed_markets WHERE (record::json->>'raw_sha256') NOT IN (SELECT sha256 FROM raw_responses)"

# Two versions of every market: the daily run processed the first; a
# static run after every market changed stored the second.
two_versions() {
	"$P" daily "${E[@]}" --db "$1" --no-dump &&
	"$P" static "${E[@]}" --db "$1" --limit 40 --no-dump &&
	fake_touch 1 >/dev/null &&
	"$P" static "${E[@]}" --db "$1" --limit 40 --no-dump
}

test_expect_success 'prune: old dumps and logs go, new ones stay; a dry run removes nothing' '
	mkdir -p dumps logs &&
	touch -d "10 days ago" dumps/old.ndjson logs/daily.log.1 &&
	touch dumps/new.ndjson logs/daily.log &&
	run "$P" prune --keep-days 5 --dry-run "${E[@]}" --db none.db && expect_status 0 &&
	test -e dumps/old.ndjson && test_grep "would remove dumps/old.ndjson" out &&
	run "$P" prune --keep-days 5 "${E[@]}" --db none.db && expect_status 0 &&
	test ! -e dumps/old.ndjson && test ! -e logs/daily.log.1 &&
	test -e dumps/new.ndjson && test -e logs/daily.log && test ! -e none.db
'

test_expect_success 'prune: a directory named like a find expression is a path' '
	mkdir -p dash && cd dash && mkdir -- -delete -print logs &&
	touch -d "10 days ago" -- -delete/old.ndjson -print/old.log keep.ndjson &&
	touch -d "10 days ago" logs/daily.log.1 &&
	run "$P" prune --keep-days 5 --dry-run --dump-dir -delete "${E[@]}" \
	    --db none.db && expect_status 0 &&
	test -e keep.ndjson && test -e logs/daily.log.1 && test -d -delete &&
	test_grep "would remove ./-delete/old.ndjson" out &&
	PM_LOG_DIR=-print run "$P" prune --keep-days 5 --dump-dir -delete \
	    "${E[@]}" --db none.db && expect_status 0 &&
	test ! -e -delete/old.ndjson && test ! -e -print/old.log &&
	test -e keep.ndjson && test -e logs/daily.log.1 && test -d -delete
'

test_expect_success 'prune: raw payload versions no row needs go; the rest stay' '
	two_versions v.db >fill.log 2>&1 &&
	before=$(sqlite3 v.db "SELECT count(*) FROM raw_responses") &&
	gone=$(sqlite3 v.db "$GONE_SQL") &&
	test "$gone" -ge 30 &&
	run "$P" prune --keep-days 0 --dry-run "${E[@]}" --db v.db && expect_status 0 &&
	test_eq "$before" "$(sqlite3 v.db "SELECT count(*) FROM raw_responses")" &&
	test_grep "^pm-store: $gone raw payload versions .* would go" err &&
	run "$P" prune --keep-days 0 "${E[@]}" --db v.db && expect_status 0 &&
	test_eq "$((before - gone))" "$(sqlite3 v.db "SELECT count(*) FROM raw_responses")" &&
	keep_check v.db &&
	test "$(sqlite3 v.db "SELECT count(*) FROM processed_markets")" -gt 0 &&
	run "$P" prune --keep-days 3 "${E[@]}" --db v.db && expect_status 0 &&
	test_grep "^pm-store: 0 raw payload versions" err
'

test_expect_success 'prune --keep-days 0: what was fetched before the run started goes, to the millisecond' '
	two_versions w.db >fill.log 2>&1 &&
	gone=$(sqlite3 w.db "$GONE_SQL") &&
	test "$gone" -ge 30 &&
	last=$(sqlite3 w.db "${GONE_SQL/count(\*)/max(fetched_at)}") &&
	now=$(python3 -c "import datetime, sys; t = datetime.datetime.strptime(sys.argv[1], \"%Y-%m-%dT%H:%M:%S.%fZ\") + datetime.timedelta(milliseconds=1); print(t.strftime(\"%Y-%m-%dT%H:%M:%S.%f\")[:23] + \"Z\")" "$last") &&
	run "$P" prune --keep-days 0 --dry-run --now "$now" "${E[@]}" --db w.db &&
	expect_status 0 &&
	test_grep "^pm-store: $gone raw payload versions fetched before $now would go" err
'

test_expect_success 'prune on PostgreSQL: the same rows go' '
	pg_ready && url=$(pg_newdb prune) && pm-store --db "$url" </dev/null &&
	two_versions "$url" >fill.log 2>&1 &&
	before=$(psql -X -A -t -q "$url" -c "SELECT count(*) FROM raw_responses") &&
	run pm-store --db "$url" --prune-before "$(date -u -d "+1 min" +%Y-%m-%dT%H:%M:%SZ)" &&
	expect_status 0 && n=$(sed -n "s/^pm-store: \([0-9]*\) raw payload.*/\1/p" err) &&
	test "$n" -ge 30 &&
	test_eq "$((before - n))" "$(psql -X -A -t -q "$url" -c "SELECT count(*) FROM raw_responses")" &&
	test "$(psql -X -A -t -q "$url" -c "SELECT count(*) FROM markets WHERE raw_sha256 NOT IN (SELECT sha256 FROM raw_responses)")" -eq 0 &&
	test "$(psql -X -A -t -q "$url" -c "$PG_KEEP")" -eq 0
'

test_expect_success 'prune: usage' '
	run "$P" prune "${E[@]}" && expect_status 2 &&
	run "$P" prune --keep-days x "${E[@]}" && expect_status 2 &&
	run "$P" daily --keep-days 3 "${E[@]}" && expect_status 2 &&
	run pm-store --prune-before yesterday && expect_status 2 &&
	run pm-store --prune-before 2026-01-01 --export raw && expect_status 2
'

test_done
