#!/bin/bash
# Bronze keeps history: every payload once, every fetch of it as an
# observation, so a rebuild from bronze (pm-store --export raw |
# pm-normalize | pm-store) sees what the fetches saw, in their order:
# prices fetched twice with one body are two prices, a market fetched as
# A, then B, then A again is A.  --export raw gives each fetch back byte
# for byte.  Both engines; a database of schema 3 (made by the pm-store
# before payloads and observations were apart) is upgraded in place.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
G=$TESTS_DIR/golden
V3=$TESTS_DIR/fixtures-store/schema-v3-sqlite.sql
pg_start

# set_raw LINE KEY VALUE: the raw record LINE with one member replaced
set_raw() {
	printf '%s\n' "$1" | jq -c --arg v "$3" ".$2 = \$v"
}

# The fetches: a price twice with the same body, a market as A, B, A.
stream() {
	p=$(cat "$G/raw-price.in") a=$(cat "$G/raw-market.in")
	printf '%s\n' "$p"
	set_raw "$p" fetched_at 2026-03-22T08:56:00.250Z
	printf '%s\n' "$a"
	pb=$(printf '%s\n' "$a" | jq -c '.payload.question = "Changed since?"' |
	    jq -c .payload)
	sha=$(printf '%s' "$pb" | sha256sum | cut -c1-64)
	printf '%s\n' "$a" | jq -c --arg s "$sha" --argjson p "$pb" \
	    '.sha256 = $s | .payload = $p | .fetched_at = "2026-03-22T08:55:20.512Z"'
	set_raw "$a" fetched_at 2026-03-22T09:55:20.512Z
}

# q DB SQL: one query, on either engine
q() {
	case $1 in
	postgres*) psql -X -A -t -q "$1" -c "$2" ;;
	*) sqlite3 "$1" "$2" ;;
	esac
}

# silver DB: what a rebuild must give again
silver() {
	q "$1" "SELECT market_id, question, record_sha256, fetched_at FROM markets
	    ORDER BY 1; SELECT token_id, side, ts, price FROM price_history
	    ORDER BY 1, 2, 3"
}

# The stream and its normalized records, for every case.
R=$TMP/raw.ndjson I=$TMP/in.ndjson
stream >"$R" && pm-normalize <"$R" >"$I"

# history NAME URL1 URL2: the class on one engine (cases see H_A, H_B)
history() {
	H_A=$2 H_B=$3
	test_expect_success "$1: every fetch kept, payloads once, exported byte for byte" '
		test_line_count "$R" 5 &&
		run pm-store --db "$H_A" "$I" && expect_status 0 &&
		test_eq 5 "$(q "$H_A" "SELECT count(*) FROM raw_observations")" &&
		test_eq 3 "$(q "$H_A" "SELECT count(*) FROM raw_payloads")" &&
		test_eq 5 "$(q "$H_A" "SELECT count(*) FROM raw_responses")" &&
		run pm-store --db "$H_A" --export raw && expect_status 0 &&
		test_cmp "$R" out
	'

	test_expect_success "$1: a rebuild from bronze gives the same silver" '
		silver "$H_A" >want &&
		test_eq "Bitcoin Up or Down - March 22, 3:50AM-3:55AM ET" \
		    "$(q "$H_A" "SELECT question FROM markets")" &&
		test_eq 2 "$(q "$H_A" "SELECT count(*) FROM price_history")" &&
		pm-store --db "$H_A" --export raw | pm-normalize |
		    pm-store --db "$H_B" >/dev/null 2>err &&
		silver "$H_B" >got && test_cmp want got
	'

	# (the stream's B and first A are older than the A stored last:
	# they change nothing, pm-store(1))
	test_expect_success "$1: stored again, bronze does not grow, silver ends the same" '
		silver "$H_A" >want &&
		run pm-store --db "$H_A" "$I" && expect_status 0 &&
		test_grep " 0 inserted, 0 updated, 5 unchanged, 5 duplicate," err &&
		silver "$H_A" >got && test_cmp want got &&
		test_eq 3 "$(q "$H_A" "SELECT count(*) FROM raw_payloads")" &&
		test_eq 5 "$(q "$H_A" "SELECT count(*) FROM raw_observations")" &&
		run pm-store --db "$H_A" --export raw && test_cmp "$R" out
	'
}

