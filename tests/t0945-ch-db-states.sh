#!/bin/bash
# pm-store against ClickHouse databases in the states users leave them in
# (t0942 for SQLite and PostgreSQL): users whose profile cuts answers,
# readonly users, tables and schema_migrations altered by hand.  A
# database that could not be read, or was read only in part, is never
# taken for a complete one: pm-store says why and exits 3.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/ch.sh"

# the users of this server: ro may not write (readonly=1), cut's profile
# cuts every answer after 3 rows (result_overflow_mode=break; a block of
# one row, so that it shows with a few rows), rocut is both; agg's
# aggregates of no rows are no row (empty_result_for_aggregation_by_empty_set);
# sp's password has a space at each end
cat >"$TMP/users.xml" <<'XML'
<?xml version="1.0"?>
<yandex>
  <profiles>
    <default></default>
    <ro><readonly>1</readonly></ro>
    <cut><max_block_size>1</max_block_size><max_result_rows>3</max_result_rows><result_overflow_mode>break</result_overflow_mode></cut>
    <rocut><readonly>1</readonly><max_block_size>1</max_block_size><max_result_rows>3</max_result_rows><result_overflow_mode>break</result_overflow_mode></rocut>
    <agg><empty_result_for_aggregation_by_empty_set>1</empty_result_for_aggregation_by_empty_set></agg>
  </profiles>
  <users>
    <default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default>
    <ro><password></password><networks><ip>127.0.0.1</ip></networks><profile>ro</profile><quota>default</quota></ro>
    <cut><password></password><networks><ip>127.0.0.1</ip></networks><profile>cut</profile><quota>default</quota></cut>
    <rocut><password></password><networks><ip>127.0.0.1</ip></networks><profile>rocut</profile><quota>default</quota></rocut>
    <agg><password></password><networks><ip>127.0.0.1</ip></networks><profile>agg</profile><quota>default</quota></agg>
    <sp><password> s3 cret </password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></sp>
  </users>
  <quotas><default></default></quotas>
