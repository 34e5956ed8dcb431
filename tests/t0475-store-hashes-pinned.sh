#!/bin/bash
# What pm-store writes from the recorded real answers is pinned: the
# record_sha256 and raw_sha256 of every market and event row, and every
# payload as --export raw gives it back.  A change to how the store
# parses, hashes, packs or batches must leave them alone: a record hash
# that moved would make every stored row read as updated once after an
# upgrade, a payload that moved is a payload lost.  (The digests are
# those the store wrote before payloads were packed by a thread.)
. "$(dirname "$0")/lib.sh"

I=$TMP/in.ndjson
jq -c '.[]' "$FIXTURES"/gamma-markets-*.json "$FIXTURES"/gamma-events-*.json |
    pm-normalize 2>/dev/null >"$I"

hashes() {
	sqlite3 "$1" "SELECT 'm', market_id, record_sha256, raw_sha256
	    FROM markets UNION ALL SELECT 'e', event_id, record_sha256,
	    raw_sha256 FROM events ORDER BY 1, 2"
}

test_expect_success 'record hashes as pinned' '
	run pm-store --db "$TMP/h.db" "$I" && expect_status 0 &&
	test_eq 114 "$(sqlite3 "$TMP/h.db" "SELECT count(*) FROM markets")" &&
	test_eq 2 "$(sqlite3 "$TMP/h.db" "SELECT count(*) FROM events")" &&
	test_eq 041e9e26f8d50b0526d914e75f4d0178ddd6072fae06bc75dac53478af8dd919 \
	    "$(hashes "$TMP/h.db" | sha256sum | cut -d" " -f1)"
'

test_expect_success 'payloads back as pinned, byte for byte' '
	run pm-store --db "$TMP/h.db" --export raw && expect_status 0 &&
	test_eq 108 "$(wc -l <out)" &&
	test_eq 77ea1f043652d6a2b7101b5bea39289c0fae3af8eabfe8744ebfa1fbbbdd80b3 \
	    "$(sha256sum <out | cut -d" " -f1)" &&
	jq -c "select(.kind == \"raw\")" "$I" >raw.ndjson &&
	test_cmp raw.ndjson out
'

test_expect_success 'stored again, one record a transaction: nothing updated' '
	while IFS= read -r line; do
		printf "%s\n" "$line" | pm-store --db "$TMP/h.db" >>again.out 2>/dev/null ||
		    return 1
	done <"$I" &&
	test_eq 0 "$(jq -r "select(.stored == \"updated\" or
	    .stored == \"inserted\") | .kind" again.out | wc -l)" &&
	test_eq 041e9e26f8d50b0526d914e75f4d0178ddd6072fae06bc75dac53478af8dd919 \
	    "$(hashes "$TMP/h.db" | sha256sum | cut -d" " -f1)"
'

test_done