history sqlite "$TMP/a.db" "$TMP/b.db"
if pg_ready >/dev/null; then
	history postgresql "$(pg_newdb hist_a)" "$(pg_newdb hist_b)"
else
	test_expect_success 'postgresql: history' 'pg_ready'
fi

# The fixture's own input again: what schema 3 stored for it
v3_input() {
	cat "$G/raw-market.in" "$G/raw-event.in" "$G/raw-price.in" \
	    "$G/raw-history.in" "$G/raw-midpoint.in"
}

# upgraded URL: a schema-3 database at URL is upgraded in place
upgraded() {
	v3_input >raw.ndjson && pm-normalize <raw.ndjson >in.ndjson &&
	run pm-store --db "$1" --export raw && expect_status 0 &&
	test_cmp raw.ndjson out &&
	test_eq 3 "$(q "$1" "SELECT max(version) FROM schema_migrations")" &&
	run pm-store --db "$1" in.ndjson && expect_status 0 &&
	# the 3 markets: their records gained the members of schema 5
	# (volume_24h, resolution, ...), so they read as updated once
	test_grep "13 records: 0 inserted, 3 updated, 5 unchanged, 5 duplicate" err &&
	test_eq "$(schema_latest)" "$(q "$1" "SELECT max(version) FROM schema_migrations")" &&
	test_eq 5 "$(q "$1" "SELECT count(*) FROM raw_observations")" &&
	run pm-store --db "$1" --export raw && test_cmp raw.ndjson out &&
	run pm-store --db "$1" --export market &&
	# what schema 3 exported, and schema 5's members besides
	jq -c "del(.volume_24h, .volume_1wk, .spread, .one_day_price_change,
	    .resolution, .resolved_outcome, .resolved_at)" out >out3 &&
	test_cmp "$TESTS_DIR/fixtures-store/schema-v3-export-market.ndjson" out3
}

test_expect_success 'sqlite: a schema-3 database is upgraded in place, nothing lost' '
	sqlite3 v3.db <"$V3" && upgraded v3.db &&
	test_eq 0 "$(sqlite3 v3.db "SELECT count(*) FROM sqlite_master WHERE
	    name = '\''raw_responses'\'' AND type = '\''table'\''")"
'

test_expect_success 'postgresql: a schema-3 database is upgraded in place, nothing lost' '
	pg_ready && url=$(pg_newdb hist_v3) && sqlite3 v3.db <"$V3" &&
	{ echo "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY,
	      name TEXT NOT NULL, applied_at TEXT NOT NULL);" &&
	  pm-store --schema postgresql | sed "/^-- migration 4/,\$d" &&
	  sqlite3 v3.db "SELECT format('\''INSERT INTO schema_migrations VALUES
	      (%d, %Q, %Q);'\'', version, name, applied_at)
	      FROM schema_migrations"; } >v3.sql &&
	psql -X -q -v ON_ERROR_STOP=1 "$url" -f v3.sql >/dev/null &&
	for t in raw_responses markets contracts events tags price_history; do
		sqlite3 -csv v3.db "SELECT * FROM $t" |
		    psql -X -q -v ON_ERROR_STOP=1 "$url" -c "\\copy $t FROM STDIN CSV" ||
		    return 1
	done &&
	upgraded "$url" &&
	run pm-store --db "$url" --export raw && expect_status 0 &&
	psql -X -A -t "$url" -c "SELECT max(id) < nextval(pg_get_serial_sequence(
	    '\''raw_observations'\'', '\''id'\'')) FROM raw_observations" |
	    test_grep -x t
'

test_expect_success 'a damaged payload is said, not written' '
	pm-store --db d.db "$I" >/dev/null 2>&1 &&
	sqlite3 d.db "UPDATE raw_payloads SET payload = X'\''28b52ffd0000'\''
	    WHERE encoding IS NOT NULL" &&
	test_eq 1 "$(sqlite3 d.db "SELECT count(*) > 0 FROM raw_payloads WHERE encoding = '\''zstd'\''")" &&
	run pm-store --db d.db --export raw && expect_status 3 &&
	test_grep "cannot be read back" err
'
test_done