</yandex>
XML
chmod 644 "$TMP/users.xml"
CH_USERS=$TMP/users.xml ch_start states || { say "$CH_ERR"; exit 1; }
PORT=${CH_HTTP##*:}
# db DB [USER]: the URL of DB, as USER
db() { echo "clickhouse://${2:+$2@}127.0.0.1:$PORT/$1"; }
# filled DB: DB made afresh with six active markets, each with two
# contracts, and a completed run of the static flow
filled() {
	ch_query "DROP DATABASE IF EXISTS $1" && ch_query "CREATE DATABASE $1" &&
	{ rec_run_start r1 static
	  for i in 1 2 3 4 5 6; do
		rec_market "m$i" active:=true closed:=false \
		    contracts:="$(rec_yes_no "t${i}y" 0.4 "t${i}n" 0.6)"
	  done
	  rec_run_start r1 static | jq -c '.phase = "end" |
		.finished_at = "2026-11-23T07:01:00Z" | .status = "completed" |
		.counts = {}'
	} >in.ndjson && pm-store --db "$(db "$1")" in.ndjson >/dev/null 2>&1
}

# damage DB: markets bad1 (a record cut short), bad2 (no object), bad3
# (no UTF-8) and a raw payload that is no JSON, put in by hand; one good
# raw payload besides
damage() {
	local cols="source, market_id, record, record_sha256, first_seen_at, stored_at, active, row_version" r
	rec_raw polymarket markets "{}" "[{\"id\":\"1\"}]" | pm-store --db "$(db "$1")" >/dev/null 2>&1 &&
	for r in "'bad1', '{\"kind\":'" "'bad2', '[1]'" "'bad3', '$(printf '\xff\xfe')'"; do
		printf "INSERT INTO %s.markets (%s) VALUES ('polymarket', %s, 'x', 'x', 'x', 1, 1)" \
		    "$1" "$cols" "$r" | curl -sf --data-binary @- "$CH_HTTP/" || return 1
	done &&
	ch_query "INSERT INTO $1.raw_responses (sha256, payload, stored_at, row_version) VALUES ('badsha', 'not json', 'x', 1)"
}

test_expect_success 'a profile that cuts answers (result_overflow_mode=break): the export is whole, or refused' '
	filled cut &&
	run pm-store --db "$(db cut ro)" --export markets && expect_status 0 &&
	test_count market out 6 &&
	for e in markets "market --all" "market --format csv" "market --format tsv --all"; do
		run pm-store --db "$(db cut cut)" --export $e &&
		expect_status 3 && test_grep "Code: 396.*Limit for result exceeded" err ||
		return 1
	done &&
	run pm-store --db "$(db cut rocut)" --export markets && expect_status 3 &&
	test_grep "Cannot override setting (result_overflow_mode) in readonly mode" err &&
	test_grep "give it the \*_overflow_mode settings throw" err && test_line_count out 0
'

# --export of a database whose tables were never made wrote the CSV
# header, said "Table never.markets doesn't exist" and exited 3, where the
# others write nothing and exit 0; one whose schema_migrations was emptied
# exported from the tables as if at no version
test_expect_success 'schema_migrations emptied or dropped by hand: --last-run, --prune-before and --export say so, exit 3; none made: nothing, exit 0' '
	filled mig && run pm-store --db "$(db mig)" --last-run static &&
	expect_status 0 && test_eq 2026-11-23T07:00:00Z "$(cat out)" &&
	for how in "TRUNCATE TABLE" "DROP TABLE"; do
		ch_query "$how mig.schema_migrations" &&
		run pm-store --db "$(db mig)" --last-run static && expect_status 3 &&
		test_grep -x "pm-store: $(db mig): schema_migrations holds no schema version (emptied or edited by hand?)" err &&
		test_line_count out 0 &&
		for dry in -N ""; do
			run pm-store --db "$(db mig)" --prune-before 2999-01-01 $dry &&
			expect_status 3 && test_grep -v "nothing to prune\|removed" err ||
			return 1
		done &&
		for e in raw markets market "market --format csv" "price --format tsv"; do
			run pm-store --db "$(db mig)" --export $e && expect_status 3 &&
			test_grep -x "pm-store: $(db mig): schema_migrations holds no schema version (emptied or edited by hand?)" err &&
			test_line_count out 0 || return 1
		done &&
		test_eq 6 "$(ch_query "SELECT count() FROM mig.markets FINAL")" ||
		return 1
	done &&
	ch_query "CREATE DATABASE IF NOT EXISTS never" &&
	run pm-store --db "$(db never)" --last-run static && expect_status 0 &&
	test_line_count out 0 &&
	run pm-store --db "$(db never)" --prune-before 2999-01-01 && expect_status 0 &&
	test_grep "no tables here: nothing to prune" err &&
	for e in raw markets events market "market --format csv" "event --format tsv" "price --format csv"; do
		run pm-store --db "$(db never)" --export $e && expect_status 0 &&
		test_line_count out 0 && test_line_count err 0 || return 1
	done &&
	test_eq 0 "$(ch_query "SELECT count() FROM system.tables WHERE database = '\''never'\''")" &&
	# a database that does not exist is no empty one: never made, exit 3
	for e in "--export markets" "--export market --format csv" "--last-run static"; do
		run pm-store --db "$(db nosuch)" $e && expect_status 3 &&
		test_grep "Database nosuch doesn.t exist" err && test_line_count out 0 ||
		return 1
	done
'

test_expect_success 'stored records edited by hand into no JSON, prices into NaN or inf: named, left out of --export, exit 3; the rest exported' '
	filled dmg && damage dmg &&
	for e in markets market "market --all"; do
		run pm-store --db "$(db dmg)" --export $e && expect_status 3 &&
		test_count market out 6 &&
		test_grep -x "pm-store: --export ${e%% *}: the stored record of market polymarket/bad1 is not a JSON record (invalid JSON.*): left out" err &&
		test_grep -x "pm-store: --export ${e%% *}: the stored record of market polymarket/bad2 is not a JSON record (not an object): left out" err &&
		test_grep -x "pm-store: --export ${e%% *}: the stored record of market polymarket/bad3 is not a JSON record (invalid UTF-8): left out" err ||
		return 1
	done &&
	run pm-store --db "$(db dmg)" --export raw && expect_status 3 &&
	test_count raw out 1 &&
	test_grep -x "pm-store: --export raw: the stored record of payload badsha is not a JSON record (invalid JSON.*): left out" err &&
	for p in 0.5 inf nan; do
		ch_query "INSERT INTO dmg.price_history (token_id, side, ts, price, row_version) VALUES ('"'"'t$p'"'"', '"'"'buy'"'"', '"'"'2026-11-23T07:00:00Z'"'"', $p, 1)" ||
		return 1
	done &&
	for f in ndjson csv; do
		run pm-store --db "$(db dmg)" --export price --format $f && expect_status 3 &&
		test_grep -x "pm-store: --export price: the stored record of price tinf/2026-11-23T07:00:00Z is not a JSON record (price: not a finite number): left out" err &&
		test_grep -x "pm-store: --export price: the stored record of price tnan/2026-11-23T07:00:00Z is not a JSON record (price: not a finite number): left out" err &&
		test_grep "t0.5" out && test_grep -v "tinf\|tnan" out || return 1
	done
'

test_expect_success 'schema_migrations replaced by hand with text versions: the server'"'"'s reason said, exit 3' '
	filled txt && ch_query "DROP TABLE txt.schema_migrations" &&
	ch_query "CREATE TABLE txt.schema_migrations (version String, name String, applied_at String) ENGINE = Log" &&
	ch_query "INSERT INTO txt.schema_migrations VALUES ('"'"'two'"'"', '"'"'x'"'"', '"'"'x'"'"')" &&
	for a in "--last-run static" "--prune-before 2999-01-01" in.ndjson; do
		run pm-store --db "$(db txt)" $a && expect_status 3 &&
		test_grep "Code: 6.*Cannot parse string '"'"'two'"'"' as Int64" err &&
		test_grep -v "answer over" err &&
		test_grep -v "clickhouse://.*clickhouse://" err || return 1
	done &&
	test_eq 6 "$(ch_query "SELECT count() FROM txt.markets FINAL")"
'

test_expect_success 'an exception in a 200 answer: no record said inserted, the export not taken for whole, exit 3' '
	ch_query "DROP DATABASE IF EXISTS px" && ch_query "CREATE DATABASE px" &&
	rec_market m1 >in.ndjson && rec_market m2 >>in.ndjson &&
	run pm-store --db "$(db px)" --schema clickhouse && expect_status 0 &&
	ch_proxy "^INSERT INTO .markets.|^SELECT source, market_id, record" "Code: 241. DB::Exception: Memory limit (total) exceeded" px &&
	run pm-store --db "$PROXY_URL" in.ndjson && expect_status 3 &&
	test_grep -x "pm-store: $PROXY_URL: Code: 241. DB::Exception: Memory limit (total) exceeded" err &&
	test_grep -v "\"stored\":\"inserted\"" out &&
	test_eq 2 "$(grep -c "\"reason\":\"store_failed\"" out)" &&
	run pm-store --db "$PROXY_URL" --export markets && expect_status 3 &&
	test_grep "export markets: .*Code: 241. DB::Exception: Memory limit" err
