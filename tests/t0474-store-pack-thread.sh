#!/bin/bash
# Into SQLite, payloads are packed by a thread of their own and written
# when it is done with them, before their batch commits: the bytes and the
# dictionary are those PostgreSQL's store packs in line; a payload twice in
# one batch is kept once and said duplicate the second time; a batch that
# fails after its payloads were queued is replayed record by record and
# still keeps every payload (packed again, maybe otherwise: the packer
# learnt from the first attempt) and the dictionary each names; --export
# raw gives every one back byte for byte.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
pg_start

# 1200 real markets (the fixtures' hundred, each with twelve new ids):
# past the thousand an endpoint's dictionary learns from
markets() {
	jq -c '.[]' "$FIXTURES"/gamma-markets-Alex-Alaniz-2.json |
	    jq -c 'range(12) as $k | .id = "\(.id)\($k)" | .slug = "\(.slug)-\($k)"'
}
R=$TMP/raw.ndjson I=$TMP/in.ndjson
markets | pm-normalize >"$I"
jq -c 'select(.kind == "raw")' "$I" >"$R"

# sha256, encoding and the stored bytes of every payload, and the
# dictionaries, in an order both engines share
packed() {
	case $1 in
	postgres*) psql -X -A -t -q -F '|' "$1" -c "SELECT sha256,
	    COALESCE(encoding, ''), md5(payload) FROM raw_payloads ORDER BY 1;
	    SELECT dict_id, endpoint, md5(dict) FROM raw_dicts ORDER BY 1" ;;
	*) sqlite3 "$1" "SELECT sha256, COALESCE(encoding, ''),
	    lower(hex(payload)) FROM raw_payloads ORDER BY 1;
	    SELECT dict_id, endpoint, lower(hex(dict)) FROM raw_dicts
	    ORDER BY 1" | md5_last ;;
	esac
}

# "a|b|HEX" lines: the last field, hex, as the md5 of its bytes (what
# PostgreSQL's md5() gives; no xxd, which Debian 12 does not install)
md5_last() {
	python3 -c '
import hashlib, sys
for line in sys.stdin:
    a, b, h = line.rstrip("\n").split("|")
    print("%s|%s|%s" % (a, b, hashlib.md5(bytes.fromhex(h)).hexdigest()))'
}

test_expect_success 'SQLite: every payload back byte for byte, a dictionary made' '
	test_line_count "$R" 1200 &&
	run pm-store --db "$TMP/s.db" "$I" && expect_status 0 &&
	test_grep " 2400 inserted, 0 updated," err &&
	test_eq 1200 "$(jq -r "select(.kind == \"raw\") | .stored" out |
	    grep -c "^inserted$")" &&
	test_eq 1 "$(sqlite3 "$TMP/s.db" "SELECT count(*) FROM raw_dicts")" &&
	test_num "$(sqlite3 "$TMP/s.db" "SELECT count(*) FROM raw_payloads
	    WHERE encoding LIKE '\''zstd:%'\''")" -ge 150 &&
	run pm-store --db "$TMP/s.db" --export raw && expect_status 0 &&
	test_cmp "$R" out
'

if pg_ready >/dev/null; then
	test_expect_success 'the same bytes and dictionary as packed in line (PostgreSQL)' '
		P=$(pg_newdb packed) &&
		pm-store --db "$P" "$I" >/dev/null 2>&1 &&
		packed "$TMP/s.db" >sqlite.txt && packed "$P" >pg.txt &&
		test_line_count sqlite.txt 1201 &&
		test_cmp pg.txt sqlite.txt
	'
else
	test_expect_success 'PostgreSQL: the same bytes as packed in line' 'pg_ready'
fi

test_expect_success 'a payload twice in one batch: kept once, the second a duplicate' '
	p="{\"id\":\"77\",\"question\":\"twice in one batch, long enough to be packed by zstd at all\"}" &&
	{ rec_raw gamma markets null "$p" &&
	  rec_raw gamma markets null "$p" |
	  sed "s/2026-08-22T15:21:00.123Z/2026-08-22T15:22:00.000Z/"; } >twice.ndjson &&
	run pm-store --db t.db twice.ndjson && expect_status 0 &&
	test_eq "inserted duplicate" "$(jq -r .stored out | tr "\n" " " |
	    sed "s/ $//")" &&
	test_eq 1 "$(sqlite3 t.db "SELECT count(*) FROM raw_payloads")" &&
	test_eq 2 "$(sqlite3 t.db "SELECT count(*) FROM raw_observations")" &&
	run pm-store --db t.db --export raw &&
	test_eq "$p" "$(jq -c .payload out | sort -u)"
'

test_expect_success 'a batch refused after its payloads were queued: replayed, none lost' '
	pm-store --db f.db </dev/null >/dev/null 2>&1 &&
	bad=$(jq -r "select(.kind == \"market\") | .market_id" "$I" | sed -n 700p) &&
	sqlite3 f.db "CREATE TRIGGER no_market BEFORE INSERT ON markets
	    WHEN NEW.market_id = '\''$bad'\'' BEGIN
	    SELECT RAISE(ABORT, '\''refused for the test'\''); END" &&
	run pm-store --db f.db "$I" && expect_status 1 &&
	test_grep " 2399 inserted, 0 updated, 0 unchanged, 0 duplicate, 0 skipped, 1 failed" err &&
	test_eq 1200 "$(jq -r "select(.kind == \"raw\") | .stored" out |
	    grep -c "^inserted$")" &&
	run pm-store --db f.db --export raw && expect_status 0 &&
	test_cmp "$R" out &&
	test_eq 1200 "$(sqlite3 f.db "SELECT count(*) FROM raw_payloads")" &&
	test_eq 0 "$(sqlite3 f.db "SELECT count(*) FROM raw_payloads
	    WHERE encoding LIKE '\''zstd:%'\'' AND substr(encoding, 6) NOT IN
	    (SELECT dict_id FROM raw_dicts)")"
'

test_done
