#!/bin/bash
# pm-summary --status --notify on a database of an older schema: only
# status_alerts is written, the schema is never upgraded (a check did
# run every migration, and the older pm-store still writing the database
# then refused it as "newer than this pm-store knows").  Without a
# status_alerts table (schema before 7) the alert is told at every check,
# its state not kept, the database left as it is.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"	# webhook_start; fake_stop_all stops it

webhook_start /hook/sekret
F=$TESTS_DIR/fixtures-store
versions() {
	sqlite3 "$1" "SELECT version FROM schema_migrations ORDER BY version" |
	    paste -sd, -
}
shape() {
	sqlite3 "$1" "SELECT type, name, sql FROM sqlite_master ORDER BY type, name"
}

test_expect_success 'schema [1,2,3,7]: the alert told once, its state kept, no migration' '
	sqlite3 old.db <"$F/build-c51f474.sql" &&
	shape old.db >before &&
	run pm-summary --status --db old.db --flow daily --notify "$HOOK" &&
	expect_status 5 && test_eq 1 "$(posts)" &&
	test_eq "1,2,3,7" "$(versions old.db)" &&
	shape old.db >after && test_cmp before after &&
	test_eq stale "$(sqlite3 old.db "SELECT level FROM status_alerts WHERE alert_key = '"'"'daily'"'"'")" &&
	run pm-summary --status --db old.db --flow daily --notify "$HOOK" &&
	expect_status 5 && test_eq 1 "$(posts)" && test ! -s err
'

test_expect_success 'schema [1,2]: no status_alerts, told at every check, the database unchanged' '
	sqlite3 v2.db <"$F/build-6936e21.sql" &&
	sqlite3 v2.db .dump >before &&
	for i in 2 3; do
		run pm-summary --status --db v2.db --flow daily --notify "$HOOK" &&
		expect_status 5 && test_eq "$i" "$(posts)" || return 1
	done &&
	test_grep "^pm-summary: v2.db: alert state: no status_alerts table" err &&
	tail -n 1 "$TMP/hook.log" | jq -e ".text | test(\"alert state not kept\")" >/dev/null &&
	sqlite3 v2.db .dump >after && test_cmp before after
'

test_done