'

# later releases refuse a joined subquery without an alias
# (joined_subquery_requires_alias, 18.16 has no such setting): the proxy
# answers so what would be refused
test_expect_success 'joins that later releases accept: the schema'"'"'s views and every --export' '
	ch_query "DROP DATABASE IF EXISTS px" && ch_query "CREATE DATABASE px" &&
	ch_proxy "\) (GLOBAL (ANY|ALL) LEFT JOIN|USING)" "Code: 206. DB::Exception: No alias for subquery or table function in JOIN (set joined_subquery_requires_alias=0 to disable restriction)." px &&
	run pm-store --db "$PROXY_URL" --schema clickhouse && expect_status 0 &&
	filled px &&
	test_eq 6 "$(ch_query "SELECT count() FROM px.market_outcomes WHERE length(token_ids) = 2")" &&
	for e in market markets "market --all" "market --format csv" events price raw; do
		run pm-store --db "$PROXY_URL" --export $e && expect_status 0 || return 1
	done &&
	run pm-store --db "$PROXY_URL" --export markets && test_count market out 6
'

test_expect_success 'tables altered by hand: a column dropped, a table dropped or a view: refused before anything, exit 3' '
	filled alt && ch_query "ALTER TABLE alt.markets DROP COLUMN question" &&
	rec_market m7 >in7.ndjson &&
	for a in in7.ndjson "--export markets" "--export raw" "--last-run static" "--prune-before 2999-01-01"; do
		run pm-store --db "$(db alt)" $a && expect_status 3 &&
		test_grep -x "pm-store: $(db alt): table markets has no column question (dropped or renamed by hand?)" err &&
		test_line_count out 0 || return 1
	done &&
	test_eq 0 "$(ch_query "SELECT count() FROM alt.markets WHERE market_id = '"'"'m7'"'"'")" &&
	ch_query "ALTER TABLE alt.markets ADD COLUMN question Nullable(String)" &&
	ch_query "ALTER TABLE alt.markets ADD COLUMN extra String" &&
	run pm-store --db "$(db alt)" in7.ndjson && expect_status 0 &&
	ch_query "DROP TABLE alt.events" &&
	ch_query "CREATE VIEW alt.events AS SELECT * FROM alt.markets" &&
	run pm-store --db "$(db alt)" --export events && expect_status 3 &&
	test_grep -x "pm-store: $(db alt): table events is a View, not a ReplacingMergeTree (replaced by hand?)" err &&
	test_line_count out 0 &&
	ch_query "DROP TABLE alt.events" &&
	run pm-store --db "$(db alt)" in7.ndjson && expect_status 3 &&
	test_grep -x "pm-store: $(db alt): table events is missing (dropped by hand?)" err
