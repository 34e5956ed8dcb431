#!/bin/bash
# pm-store into SQLite: idempotence, annotations, runs, groups, bad records.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/fake-polymarket.sh"
RUN=$TESTS_DIR/fixtures-store/run.ndjson

markets() {
	jq -c ".[]" "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json | pm-normalize
}

test_expect_success 'the same stream stored twice gives identical tables' '
	markets >in.ndjson && cat "$RUN" >>in.ndjson &&
	run pm-store --db a.db in.ndjson && expect_status 0 &&
	db_dump a.db >one &&
	test_grep "208 records: 207 inserted, 0 updated, 0 unchanged, 0 duplicate, 1 skipped, 0 failed in a.db" err &&
	run pm-store --db a.db in.ndjson && expect_status 0 &&
	test_grep "0 inserted, 0 updated, 103 unchanged, 101 duplicate, 4 skipped, 0 failed" err &&
	db_dump a.db >two && test_cmp one two &&
	test_num "$(sqlite3 a.db "select count(*) from markets")" -eq 109
'

test_expect_success 'the same markets fetched twice: the second store is unchanged' '
	fake_start same --markets 30 --events 2 &&
	pm-fetch markets --closed any | pm-normalize >f1.ndjson &&
	sleep 1 &&
	pm-fetch markets --closed any | pm-normalize >f2.ndjson &&
	! cmp -s f1.ndjson f2.ndjson &&
	run pm-store --db f.db f1.ndjson && expect_status 0 &&
	sqlite3 f.db "select market_id, fetched_at, record from markets" >one &&
	run pm-store --db f.db f2.ndjson && expect_status 0 &&
	jq -r "select(.kind == \"market\") | .stored" out | sort | uniq -c |
	    sed "s/^ *//" >got && test -s got &&
	    echo "$(grep -c "^{\"kind\":\"market\"" f2.ndjson) unchanged" >want &&
	    test_cmp want got &&
	sqlite3 f.db "select market_id, fetched_at, record from markets" >two &&
	test_cmp one two
'

test_expect_success 'output is the input, each record annotated in place' '
	markets >in.ndjson &&
	run pm-store --db a.db in.ndjson && expect_status 0 &&
	sed "s/,\"stored\":\"[a-z]*\"}\$/}/" out >back && test_cmp in.ndjson back &&
	jq -r .stored out | sort | uniq -c | sed "s/^ *//" >got &&
	printf "200 inserted\n" >want && test_cmp want got &&
	echo "{}" | pm-store --db a.db >o2 2>/dev/null || true &&
	head -1 o2 | test_grep -x "{\"stored\":\"failed\"}"
'

test_expect_success 'a changed market is updated, in place, never re-inserted' '
	markets | grep "^{\"kind\":\"market" | head -2 >in.ndjson &&
	run pm-store --db a.db in.ndjson &&
	sed "s/\"question\":\"[^\"]*\"/\"question\":\"changed\"/" in.ndjson >in2 &&
	run pm-store --db a.db in2 && expect_status 0 &&
	jq -r .stored out | tr "\n" " " >got && echo "updated updated " >want &&
	echo >>got && test_cmp want got &&
	test_eq changed "$(sqlite3 a.db "select distinct question from markets")"
'

test_expect_success 'bad records: position, failure record, row, exit 1, neighbours stored' '
	markets | head -2 >in.ndjson &&
	{ head -1 "$RUN"; echo "{\"kind\":\"market\",\"source\":\"polymarket\"}";
	  echo "{\"kind\":\"bogus\"}"; echo "not json";
	  echo "{\"kind\":\"market\",\"source\":\"polymarket\",\"market_id\":\"9\",\"active\":\"yes\"}";
	  cat in.ndjson; } >bad.ndjson &&
	run pm-store --db a.db bad.ndjson && expect_status 1 &&
	test_grep "^pm-store: bad.ndjson:2: market_id missing\$" err &&
	test_grep "^pm-store: bad.ndjson:3: unknown kind: bogus\$" err &&
	test_grep "^pm-store: bad.ndjson:4: " err &&
	test_grep "^pm-store: bad.ndjson:5: active is not a boolean\$" err &&
	test_count failure out 4 &&
	test_num "$(sqlite3 a.db "select count(*) from markets")" -eq 1 &&
	test_num "$(sqlite3 a.db "select count(*) from processing_failures where reason = '\''bad_record'\'' and run_id is not null")" -eq 4 &&
	jq -r "select(.kind==\"run\") | .status" out | tail -1 | test_grep -x partial
