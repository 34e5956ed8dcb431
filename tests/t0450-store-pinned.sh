#!/bin/bash
# pm-store's row content pinned: record_sha256, failure_sha256 and every
# column that does not hold the time of storing, as the store wrote them
# before its refactoring.  A change here makes every stored row read as
# updated once: it must never happen by accident.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
RUN=$TESTS_DIR/fixtures-store/run.ndjson
pg_start

# A market written untidily: blanks, escapes, numbers that are not the
# shortest form, a "stored" annotation and provenance members.
ODD='{ "kind" : "market","source":"polymarket","market_id":"900001",
"question":"caf\u00e9 \/ \"q\"","volume":1.50,"liquidity":1e2,
"best_bid":0.10,"active":true,"closed":false,
"fetched_at":"2026-01-01T00:00:00Z","raw_sha256":"00",
"tags":[{"id":"7","slug":"x","label":"X"}],
"contracts":[{"outcome":"Yes","token_id":"1","price":0.5E0}],
"extra":{"b":[1,2.0,-0.0,1E+2,1.0e-7,12345678901234567890]},"stored":"inserted"}'

input() {
	head -1 "$RUN"
	jq -c ".[]" "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json |
	    pm-normalize | head -40
	jq -c ".[]" "$FIXTURES"/gamma-events-bobaoxu2001-1.json | head -3 |
	    pm-normalize
	tail -n +2 "$RUN"
	printf '%s\n' "$ODD" | tr -d '\n'
	echo
	printf '{"kind":"group","event_key":"market:900001","markets":[%s],' \
	    "$(printf '%s' "$ODD" | tr -d '\n')"
	printf '"results":[{"experiment_id":"e1","suite":"s","stage":'
	printf '"research","variant":"v","type":"t","status":"ok","output":'
	printf '{"p": 0.70, "why":"\\u0041"},"probabilities":{"Yes":0.7}}]}\n'
	echo '{"kind":"failure","stage":"fetch","reason":"http_error","retriable":true,"url":"http://x/","detail":"500 ","market_id":"1", "extra":[1.0]}'
	echo '{"kind":"market","source":"polymarket"}'
	echo '{"kind":"nope"}'
	echo 'not json'
}

# Every column but the times of storing, table by table, hashed; and but
# price_history.fetched_at (schema 13) and contracts.quote_fetched_at
# (schema 14), columns added after the pin: the columns pinned still
# hash as before.
tables() {
	for t in raw_responses markets contracts tags events price_history \
	    processing_runs processed_events processed_markets \
	    processed_contracts experiments experiment_runs \
	    experiment_results research_artifacts experiment_markets \
	    processing_failures; do
		cols=$(sqlite3 "$1" "select group_concat(name) from
		    pragma_table_info('$t') where name not in ('stored_at',
		    'first_seen_at', 'recorded_at', 'processed_at',
		    'finished_at') and not ('$t' = 'experiment_runs' and
		    name = 'started_at') and not ('$t' = 'price_history' and
		    name = 'fetched_at') and not ('$t' = 'contracts' and
		    name = 'quote_fetched_at')")
		echo "$t $(sqlite3 "$1" "select $cols from $t order by $cols" |
		    sha256sum | cut -c1-16)"
	done
}

SHAS='select market_id, record_sha256 from markets where market_id in
    (select market_id from markets order by market_id limit 2) or
    market_id = '"'900001'"' union all
    select event_id, record_sha256 from events order by 1'
pinned_shas() {
	cat <<-\EOW
	16183|d13885b7eef4a4d199520838e4460700f5bc72b879c5c8b3d723799e17e64705
	16263|96cdf90356da72b51d35347bac1c07199009e11581247fbde66556e5bb98e8ab
	1642124|6f99bbf863716030ac40d7720c1587599f014b5e0868ce51eb4abd0d1ac60a07
	2694508|ca2f2289250fb81e190519f925e7a95e3df1cd9430cccbcc4d70daaa23117f7e
	900001|f2ae361fd684b112980e56fed02da0468b58bc15cdd821799d23f0ff7d4c4092
	EOW
}

test_expect_success 'record_sha256 of markets and events as pinned' '
	input >in.ndjson &&
	run pm-store --db a.db in.ndjson && expect_status 1 &&
	sqlite3 a.db "$SHAS" >got && pinned_shas >want && test_cmp want got
'

test_expect_success 'record_sha256 as pinned on PostgreSQL (COPY) too' '
	pg_ready && url=$(pg_newdb pinned) && input >in.ndjson &&
	run pm-store --db "$url" in.ndjson && expect_status 1 &&
	psql -X -A -t "$url" -c "$SHAS" >got && pinned_shas >want &&
	test_cmp want got
'

test_expect_success 'failure_sha256 of bad records and failures as pinned' '
	input >in.ndjson &&
	run pm-store --db a.db in.ndjson && expect_status 1 &&
	sqlite3 a.db "select reason, failure_sha256 from processing_failures
	    order by 1, 2" >got &&
	cat >want <<-\EOW &&
	bad_record|6b837d3d12e4e868aff7e6c0d85240e945cdf2df172bc4ff3e77efbd201c92ed
	bad_record|86eb27043109ac107d39c2c2031eaa1277b70f6e6a0f25c6d377e214a9d78931
	bad_record|9f4a487684b9c560a7a6c3d7770cd4c9b5c6417853e8fc1b2f0b882de81f16cb
	http_error|e5892f4a3c2766c21b36971491965cf022d7cf891f604ac29d1b3e606d3db5b5
	no_experiment_results|fa1198b2b4deab861e692fec0605699f4b6f7411d6ded147612dcc6d989cbcdc
	EOW
	test_cmp want got
'

test_expect_success 'every stored column as pinned' '
	input >in.ndjson &&
	run pm-store --db a.db in.ndjson && expect_status 1 &&
	tables a.db >got &&
	cat >want <<-\EOW &&
	raw_responses f8e286d2a32e611d
	markets 01d1186c27aa1bd0
	contracts b66ccd95c5e5670c
	tags d5ca44d72dcdad11
	events 9418f6c6cd28f00c
	price_history bd2afcc3ae2318d5
	processing_runs 09a2416af6156bb7
	processed_events 1e4c592f3da990a8
	processed_markets 51dfc541107afc1f
	processed_contracts 81030984f1bbb7e2
	experiments 595c2b7cf77bb294
	experiment_runs e644562428379f23
	experiment_results f8556c13353d338e
	research_artifacts 3345b8ddc46f8bfd
	experiment_markets b76388528a4c15eb
	processing_failures 934155d3989b435b
	EOW
	test_cmp want got
'

test_done