'

test_expect_success '--last-run answered with nothing: not taken for no run, exit 3; no runs of a flow: nothing, exit 0' '
	filled px && ch_proxy "FROM processing_runs FINAL WHERE" "" px &&
	run pm-store --db "$PROXY_URL" --last-run static && expect_status 3 &&
	test_grep "the answer held no row, one was due" err && test_line_count out 0 &&
	run pm-store --db "$(db px)" --last-run static && expect_status 0 &&
	test_eq 2026-11-23T07:00:00Z "$(cat out)" &&
	for u in "" agg; do
		run pm-store --db "$(db px $u)" --last-run delta && expect_status 0 &&
		test_line_count out 0 &&
		run pm-store --db "$(db px $u)" --prune-before 2000-01-01 && expect_status 0 &&
		test_grep "0 raw payload versions fetched before 2000-01-01 removed" err ||
		return 1
	done
'

# the delta flow's watermark as on SQLite and PostgreSQL (t0811): a
# partial run, or one cut short by --limit, missed what changed
test_expect_success '--last-run: the newest completed run, not a partial one nor one cut short by a limit' '
	ch_query "DROP DATABASE IF EXISTS wm" && ch_query "CREATE DATABASE wm" &&
	for r in "r1 completed 00 null" "r2 completed 01 5" "r3 partial 02 null" "r4 failed 03 null" "r5 completed 04 null"; do
		set -- $r &&
		jq -cn --arg id "$1" --arg st "$2" --arg t "2026-01-01T$3:00:00.000Z" \
		    --argjson lim "$4" "{kind:\"run\", phase:\"start\", run_id:\$id,
		    flow:\"delta\", run_date:\"2026-01-01\", started_at:\$t,
		    options:{limit:\$lim}} | ., . + {phase:\"end\", final:true,
		    status:\$st, finished_at:\$t}" || return 1
	done >runs.ndjson &&
	run pm-store --db "$(db wm)" runs.ndjson && expect_status 0 &&
	run pm-store --db "$(db wm)" --last-run static,delta --now 2026-01-01T04:00:00Z &&
	expect_status 0 && test_eq 2026-01-01T00:00:00.000Z "$(cat out)" &&
	run pm-store --db "$(db wm)" --last-run delta --now 2026-01-01T04:00:00.001Z &&
	expect_status 0 && test_eq 2026-01-01T04:00:00.000Z "$(cat out)" &&
	run pm-store --db "$(db wm)" --last-run delta --now 2026-01-01T00:00:00Z &&
	expect_status 0 && test_line_count out 0