'

test_expect_success 'a number beyond a double outside a number column fails its record, never stored as null' '
	markets | grep "^{\"kind\":\"market\"" | head -3 >m3 &&
	sed -n 1p m3 | sed "s/,\"fetched_at\":/,\"extra\":[1e400],\"fetched_at\":/" >big.ndjson &&
	sed -n 2p m3 | sed "s/\"event\":{/\"event\":{\"n\":-1e999,/" >>big.ndjson &&
	grep "\"kind\":\"group\"" "$RUN" | head -1 |
	    sed "s/\"output\":{/\"output\":{\"big\":1e400,/" >>big.ndjson &&
	sed -n 3p m3 >>big.ndjson &&
	test "$(grep -c "e400\|e999" big.ndjson)" -eq 3 &&
	run pm-store --db big.db big.ndjson && expect_status 1 &&
	test_grep "^pm-store: big.ndjson:1: extra holds a number beyond a double\$" err &&
	test_grep "^pm-store: big.ndjson:2: event holds a number beyond a double\$" err &&
	test_grep "^pm-store: big.ndjson:3: results holds a number beyond a double\$" err &&
	test_grep "4 records: 1 inserted, 0 updated, 0 unchanged, 0 duplicate, 0 skipped, 3 failed" err &&
	test_num "$(sqlite3 big.db "select count(*) from markets")" -eq 1 &&
	test_num "$(sqlite3 big.db "select count(*) from processed_events")" -eq 0 &&
	pm-store --db big.db -e markets >exp && sed -n 3p m3 >want && test_cmp want exp &&
	run pm-store -N big.ndjson && expect_status 1 &&
	test_grep "^pm-store: big.ndjson:1: extra holds a number beyond a double\$" err
'

test_expect_success 'many bad lines among records: each a failure in order, the rest stored' '
	markets | grep "\"kind\":\"market\"" | head -100 >good.ndjson &&
	awk "{ print; print \"not json \" NR; print \"{\\\"kind\\\":\" }" good.ndjson >mixed.ndjson &&
	run pm-store --db m.db mixed.ndjson && expect_status 1 &&
	test_count failure out 200 &&
	test_num "$(sqlite3 m.db "select count(*) from processing_failures where reason = '\''bad_record'\''")" -eq 200 &&
	test_num "$(sqlite3 m.db "select count(*) from markets")" -eq "$(jq -r .market_id good.ndjson | sort -u | wc -l)" &&
	jq -r "if .kind == \"failure\" then (.input | split(\":\") | last) else \"r\" end" out >order &&
	awk "NR % 3 == 1 { print \"r\"; next } { print NR }" mixed.ndjson >want &&
	test_cmp want order &&
	# stderr: each kind of message 10 times, then how many more
	test_num "$(grep -c "^pm-store: mixed.ndjson:[0-9]*: " err)" -eq 20 &&
	test_num "$(sed -n "s/^pm-store: mixed.ndjson: \([0-9]*\) more lines: .*(not repeated)$/\1/p" err | awk "{ s += \$1 } END { print s }")" -eq 180
'

test_expect_success 'a long input path: each bad line its own failure, line numbers kept' '
	d=$(printf "%0200d" 0) && long=$d/$d/$d/$d/$d/$d && mkdir -p "$long" &&
	printf "not json\nnot json\n" >"$long/in.ndjson" &&
	run pm-store --db l.db "$long/in.ndjson" && expect_status 1 &&
	test_grep "2 failed" err &&
	sqlite3 l.db "select input from processing_failures order by input" >got &&
	printf "%s\n" "$long/in.ndjson:1" "$long/in.ndjson:2" >want &&
	test_cmp want got &&
	jq -r "select(.kind == \"failure\") | .input" out >got &&
	test_cmp want got &&
	run pm-summary --json sum.json "$long/in.ndjson" &&
	jq -r ".failures[].input" sum.json >got && test_cmp want got
'

test_expect_success 'a run: its row, its end record with counts and status' '
	run pm-store --db a.db "$RUN" && expect_status 0 &&
	tail -1 out | jq -e "select(.kind==\"run\" and .phase==\"end\" and .status==\"partial\" and .counts.inserted==6 and .counts.skipped==1 and .run_id==\"20261123T070000Z-daily-t001\")" >/dev/null &&
	sqlite3 a.db "select status, json_extract(counts, '\''$.records'\'') from processing_runs" >got &&
	echo "partial|7" >want && test_cmp want got &&
	sqlite3 a.db "select experiment_id, status, n_ok, n_failed from experiment_runs order by 1" >got &&
	printf "default:forecast:llm|failed|0|2\ndefault:forecast:market_implied|completed|2|0\ndefault:research:notes|completed|2|0\n" >want &&
	test_cmp want got &&
	test_num "$(sqlite3 a.db "select count(*) from research_artifacts")" -eq 2 &&
	test_num "$(sqlite3 a.db "select count(*) from processed_markets")" -eq 9 &&
	test_num "$(sqlite3 a.db "select count(distinct run_id) from processed_events")" -eq 1
