#!/bin/bash
# pm-store and pm-summary against SQLite databases in the states users
# leave them in: locked by another process, altered, filled by hand.  A
# database that could not be read is never taken for an empty one: a
# reader says why and exits 3, it never reports "no data", no forecasts
# or nothing processed.  (pm-store when SQLite fails mid-run: t0940.)
. "$(dirname "$0")/lib.sh"

. "$TESTS_DIR/score-data.sh"

# hold_excl DB: another process holds DB in exclusive locking mode (no
# reader gets in) until ./release appears (30 s at most); returns once
# it is held.  $holder is its pid.
hold_excl() { sqlite_hold "$1" "UPDATE markets SET question = question" exclusive; }

release_excl() {
	touch release
	wait "$holder"
}

test_expect_success 'a database locked past PM_DB_TIMEOUT: status, score and -n say so, exit 3' '
	scored d.db &&
	hold_excl d.db && test_when_finished release_excl &&
	PM_DB_TIMEOUT=0.2 run pm-summary --status --db d.db --json && expect_status 3 &&
	test_grep -x "pm-summary: d.db: schema version: database is locked" err &&
	test_line_count out 0 &&
	PM_DB_TIMEOUT=0.2 run pm-summary --score --db d.db --json && expect_status 3 &&
	test_grep -x "pm-summary: d.db: schema version: database is locked" err &&
	test_line_count out 0 &&
	PM_DB_TIMEOUT=0.2 run pm-store --db d.db -n "$TMP/forecasts.ndjson" &&
	expect_status 3 && test_grep -x "pm-store: d.db: database is locked" err &&
	test_count group out 0
'

test_expect_success 'schema_migrations emptied by hand: every reader and the store say so, exit 3' '
	scored d.db && sqlite3 d.db "DELETE FROM schema_migrations" &&
	why="d.db: schema_migrations holds no schema version (emptied or edited by hand?)" &&
	run pm-summary --status --db d.db --json && expect_status 3 &&
	test_grep -x "pm-summary: d.db: schema version: ${why#d.db: }" err &&
	run pm-summary --score --db d.db --json && expect_status 3 && test_line_count out 0 &&
	run pm-store --db d.db -n "$TMP/forecasts.ndjson" && expect_status 3 &&
	test_grep -x "pm-store: $why" err && test_count group out 0 &&
	run pm-store --db d.db --last-run static && expect_status 3 &&
	run pm-store --db d.db "$TMP/resolutions.ndjson" && expect_status 3 &&
	test_grep -x "pm-store: d.db: migration: ${why#d.db: }" err
'

test_expect_success 'the same database once free: fresh, scored, its groups processed' '
	scored d.db &&
	run pm-summary --status --db d.db --flow static --json && expect_status 0 &&
	jq -e ".level == \"fresh\"" out >/dev/null &&
	run pm-summary --score --db d.db --json && expect_status 0 &&
	jq -e ".variants | length == 3" out >/dev/null &&
	run pm-store --db d.db -n "$TMP/forecasts.ndjson" && expect_status 0 &&
	test_grep "2 groups already processed" err
'

test_expect_success 'a database pm-store never wrote: no data, no forecasts, nothing processed' '
	sqlite3 e.db "CREATE TABLE notes (x TEXT)" &&
	run pm-summary --status --db e.db --json && expect_status 5 &&
	jq -e ".level == \"no_data\"" out >/dev/null &&
	run pm-summary --score --db e.db --json && expect_status 0 &&
	jq -e ".variants == []" out >/dev/null &&
	run pm-store --db e.db -n "$TMP/forecasts.ndjson" && expect_status 0 &&
	test_count group out 2 && test_grep "0 groups already processed" err
'

# reader CMD...: CMD as a user who may read the database but write
# nothing beside it (root writes everywhere: the test user of pg.sh)
reader() {
	if [ "$(id -u)" -ne 0 ]; then
		"$@"
	else
		runuser -u pmtest -- env PATH="$PATH" ASAN_OPTIONS="$ASAN_OPTIONS" \
			UBSAN_OPTIONS="$UBSAN_OPTIONS" "$@"
	fi
}

test_expect_success 'a database in a directory the reader may not write to: read as it is' '
	if [ "$(id -u)" -eq 0 ]; then
		id pmtest >/dev/null 2>&1 ||
			useradd -r -M -d /nonexistent -s /usr/sbin/nologin pmtest
	fi &&
	mkdir ro && scored ro/d.db && test ! -e ro/d.db-wal &&
	chmod 755 "$TMP" . && chmod 555 ro && test_when_finished chmod 755 "$PWD/ro" &&
	reader pm-summary --status --db ro/d.db --flow static --json >out 2>err &&
	jq -e ".level == \"fresh\" and .markets.total == 4" out >/dev/null &&
	reader pm-summary --score --db ro/d.db --json >out 2>err &&
	jq -e ".variants | length == 3" out >/dev/null &&
	reader pm-store --db ro/d.db -n "$TMP/forecasts.ndjson" >out 2>err &&
	test_grep "2 groups already processed" err &&
	reader pm-store --db ro/d.db -e markets >out 2>err && test_count market out 4 &&
	reader pm-store --db ro/d.db --last-run static >out 2>err &&
	test_eq 2026-11-23T07:00:00Z "$(cat out)" &&
	reader pm-store --db ro/d.db --prune-before 2030-01-01 -N >out 2>err &&
	test_grep -x "pm-store: [0-9]* raw payload versions fetched before 2030-01-01 would go in ro/d.db" err &&
	test ! -e ro/d.db-wal && test ! -e ro/d.db-shm &&
	not reader pm-store --db ro/d.db "$TMP/resolutions.ndjson" >out 2>err &&
	test_grep -x "pm-store: ro/d.db: attempt to write a readonly database" err