'

# the server strips the spaces at the ends of a header's value: the
# password sent as X-ClickHouse-Key was refused ("Wrong password")
test_expect_success 'a password with a space at each end: stored, read, never shown' '
	ch_query "DROP DATABASE IF EXISTS sp" && ch_query "CREATE DATABASE sp" &&
	u="clickhouse://sp:%20s3%20cret%20@127.0.0.1:$PORT/sp" &&
	rec_market s1 >in.ndjson &&
	run pm-store --db "$u" in.ndjson && expect_status 0 &&
	test_grep "1 inserted" err &&
	run pm-store --db "$u" --export markets && expect_status 0 &&
	test_count market out 1 &&
	run pm-store --db "$u" --last-run static && expect_status 0 &&
	run pm-summary --db "$u" --status && test_num "$status" -ne 3 &&
	test_grep "^  static " out &&
	test_grep -v "s3\|cret" err out &&
	run pm-store --db "clickhouse://sp:%20s3%20cret@127.0.0.1:$PORT/sp" --last-run static &&
	expect_status 3 && test_grep "Wrong password for user sp" err &&
	test_grep -v "s3\|cret" err out
'

# last: the server stopped (SIGSTOP) takes connections and never answers
test_expect_success 'a server that never answers: exit 3 within PM_DB_TIMEOUT, no hang' '
	filled hung && kill -STOP "$(cat "$CH_PIDFILE")" &&
	test_when_finished "kill -CONT $(cat "$CH_PIDFILE")" &&
	for a in in.ndjson "--export markets" "--last-run static" "--prune-before 2999-01-01"; do
		start=$(date +%s) &&
		PM_DB_TIMEOUT=1 run timeout 30 pm-store --db "$(db hung)" $a &&
		expect_status 3 && test_num $(($(date +%s) - start)) -lt 10 &&
		test_grep -x "pm-store: $(db hung): no answer within 1 s (PM_DB_TIMEOUT)" err || return 1
	done
'

# a readonly user (ro) storing: ClickHouse 18.16 refuses it any DDL and
# write alike (Code: 164 READONLY), so it is said once, before any
# record, exit 3, as for a PostgreSQL role with SELECT only (t0445): no
# record is failed for the database's rights
test_expect_success 'a readonly user storing: said once, nothing stored, exit 3' '
	filled rostore && n=$(ch_query "SELECT count() FROM rostore.markets") &&
	rec_market new1 | cat - in.ndjson >both.ndjson &&
	run pm-store --db "$(db rostore ro)" both.ndjson && expect_status 3 &&
	test_line_count err 1 && test_line_count out 0 &&
	test_grep -x "pm-store: $(db rostore ro): Code: 164, .*in readonly mode" err &&
	test_eq "$n" "$(ch_query "SELECT count() FROM rostore.markets")"
'

test_done