'

# a misspelt flow has no runs: the delta flow's watermark would be gone;
# a partial run or one with a limit is none (t0811)
test_expect_success '--last-run: the newest run of the flows; a misspelt flow is refused' '
	pm-store --db a.db "$RUN" >/dev/null 2>&1 &&
	run pm-store --db a.db --last-run static,daily && expect_status 0 &&
	test_line_count out 0 &&
	jq -c "select(.kind == \"run\") | .options.limit = null |
	    ., . + {phase: \"end\", final: true, status: \"completed\",
	    finished_at: \"2026-11-23T07:05:00Z\"}" "$RUN" >done.ndjson &&
	pm-store --db a.db done.ndjson >/dev/null 2>&1 &&
	run pm-store --db a.db --last-run static,daily && expect_status 0 &&
	test_line_count out -eq 1 &&
	test_eq "$(cat out)" "$(sqlite3 a.db "select started_at from processing_runs")" &&
	run pm-store --db a.db --last-run static && expect_status 0 && test ! -s out &&
	for f in static,dialy "daily," "" DAILY; do
		run pm-store --db a.db --last-run "$f" && expect_status 2 && test ! -s out &&
		test_grep "last-run: not a flow" err || return 1
	done
'

# the delta flow then says "run the static flow first", not "cannot read"
test_expect_success '--last-run on a database without tables (an empty file): nothing, exit 0' '
	: >empty.db &&
	run pm-store --db empty.db --last-run static,delta && expect_status 0 &&
	test ! -s out && test_line_count err 0 &&
	sqlite3 other.db "CREATE TABLE notes (x TEXT)" &&
	run pm-store --db other.db --last-run static && expect_status 0 && test ! -s out &&
	head -c 4096 /dev/urandom >junk.db &&
	run pm-store --db junk.db --last-run static && expect_status 3 &&
	test_grep -x "pm-store: junk.db: file is not a database" err
'

test_expect_success 'a processed group is not written twice; --new-only says what is stored' '
	run pm-store --db a.db "$RUN" &&
	run pm-store --new-only --db a.db "$RUN" && expect_status 0 &&
	test_count group out 3 &&
	jq -s -e "map(select(.kind == \"group\") | has(\"stored_results\")) | all" out >/dev/null &&
	test_eq "[\"1642124\",\"516950\",\"678876\",\"691547\"]" "$(jq -c "select(.event_key == \"16183\") | .stored_results[0].market_ids" out)" &&
	run pm-store --new-only --db new.db "$RUN" && expect_status 0 &&
	test_count group out 3 && test_cmp "$RUN" out && test ! -e new.db
'

# a result's markets are its market ids joined by ",": escaped as in an
# event key, or the market "a,b" and the markets a and b were one key and
# the second result was dropped as stored already
test_expect_success 'a market id with a comma: its result is its own, not one of two markets' '
	jq -cn "def m(\$i): {kind: \"market\", source: \"polymarket\", market_id: \$i, question: \"Q\"};
		def r(\$ids; \$p): {experiment_id: \"s:forecast:v\", suite: \"s\",
			stage: \"forecast\", variant: \"v\", type: \"builtin\", status: \"ok\",
			fingerprint: \"0123456789abcdef\", market_ids: \$ids,
			probabilities: (\$ids | map({(.): {Yes: \$p}}) | add)};
		{kind: \"group\", event_key: \"E\", event: null,
		 markets: [m(\"a\"), m(\"b\"), m(\"a,b\"), m(\"a%2Cb\")],
		 results: [r([\"a\", \"b\"]; 0.1), r([\"a,b\"]; 0.9), r([\"a%2Cb\"]; 0.5)]}" >g.ndjson &&
	run pm-store --db c.db g.ndjson && expect_status 0 &&
	sqlite3 c.db "select markets, probabilities from experiment_results order by 1" >got &&
	printf "%s\n" "a%252Cb|{\"a%2Cb\":{\"Yes\":0.5}}" "a%2Cb|{\"a,b\":{\"Yes\":0.9}}" \
		"a,b|{\"a\":{\"Yes\":0.1},\"b\":{\"Yes\":0.1}}" >want && test_cmp want got &&
	run pm-store --new-only --db c.db g.ndjson && expect_status 0 &&
	jq -c "[.stored_results[].market_ids] | sort" out >got &&
	echo "[[\"a\",\"b\"],[\"a%2Cb\"],[\"a,b\"]]" >want && test_cmp want got
'

test_expect_success 'a market id of 300 characters keeps its lead' '
	id=$(printf "m%0299d" 1) &&
	jq -cn --arg id "$id" "{kind: \"market\", source: \"polymarket\", market_id: \$id,
		question: \"Q\", close_time: \"2030-01-01T00:00:00Z\", active: true, closed: false,
		contracts: [{outcome: \"Yes\", token_id: \"y\", price: 0.4},
		{outcome: \"No\", token_id: \"n\", price: 0.6}]}" |
		pm-group | pm-experiment | pm-store --db l.db >/dev/null 2>&1 &&
	test_eq 1 "$(sqlite3 l.db "select count(*) from experiment_markets where lead_h > 0")"
'

test_expect_success '--dry-run checks, writes nothing, creates nothing' '
	{ cat "$RUN"; echo "{\"kind\":\"price\",\"token_id\":\"1\"}"; } >in.ndjson &&
	run pm-store --dry-run --db dir/x.db in.ndjson && expect_status 1 &&
	test ! -e dir && test_grep "in.ndjson:9: side missing" err && test_grep "dry run" err
'

test_expect_success 'bronze rebuilds silver: --export raw | pm-normalize | pm-store' '
	markets >in.ndjson &&
	run pm-store --db a.db in.ndjson &&
	pm-store --export raw --db a.db >raw.ndjson &&
	test_line_count raw.ndjson 100 &&
	pm-normalize raw.ndjson | pm-store --db b.db >/dev/null 2>&1 &&
	db_dump a.db | grep -v "^\[\"processing_runs" >one && db_dump b.db >two &&
	test_cmp one two &&
	pm-store --export market --db a.db --where ".question | test(\"Chrome\")" >m &&
	test_line_count m -ge 1 && jq -e .market_id m >/dev/null
'

test_expect_success 'replay: a dump stored into a fresh database equals the original' '
	markets >dump.ndjson && cat "$RUN" >>dump.ndjson &&
	pm-store --db orig.db dump.ndjson >/dev/null 2>&1 &&
	pm-store --export group --db orig.db --run 20261123T070000Z-daily-t001 >groups &&
	test_line_count groups 3 &&
	pm-store --db data/replay.db <dump.ndjson >/dev/null 2>&1 &&
	db_dump orig.db >one && db_dump data/replay.db >two && test_cmp one two
'

test_expect_success 'an old database is upgraded in place' '
	sqlite3 old.db <"$TESTS_DIR/fixtures-store/schema-v2-sqlite.sql" &&
	test_eq 2 "$(sqlite3 old.db "select max(version) from schema_migrations")" &&
	run pm-store --db old.db "$RUN" && expect_status 0 &&
	test_eq "$(schema_latest)" "$(sqlite3 old.db "select max(version) from schema_migrations")" &&
	sqlite3 old.db .schema | test_grep markets_active
'

test_expect_success 'default target data/pm.db and DATABASE_URL; production wants PostgreSQL' '
	run pm-store "$RUN" && test -f data/pm.db &&
	DATABASE_URL=sqlite:e.db run pm-store "$RUN" && test -f e.db &&
	ENVIRONMENT=production run pm-store --db p.db "$RUN" && expect_status 2 &&
	test_grep "ENVIRONMENT=production: refusing" err && test ! -e p.db
'

test_expect_success 'passwords never show' '
	run pm-store --db "postgresql://u:s3cret@/x?host=/nonexistent" "$RUN" &&
	expect_status 3 && test_grep -v s3cret err && test_grep "u:\*\*\*@" err
'

test_expect_success 'usage' '
	run pm-store --help && expect_status 0 && test_grep "^usage: pm-store" out &&
	run pm-store --bogus && expect_status 2 &&
	run pm-store --export nope && expect_status 2 &&
	run pm-store --where . && expect_status 2
'

test_expect_success 'usage: every export kind the man page lists, in --help too' '
	sed -n "/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/s/^\.Fl e Cm //p" \
	    "$TOP"/man/pm-store.1 | tr -d " " | tr "|" "\n" | sort -u >want &&
	test "$(wc -l <want)" -ge 9 &&
	run pm-store --help && expect_status 0 &&
	sed -n "s/^ *pm-store -e \([a-z|]*\) .*/\1/p" out | tr "|" "\n" |
	    sort -u >got &&
	test_cmp want got
'

test_expect_success 'options that do not go together: the first line says which' '
	while IFS="|" read -r args why; do
		run pm-store --db x.db $args </dev/null && expect_status 2 &&
		test_eq "pm-store: $why" "$(head -n 1 err)" &&
		test_grep "^usage: pm-store" err && test ! -s out ||
		{ echo "$args"; cat err; return 1; }
	done <<-EOF &&
	-n -N|-n, -N, --export, --schema, --last-run and --prune-before: one at a time (-N counts for --prune-before)
	--export market --last-run daily|-n, -N, --export, --schema, --last-run and --prune-before: one at a time (-N counts for --prune-before)
	--export market x.ndjson|--export, --schema, --last-run and --prune-before read no input: no file operand
	--prune-before 2026-01-01 x.ndjson|--export, --schema, --last-run and --prune-before read no input: no file operand
	--limit 5|--where, --run and --limit: only with --export
	-r RUN|--where, --run and --limit: only with --export
	--now 2026-01-01T00:00:00Z|--now: only with --last-run
	--export raw --format csv|--format and --all: only with --export market, event, price or result
	--export price --all|--all: only with --export market
	--export market --all --closed-since 2026-01-01|--closed-since: only with --export market, as ndjson, without --all
	--export market --format csv --closed-since 2026-01-01|--closed-since: only with --export market, as ndjson, without --all
	EOF
	test ! -e x.db
'

test_expect_success 'the man page is lint-clean and the schema example current' '
	mandoc -T lint -W warning "$TOP/man/pm-store.1" >lint 2>&1 || true &&
	test ! -s lint &&
	pm-store --schema sqlite >s && test_cmp "$TOP/examples/schema.sql" s
'
test_expect_success '-e group -w: an event whose rows hold what its first record does not' '
	for v in v w; do
		for e in g1 g2 g3; do
			rec_group $e null "$(rec_market ${e}m)" |
			    jq -c --argjson r "$(rec_result $v "{\"${e}m\":{\"Yes\":0.5,\"No\":0.5}}")" \
			    ".results = [\$r + {fingerprint: \"f\", market_ids: [\"${e}m\"]}]"
		done >$v.ndjson &&
		pm-store --db gw.db $v.ndjson >/dev/null 2>&1 || return 1
	done &&
	w="any(.results[]; .variant == \"w\")" &&
	run pm-store --db gw.db --export group -w "$w" && expect_status 0 &&
	jq -c "[.event_key, [.results[].variant]]" out >got &&
	printf "[\"%s\",%s]\n" g1 "[\"v\"]" g1 "[\"v\",\"w\"]" g2 "[\"v\"]" \
	    g2 "[\"v\",\"w\"]" g3 "[\"v\"]" g3 "[\"v\",\"w\"]" >want &&
	test_cmp want got &&
	pm-store --db gw2.db out >/dev/null 2>&1 &&
	test_eq 6 "$(sqlite3 gw2.db "select count(*) from experiment_results")" &&
	run pm-store --db gw.db --export group -w "$w" --limit 2 &&
	test_line_count out -eq 4 &&
	run pm-store --db gw.db --export group -w ".event_key == \"g9\"" &&
	test_line_count out -eq 0 &&
	run pm-store --db gw.db --export group -w ".event_key == \"g2\"" &&
	jq -r .event_key out | tr "\n" " " >got && echo "g2 g2 " >want &&
	echo >>got && test_cmp want got
'

# results from a build before schema 3 (no fingerprint, no market_ids)
# cover the markets of the record they came with: on the second record,
# with the event's whole market list, they covered every market stored
# again, and the moved store had rows for markets they never covered
test_expect_success '-e group: results without market_ids keep their markets stored again' '
	rec_old_results >old.ndjson &&
	pm-store --db om.db old.ndjson >/dev/null 2>&1 &&
	run pm-store --db om.db --export group && expect_status 0 &&
	pm-store --db om2.db out >/dev/null 2>&1 &&
	q="select experiment_id, market_id from experiment_markets order by 1, 2" &&
	sqlite3 om.db "$q" >want && sqlite3 om2.db "$q" >got &&
	test_cmp want got && test_line_count got -eq 3 &&
	cp out out1 && run pm-store --db om2.db --export group &&
	test_cmp out1 out
'

test_done
