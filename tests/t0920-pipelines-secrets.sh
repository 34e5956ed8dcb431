#!/bin/bash
# Secrets: a database password never shows in any process's command line
# (what ps shows) while a daily flow runs, nor in messages, the summary,
# the dump, the records or the database.  Shell metacharacters in paths
# and options reach no shell.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/pg.sh"
pg_start
trap 'fake_stop_all; pg_stop; rm -rf "$TMP"' EXIT

# shellcheck disable=SC2034
P=$TOP/pipelines.sh
SECRET=s3cr3t-pw-$$
# --spread-days: 30 markets close on the target day (one UTC day)
fake_start pm --markets 300 --spread-days 10 --events 5 --latency 0.01

# Every pm-* program the flows start goes through a wrapper that logs its
# argv first: what ps would show, without sampling races.
mkdir -p "$TMP/wrap"
for p in "$PM_BIN"/pm-*; do
	printf '#!/bin/sh\nprintf "%%s\\n" "$0 $*" >>"$TMP/argv.log"\nexec "%s" "$@"\n' \
	    "$p" >"$TMP/wrap/${p##*/}"
	chmod +x "$TMP/wrap/${p##*/}"
done
export TMP
secret_url() {
	pg_newdb "$1" | sed "s|postgresql://postgres@|postgresql://postgres:$SECRET@|"
}

test_expect_success 'daily on PostgreSQL, password in DATABASE_URL: not in argv, messages, summary, dump or rows' '
	pg_ready && purl=$(secret_url secrets) && url=${purl/:$SECRET@/@} &&
	: >"$TMP/argv.log" &&
	DATABASE_URL=$purl PM_BIN=$TMP/wrap run "$P" daily --env-file /dev/null \
	    --summary-path s.json --dump-dir dumps --limit 5 &&
	expect_status 0 &&
	test_grep "pm-store" "$TMP/argv.log" && test_grep "pm-experiment" "$TMP/argv.log" &&
	test_grep -vF "$SECRET" "$TMP/argv.log" &&
	test_grep -vrF "$SECRET" out err s.json dumps &&
	db_dump "$url" >d && test_grep -vF "$SECRET" d &&
	test_num "$(psql -X -A -t -q "$url" -c "SELECT count(*) FROM processed_events")" -gt 0
'

test_expect_success 'status and score, password in the env file: not in argv or messages' '
	pg_ready && purl=$(secret_url secrets2) &&
	echo "DATABASE_URL=$purl" >env &&
	: >"$TMP/argv.log" &&
	PM_BIN=$TMP/wrap run "$P" status --env-file env && cat out err >all &&
	PM_BIN=$TMP/wrap run "$P" score --env-file env && cat out err >>all &&
	test_grep "pm-summary --status" "$TMP/argv.log" &&
	test_grep -vF "$SECRET" "$TMP/argv.log" all
'

test_expect_success 'metacharacters in paths and options reach no shell' '
	d="$TMP/a b;\$(touch pwned)\`touch pwned2\`&|<>*?" &&
	mkdir -p "$d" &&
	run "$P" daily --env-file /dev/null --db "$d/pm;\$(touch pwned3).db" \
	    --dump-dir "$d/dumps \$HOME" --summary-path "$d/s \$(id).json" --limit 3 &&
	expect_status 0 &&
	not ls pwned pwned2 pwned3 "$d"/pwned* 2>/dev/null &&
	test -s "$d/pm;\$(touch pwned3).db" &&
	test -s "$d/s \$(id).json" &&
	ls "$d/dumps \$HOME"/*.ndjson &&
	test_num "$(sqlite3 "$d/pm;\$(touch pwned3).db" "SELECT count(*) FROM processed_events")" -gt 0
'
test_done
