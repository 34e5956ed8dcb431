#!/bin/bash
# pm-store --export --where: an expression that fails on a record (jq's
# error, a string indexed, a regex that does not compile) is taken as
# false and said once, on every kind of export and format, SQLite and
# ClickHouse, as pm-group(1) and pm-normalize(1) say theirs.  pm-store
# left such records out saying nothing: an export with a typo in its
# --where wrote nothing, exit 0, and looked like an empty store.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/ch.sh"
ch_start where || { say "$CH_ERR"; exit 1; }

# markets 1, 2 and x (active, Yes/No), an event, prices, a group with
# results, a raw record
input() {
	rec_run_start where-run static
	for m in 1 2 x; do
		rec_market "$m" active:=true closed:=false \
		    contracts:="$(rec_yes_no "t$m" 0.5 "u$m" 0.5)"
	done
	jq -cn '{kind:"event", source:"polymarket", event_id:"e1", title:"E",
	    market_ids:["1","2"]}'
	rec_price t1 buy 0.5 2026-12-01T00:00:00Z 2026-12-01T00:00:01.000Z
	rec_price t2 buy 0.25 2026-12-01T00:00:00Z 2026-12-01T00:00:01.000Z
	rec_group g1 null "$(rec_market 1)" |
	    jq -c --argjson r "$(rec_result v '{"1":{"Yes":0.5,"No":0.5}}')" \
	    '.results = [$r]'
	rec_raw gamma markets '{"limit":"500"}' '[{"id":"1"}]'
}

# shellcheck disable=SC2015 # the || catches a failure anywhere in the chain
input >"$TMP/in.ndjson" &&
pm-store --db "$TMP/w.db" "$TMP/in.ndjson" >/dev/null 2>"$TMP/store.err" &&
grep -v '"kind":"group"' "$TMP/in.ndjson" |
    pm-store --db "$CH_URL" >/dev/null 2>>"$TMP/store.err" ||
	{ cat "$TMP/store.err"; exit 1; }

# header KIND: the lines of an export of nothing (CSV and TSV: a header)
header() { case $1 in *--format*) echo 1 ;; *) echo 0 ;; esac; }

test_expect_success 'SQLite: an error on every record: only a header written, said once, exit 0' '
	for k in raw market markets events group "market --all" \
	    "market --format csv" "event --format tsv" "price --format csv" \
	    "result --format csv" price result event; do
		run pm-store --db "$TMP/w.db" --export $k -w "error(\"boom\")" &&
		expect_status 0 && test_line_count out -eq "$(header "$k")" &&
		echo "pm-store: --where: boom (taken as false)" >want &&
		test_cmp want err || { say "--export $k"; return 1; }
	done
'

test_expect_success 'SQLite: an error on some records: the others written, said once' '
	run pm-store --db "$TMP/w.db" --export markets -w ".market_id | tonumber >= 2" &&
	expect_status 0 && jq -r .market_id out >got && echo 2 >want &&
	test_cmp want got && test_line_count err -eq 1 &&
	test_grep "^pm-store: --where: .*x.* (taken as false)\$" err &&
	run pm-store --db "$TMP/w.db" --export market --format csv \
	    -w ".question | test(\"[\")" && expect_status 0 &&
	test_line_count out -eq 1 && test_line_count err -eq 1 &&
	test_grep "^pm-store: --where: .* (taken as false)\$" err
'

test_expect_success 'SQLite: an expression that holds says nothing' '
	run pm-store --db "$TMP/w.db" --export markets -w ".market_id == \"x\"" &&
	expect_status 0 && test_line_count out -eq 1 && test_line_count err -eq 0
'

test_expect_success 'SQLite: input, inputs and debug read nothing more, never crash' '
	run pm-store --db "$TMP/w.db" --export markets -w input &&
	expect_status 0 && test_line_count out -eq 0 &&
	echo "pm-store: --where: break (taken as false)" >want &&
	test_cmp want err &&
	run pm-store --db "$TMP/w.db" --export price --format csv \
	    -w "[inputs] == []" && expect_status 0 &&
	test_line_count out -eq 3 && test_line_count err -eq 0 &&
	run pm-store --db "$TMP/w.db" --export markets -w ".market_id | debug | . == \"2\"" &&
	expect_status 0 && jq -r .market_id out >got && echo 2 >want &&
	test_cmp want got &&
	printf "[\"DEBUG:\",\"%s\"]\n" 1 2 x >want && test_cmp want err &&
	rec_market 1 | pm-group -w "first(inputs) // true" >gout 2>gerr &&
	test_count group gout 1
'

test_expect_success 'ClickHouse: the same, said once' '
	url=$CH_URL &&
	for k in raw market markets events "price --format csv"; do
		run pm-store --db "$url" --export $k -w "error(\"boom\")" &&
		expect_status 0 && test_line_count out -eq "$(header "$k")" &&
		echo "pm-store: --where: boom (taken as false)" >want &&
		test_cmp want err || { say "--export $k"; return 1; }
	done &&
	run pm-store --db "$url" --export markets -w ".market_id | tonumber >= 2" &&
	expect_status 0 && jq -r .market_id out >got && echo 2 >want &&
	test_cmp want got && test_line_count err -eq 1
'

test_done
