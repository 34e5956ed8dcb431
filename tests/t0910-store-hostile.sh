#!/bin/bash
# Hostile and broken input through the real tools, both databases: lines
# of 0 bytes, invalid UTF-8, deep nesting, huge numbers, 200-digit ids,
# duplicate keys, NUL bytes and a line far over the cap give a clear
# error each, bounded memory, and the rest of the stream stored; SQL
# injection payloads in every text field are stored verbatim.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
pg_start

for f in "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json "$FIXTURES"/gamma-events-bobaoxu2001-1.json; do
	jq -c ".[]" "$f"
done | pm-normalize -R 2>/dev/null >"$TMP/norm.ndjson"
grep '^{"kind":"market"' "$TMP/norm.ndjson" | head -4 >"$TMP/good"

# One good market, then each kind of damage, the good ones in between.
python3 - "$TMP/good" >"$TMP/hostile.ndjson" <<'PY'
import json, sys
g = [l.rstrip(b"\n") for l in open(sys.argv[1], "rb")]
m = json.loads(g[0])
big = dict(m, market_id="9" * 200, volume=1e308)
tok = dict(m, market_id="tok200",
           contracts=[dict(c, token_id="1" * 200) for c in m["contracts"]])
lines = [
    g[0],
    b"",                                                  # 2: 0 bytes
    b'{"kind":"market","market_id":"u","q":"\xff\xfe"}',  # 3: bad UTF-8
    b"[" * 5000 + b"]" * 5000,                            # 4: deep array
    b'{"kind":"market","a":' + b'{"a":' * 3000 + b"1" + b"}" * 3001,  # 5
    json.dumps(big, separators=(",", ":")).encode(),                             # 6: stored
    g[1][:-1] + b',"volume":1' + b"0" * 400 + b"}",        # 7: huge number
    g[2][:-1] + b',"slug":"dup-a","slug":"dup-b"}',        # 8: duplicates
    b'{"kind":"market","market_id":"nul\x00x"}',          # 9: raw NUL
    json.dumps(tok, separators=(",", ":")).encode(),                             # 10: stored
    b'{"kind":"market","market_id":"e","volume":1e999}',  # 11: overflow
    g[3],
]
sys.stdout.buffer.write(b"\n".join(lines) + b"\n")
PY
printf '%s\n' \
    "pm-store: hostile.ndjson:2: empty line ignored" \
    "pm-store: hostile.ndjson:3: invalid UTF-8" \
    "pm-store: hostile.ndjson:4: JSON nested too deep" \
    "pm-store: hostile.ndjson:5: JSON nested too deep" \
    "pm-store: hostile.ndjson:7: volume is not a number" \
    "pm-store: hostile.ndjson:9: invalid JSON: control character in a string" \
    "pm-store: hostile.ndjson:11: source missing" \
    >"$TMP/hostile.err"

# hostile DB: store the stream, check messages, failures and what is kept
hostile() {
	cp "$TMP/hostile.ndjson" hostile.ndjson
	run pm-store --db "$1" hostile.ndjson && expect_status 1 &&
	grep -v "records:" err >got && test_cmp "$TMP/hostile.err" got &&
	test_count failure out 6 &&
	# 7 and 11 parse now (numbers of any size) and come back annotated
	# failed, beside the 5 stored
	test_count market out 7 &&
	test_grep "6 failed" err
}
market_ids() {
	case $1 in
	postgres*) psql -X -A -t -q "$1" -c "SELECT market_id FROM markets" ;;
	*) sqlite3 "$1" "SELECT market_id FROM markets" ;;
	esac | LC_ALL=C sort
}

test_expect_success 'SQLite: each broken line a clear error at its position, the rest stored' '
	hostile "$TMP/h.db" &&
	market_ids "$TMP/h.db" >got &&
	{ sed 2d "$TMP/good" | jq -r .market_id; echo tok200; printf "9%.0s" $(seq 200); echo; } |
	    LC_ALL=C sort >want && test_cmp want got &&
	test_num "$(sqlite3 "$TMP/h.db" "SELECT count(*) FROM contracts WHERE length(token_id) = 200")" -ge 2 &&
	test_num "$(sqlite3 "$TMP/h.db" "SELECT count(*) FROM processing_failures")" -eq 6
'

test_expect_success 'duplicate keys: the last wins, as in jq; the record is kept verbatim' '
	id=$(sed -n 3p "$TMP/good" | jq -r .market_id) &&
	test "$(sqlite3 "$TMP/h.db" "SELECT slug FROM markets WHERE market_id = '\''$id'\''")" = dup-b &&
	sqlite3 "$TMP/h.db" "SELECT record FROM markets WHERE market_id = '\''$id'\''" >got &&
	sed -n 8p "$TMP/hostile.ndjson" >want && test_cmp want got
'

test_expect_success 'PostgreSQL: the same errors, the same rows as SQLite' '
	pg_ready && url=$(pg_newdb hostile) && hostile "$url" &&
	db_dump "$url" >pg.dump && db_dump "$TMP/h.db" >sq.dump &&
	test_cmp sq.dump pg.dump
