#!/bin/bash
# prune --keep-days takes 0 to 100000 days, but a cut before 1970 (more
# than about 20800 days: "keep a century") was handed to pm-store
# --prune-before, which takes no time before the epoch: every such run
# removed nothing, said "not a date", and exited 3 from cron every day.
# Nothing is fetched before 1970: the cut is the epoch then.
. "$(dirname "$0")/lib.sh"
P=$TOP/pipelines.sh
E=(--env-file /dev/null --db "$TMP/pm.db")

test_expect_success 'setup: a database with a payload' '
	{ rec_run_start r1 static
	  rec_raw gamma markets "{\"limit\":\"500\"}" "{\"id\":\"1\"}"; } >raw.ndjson &&
	run pm-store --db "$TMP/pm.db" raw.ndjson && expect_status 0 &&
	test_eq 1 "$(sqlite3 "$TMP/pm.db" "SELECT count(*) FROM raw_payloads")"
'

for days in 20800 36500 100000; do
	test_expect_success "prune --keep-days $days: exit 0, nothing removed" '
		mkdir -p dumps logs &&
		touch -d "10 days ago" dumps/old.ndjson logs/daily.log &&
		run "$P" prune --keep-days '"$days"' "${E[@]}" && expect_status 0 &&
		test_grep -v "not a date" err &&
		test_grep "raw payload versions fetched before 1970-01-01T00:00:00.000Z removed" err &&
		test -e dumps/old.ndjson && test -e logs/daily.log &&
		run "$P" prune --keep-days '"$days"' --dry-run "${E[@]}" &&
		expect_status 0
	'
done

test_expect_success 'a cut after 1970 stays as it was' '
	run "$P" prune --keep-days 20000 --now 2026-12-07T00:00:00Z "${E[@]}" &&
	expect_status 0 &&
	test_grep "fetched before 1972-03-05T00:00:00.000Z removed" err
'
test_done
