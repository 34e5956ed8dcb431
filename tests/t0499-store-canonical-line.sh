#!/bin/bash
# A market line as pm-normalize writes it is its own canonical record:
# pm-store then takes its content hash from the line itself, without
# writing the record again.  The same markets written otherwise (spaces
# between tokens, non-ASCII characters escaped, a payload not last)
# must store the very same rows, hashes and exports: the short way and
# the long one may never disagree.
. "$(dirname "$0")/lib.sh"

I=$TMP/in.ndjson
jq -c '.[]' "$FIXTURES"/gamma-markets-*.json "$FIXTURES"/gamma-events-*.json |
    pm-normalize 2>/dev/null >"$I"

# The same records, each member and value the same, the text not: ", "
# and ": " between tokens, every non-ASCII character as \uXXXX, and a raw
# record's payload moved before its sha256.
PYTHONIOENCODING=utf-8 python3 - "$I" >"$TMP/spaced.ndjson" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    r = json.loads(line)
    if r.get("kind") != "raw":
        print(json.dumps(r, separators=(", ", ": ")))
        continue
    # the payload's bytes are what its hash names: kept as they came
    pay = line[line.index('"payload":') + len('"payload":'):-1]
    head = ", ".join("%s: %s" % (json.dumps(k), json.dumps(v))
                     for k, v in r.items() if k not in ("payload", "sha256"))
    print('{%s, "payload": %s, "sha256": %s}' % (head, pay,
          json.dumps(r["sha256"])))
PY

rows() {
	sqlite3 "$1" "SELECT market_id, record IS NULL, record_sha256,
	    raw_sha256, question, volume FROM markets ORDER BY market_id" &&
	sqlite3 "$1" "SELECT * FROM contracts ORDER BY 1, 2, 3" &&
	sqlite3 "$1" "SELECT sha256, encoding, hex(payload) FROM raw_payloads
	    ORDER BY sha256"
}

test_expect_success 'the spaced copy differs from the lines as written' '
	test_eq "$(wc -l <"$I")" "$(wc -l <"$TMP/spaced.ndjson")" &&
	! cmp -s "$I" "$TMP/spaced.ndjson" &&
	test_grep "\"kind\": \"market\"" "$TMP/spaced.ndjson" &&
	test_grep "\\\\u" "$TMP/spaced.ndjson"
'

test_expect_success 'the same rows, hashes and payloads either way' '
	run pm-store --db "$TMP/a.db" "$I" && expect_status 0 &&
	run pm-store --db "$TMP/b.db" "$TMP/spaced.ndjson" && expect_status 0 &&
	test_eq 0 "$(jq -r "select(.stored != \"inserted\" and
	    .stored != \"duplicate\") | .kind" out | wc -l)" &&
	rows "$TMP/a.db" >a.rows && rows "$TMP/b.db" >b.rows &&
	test_cmp a.rows b.rows &&
	test_eq 0 "$(sqlite3 "$TMP/a.db" "SELECT count(*) FROM markets
	    WHERE record IS NOT NULL")"
'

test_expect_success 'the same exports either way' '
	for x in raw market markets; do
		pm-store --db "$TMP/a.db" --export $x >a.$x &&
		pm-store --db "$TMP/b.db" --export $x >b.$x &&
		test_cmp a.$x b.$x || return 1
	done &&
	# each market made again from its rows is its line as written
	jq -c "select(.kind == \"market\")" "$I" | sort -u >m.ndjson &&
	test_eq "$(sqlite3 "$TMP/a.db" "SELECT count(*) FROM markets")" \
	    "$(wc -l <a.markets)" &&
	sort a.markets | comm -23 - m.ndjson >strays &&
	test_eq 0 "$(wc -l <strays)" "markets exported unlike their lines"
'

test_expect_success 'each stored again the other way: nothing changed' '
	run pm-store --db "$TMP/a.db" "$TMP/spaced.ndjson" && expect_status 0 &&
	test_eq 0 "$(jq -r "select(.stored != \"unchanged\" and
	    .stored != \"duplicate\") | .kind" out | wc -l)" &&
	run pm-store --db "$TMP/b.db" "$I" && expect_status 0 &&
	test_eq 0 "$(jq -r "select(.stored != \"unchanged\" and
	    .stored != \"duplicate\") | .kind" out | wc -l)"
'

test_done