'

test_expect_success 'the same run start twice in one stream: stored once, nothing leaks' '
	head -1 "$TESTS_DIR/fixtures-store/run.ndjson" >twice &&
	head -1 "$TESTS_DIR/fixtures-store/run.ndjson" >>twice &&
	run pm-store --db "$TMP/twice.db" twice && expect_status 0 &&
	test_num "$(sqlite3 "$TMP/twice.db" "SELECT count(*) FROM processing_runs")" -eq 1
'

# big TOOL: a 256 MB line between two good ones, the cap at 1 MB: one
# failure, both good records through, peak RSS far below the line
big() {
	{ sed -n 1p "$TMP/good"; head -c 268435456 /dev/zero | tr "\0" a; echo;
	  sed -n 2p "$TMP/good"; } |
	PM_MAX_LINE=1048576 python3 -c "
import resource, subprocess, sys
rc = subprocess.call(sys.argv[1:], stdout=open(\"out\", \"w\"), stderr=open(\"err\", \"w\"))
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)" "$@" >rss &&
	echo "peak RSS $(cut -d" " -f1 rss) kB, status $(cut -d" " -f2 rss)" &&
	test_num "$(cut -d" " -f2 rss)" -eq 1 &&
	test_grep "stdin:2: line longer than 10485[0-9]* bytes" err &&
	test_count failure out 1 &&
	test_num "$(cut -d" " -f1 rss)" -lt 100000
}

test_expect_success 'a 256 MB line: pm-normalize stays small and goes on' '
	big pm-normalize && test_count market out 2
'
test_expect_success 'a 256 MB line: pm-group stays small and goes on' '
	big pm-group && test_num "$(grep -c event_key out)" -eq 2
'
test_expect_success 'a 256 MB line: pm-store stays small and stores the rest' '
	big pm-store --db "$TMP/big.db" &&
	test_num "$(sqlite3 "$TMP/big.db" "SELECT count(*) FROM markets")" -eq 2
'

# SQL injection and COPY escapes appended to every text value but kinds,
# sources and times; the groups are built from the same records.
P=$'\x27); DROP TABLE markets; --\\N\t\\.\r\n$$ E\x27\\\\x00\x27 \x22 ; SELECT pg_sleep(10); /* */ ` $(id) \xe2\x80\xae\\'
jq -c --arg p "$P" 'walk(if type == "object" then with_entries(
    if (.value | type) == "string" and
       (.key | test("^(kind|source|phase)$|_time$|_at$|date") | not)
    then .value += $p else . end) else . end)' \
    "$TMP/norm.ndjson" >"$TMP/inj.ndjson"
pm-group <"$TMP/inj.ndjson" 2>/dev/null >"$TMP/inj.groups"
cat "$TMP/inj.groups" >>"$TMP/inj.ndjson"

# records KIND TABLE DB: the stored record texts, sorted
records() {
	case $2:$3 in	# markets and events: their column, or made again
	markets:*|events:*) pm-store --db "$3" --export "$2" ;;
	*:postgres*) psql -X -A -t -q "$3" -c "SELECT record FROM $2" ;;
	*) sqlite3 "$3" "SELECT record FROM $2" ;;
	esac | LC_ALL=C sort
}
injected() {
	run pm-store --db "$1" "$TMP/inj.ndjson" && expect_status 0 &&
	test_count failure out 0 &&
	grep "^{\"kind\":\"market\"" "$TMP/inj.ndjson" | LC_ALL=C sort >want &&
	records market markets "$1" >got && test_cmp want got &&
	grep "^{\"kind\":\"event\"" "$TMP/inj.ndjson" | LC_ALL=C sort >want &&
	records event events "$1" >got && test_cmp want got &&
	grep "^{\"kind\":\"group\"" "$TMP/inj.ndjson" | LC_ALL=C sort >want &&
	records group processed_events "$1" >got && test_cmp want got
}
questions() {
	case $1 in
	postgres*) psql -X -A -t -q "$1" -c "SELECT json_build_object('q', question)::text FROM markets" | jq -r .q ;;
	*) sqlite3 "$1" "SELECT json_object('q', question) FROM markets" | jq -r .q ;;
	esac | LC_ALL=C sort
}

test_expect_success 'SQLite: injection payloads in every text field stored verbatim' '
	injected "$TMP/inj.db" &&
	grep "^{\"kind\":\"market\"" "$TMP/inj.ndjson" | jq -r .question | LC_ALL=C sort >want &&
	questions "$TMP/inj.db" >got && test_cmp want got &&
	test_grep -F "DROP TABLE markets" want
'

test_expect_success 'PostgreSQL: the same payloads stored verbatim, same rows as SQLite' '
	pg_ready && url=$(pg_newdb inj) && injected "$url" &&
	grep "^{\"kind\":\"market\"" "$TMP/inj.ndjson" | jq -r .question | LC_ALL=C sort >want &&
	questions "$url" >got && test_cmp want got &&
	db_dump "$url" >pg.dump && db_dump "$TMP/inj.db" >sq.dump && test_cmp sq.dump pg.dump
'
test_done