'

test_expect_success 'pm-store --prune-before -N beside a writer at work: counts what is committed, exit 0' '
	scored d.db &&
	sqlite3 d.db "INSERT INTO raw_payloads VALUES ('\''ab'\'', NULL, '\''{}'\'');
	    INSERT INTO raw_observations (sha256, source, endpoint, url, fetched_at, stored_at)
	    VALUES ('\''ab'\'', '\''gamma'\'', '\''markets'\'', '\''u'\'', '\''2026-01-01T00:00:00Z'\'', '\''2026-01-01T00:00:00Z'\'')" &&
	run pm-store --db d.db --prune-before 2026-06-01 -N && expect_status 0 &&
	test_grep -x "pm-store: 1 raw payload versions fetched before 2026-06-01 would go in d.db" err &&
	sqlite_hold d.db "DELETE FROM raw_observations" && test_when_finished release_excl &&
	PM_DB_TIMEOUT=0.2 run pm-store --db d.db --prune-before 2026-06-01 -N &&
	expect_status 0 &&
	test_grep -x "pm-store: 1 raw payload versions fetched before 2026-06-01 would go in d.db" err &&
	PM_DB_TIMEOUT=0.2 run pm-store --db d.db --prune-before 2026-06-01 &&
	expect_status 3 && test_grep "database is locked" err
'

test_expect_success 'a stored record edited by hand into no JSON: left out of --export and said as the kind was named, exit 3; the rest exported' '
	scored d.db &&
	sqlite3 d.db "UPDATE markets SET record = '"'"'{\"kind\":'"'"' WHERE market_id = '"'"'m1'"'"';
		UPDATE markets SET record = CAST(x'"'"'ff'"'"' AS TEXT) WHERE market_id = '"'"'m3'"'"';
		UPDATE processed_events SET record = '"'"'[1]'"'"' WHERE event_key = '"'"'e1'"'"'" &&
	run pm-store --db d.db -e markets && expect_status 3 &&
	test_count market out 2 &&
	test_grep -x "pm-store: --export markets: the stored record of market polymarket/m1 is not a JSON record (invalid JSON.*): left out" err &&
	test_grep -x "pm-store: --export markets: the stored record of market polymarket/m3 is not a JSON record (invalid UTF-8): left out" err &&
	run pm-store --db d.db -e market --all && expect_status 3 &&
	test_count market out 2 &&
	test_grep -x "pm-store: --export market: the stored record of market polymarket/m1 is not a JSON record (invalid JSON.*): left out" err &&
	run pm-store --db d.db -e market && expect_status 3 && test_count market out 0 &&
	run pm-store --db d.db -e group && expect_status 3 && test_count group out 1 &&
	test_grep -x "pm-store: --export group: the stored record of group e1 is not a JSON record (not an object): left out" err
'

test_expect_success 'a plain raw payload or request edited by hand into no JSON: left out of -e raw and said, exit 3' '
	for what in "raw_payloads SET payload" "raw_observations SET request"; do
		rm -f r.db* &&
		{ rec_raw polymarket markets "{}" "[{\"id\":\"1\"}]"; rec_raw polymarket markets "{}" "[{\"id\":\"2\"}]"; } |
			pm-store --db r.db >/dev/null 2>&1 &&
		sha=$(sqlite3 r.db "SELECT sha256 FROM raw_observations ORDER BY id LIMIT 1") &&
		sqlite3 r.db "UPDATE $what = '"'"'not json'"'"' WHERE sha256 = '"'"'$sha'"'"'" &&
		run pm-store --db r.db -e raw && expect_status 3 && test_count raw out 1 &&
		test_grep -x "pm-store: --export raw: the stored record of payload $sha is not a JSON record (invalid JSON.*): left out" err ||
		return 1
	done
'

# newer DB: a database a newer pm-store wrote, with one old raw payload
newer() {
	rec_raw polymarket markets "{}" "[{\"id\":\"1\"}]" | pm-store --db "$1" >/dev/null 2>&1 &&
	sqlite3 "$1" "INSERT INTO schema_migrations VALUES (999, 'later', 'x')"
}

test_expect_success 'a database a newer pm-store wrote: --prune-before refuses it as a store does, nothing deleted' '
	newer n.db &&
	run pm-store --db n.db "$TMP/resolutions.ndjson" && expect_status 3 &&
	test_grep -x "pm-store: n.db: database schema version 999 is newer than this pm-store knows ($(schema_latest))" err &&
	for dry in -N ""; do
		run pm-store --db n.db --prune-before 2099-01-01 $dry && expect_status 3 &&
		test_grep -x "pm-store: n.db: database schema version 999 is newer than this pm-store knows ($(schema_latest))" err ||
		return 1
	done &&
	test_eq 1 "$(sqlite3 n.db "SELECT count(*) FROM raw_payloads")" payloads &&
	test_eq 1 "$(sqlite3 n.db "SELECT count(*) FROM raw_observations")" observations
'

test_expect_success 'a database without pm-store tables: nothing to prune, exit 0' '
	sqlite3 e.db "CREATE TABLE notes (x TEXT)" &&
	run pm-store --db e.db --prune-before 2099-01-01 && expect_status 0 &&
	test_grep -x "pm-store: 0 raw payload versions fetched before 2099-01-01 removed in e.db" err
'

test_done
