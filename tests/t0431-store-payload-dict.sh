#!/bin/bash
# Payloads of an endpoint packed with a zstd dictionary trained on its
# first thousand: the dictionary is kept (raw_dicts), payloads name it,
# and --export raw gives every payload back byte for byte, on both
# engines, also from a process that did not train it.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
pg_start

# 1500 real markets (the fixtures' hundred, each with fifteen new ids)
markets() {
	jq -c '.[]' "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json |
	    jq -c 'range(15) as $k | .id = "\(.id)\($k)" | .slug = "\(.slug)-\($k)"'
}
R=$TMP/raw.ndjson I=$TMP/in.ndjson
markets | pm-normalize >"$I"
jq -c 'select(.kind == "raw")' "$I" >"$R"

q() {
	case $1 in
	postgres*) psql -X -A -t -q "$1" -c "$2" ;;
	*) sqlite3 "$1" "$2" ;;
	esac
}

dict() {
	test_expect_success "$1: a dictionary trained, kept and used" '
		test_line_count "$R" 1500 &&
		run pm-store --db "$D_URL" "$I" && expect_status 0 &&
		test_eq 1 "$(q "$D_URL" "SELECT count(*) FROM raw_dicts")" &&
		test_eq markets "$(q "$D_URL" "SELECT endpoint FROM raw_dicts")" &&
		test_num "$(q "$D_URL" "SELECT count(*) FROM raw_payloads
		    WHERE encoding = '\''zstd:'\'' || (SELECT dict_id FROM raw_dicts)")" -ge 400 &&
		test_num "$(q "$D_URL" "SELECT count(*) FROM raw_payloads
		    WHERE encoding = '\''zstd'\''")" -ge 900 &&
		run pm-store --db "$D_URL" --export raw && expect_status 0 &&
		test_cmp "$R" out
	'
	test_expect_success "$1: stored again: the same dictionary, nothing new" '
		run pm-store --db "$D_URL" "$I" && expect_status 0 &&
		test_grep " 0 inserted, 0 updated, 1500 unchanged, 1500 duplicate," err &&
		test_eq 1 "$(q "$D_URL" "SELECT count(*) FROM raw_dicts")" &&
		run pm-store --db "$D_URL" --export raw && test_cmp "$R" out
	'
}

D_URL=$TMP/d.db
dict sqlite
if pg_ready >/dev/null; then
	D_URL=$(pg_newdb dict)
	dict postgresql
else
	test_expect_success 'postgresql: dictionaries' 'pg_ready'
fi

# An endpoint is any string (pm-records(5)): one of 127, 128 and 300
# bytes, each with a payload new to the database (packed by SQLite's
# thread, which kept the name in 128 bytes and failed the record, a
# retriable store_failed with no reason, from 128 on).
long_endpoint() {
	test_expect_success "$1: an endpoint of any length is stored" '
		for n in 127 128 300; do
			ep=$(printf "%${n}s" "" | tr " " y) &&
			sed -n "${n}p" "$R" |
			    sed "s/\"endpoint\":\"markets\"/\"endpoint\":\"$ep\"/" ||
			    return 1
		done >long.ndjson &&
		run pm-store --db "$L_URL" long.ndjson && expect_status 0 &&
		test_grep "3 records: 3 inserted, .* 0 failed" err &&
		test_eq "127 128 300" "$(q "$L_URL" "SELECT length(endpoint) FROM raw_observations ORDER BY 1" | tr "\n" " " | sed "s/ \$//")" &&
		run pm-store --db "$L_URL" --export raw && test_cmp long.ndjson out
	'
}
L_URL=$TMP/long.db
long_endpoint sqlite
if pg_ready >/dev/null; then
	L_URL=$(pg_newdb longep)
	long_endpoint postgresql
fi

test_expect_success 'a payload whose dictionary is gone is said, not guessed' '
	pm-store --db e.db "$I" >/dev/null 2>&1 &&
	sqlite3 e.db "DELETE FROM raw_dicts" &&
	run pm-store --db e.db --export raw && expect_status 3 &&
	test_grep "cannot be read back" err
'
test_done
