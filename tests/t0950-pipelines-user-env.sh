#!/bin/bash
# The flows as a user runs them from cron: PATH=/usr/bin:/bin, no HOME,
# LC_ALL=de_DE.UTF-8 (a decimal comma for C, awk and the shell's printf),
# a TMPDIR with blanks, the data under a directory with blanks,
# parentheses and a non-ASCII name, an SQLite file whose name starts with
# a dash and holds # ? % & = (which SQLite's URIs would read); and a
# PostgreSQL password with @ : / % quotes and blanks, given
# percent-encoded in a URL, quoted in a key=value string, in PGPASSFILE
# and through PGSERVICE.  Every flow works, writes numbers as under the C
# locale, keeps its files where it says, and no password shows in argv,
# a message, a dump, the summary or the database.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/pg.sh"
pg_start
fake_start pm --markets 150 --spread-days 10 --events 5 --latency 0.01 --trades 5

P=$TOP/pipelines.sh
# de_DE.UTF-8, made here (LOCPATH): the locales package has its sources
# (tools/install-deps.sh installs it); none made is a failure, not a skip
LOC=$TMP/locale
mkdir -p "$LOC"
localedef -i de_DE -f UTF-8 "$LOC/de_DE.UTF-8" >"$TMP/localedef.log" 2>&1
HOMEDIR="$TMP/home/My Data/polymarket (2026)/März -x"
TMPD="$TMP/tmp dir (x) März"
DB='-pm #1?50%&x=März.db'
mkdir -p "$HOMEDIR" "$TMPD"
# the password: @ : / % a single and a double quote, two blanks, a backslash
PW=$(printf 'p@ss:w/o%%rd %sq"  x\\y' "'")
ENC=$(jq -rn --arg p "$PW" '$p|@uri')
# in a key=value string: quoted, \ and the quote escaped (the quotes
# are libpq's and SQL's, literal here)
# shellcheck disable=SC2089
KV="password='$(printf '%s' "$PW" | sed "s/\\\\/\\\\\\\\/g; s/'/\\\\'/g")'"
# shellcheck disable=SC2089
SVC="service='pm research'"
# shellcheck disable=SC2089
NOT_COMPLETED="SELECT count(*) FROM processing_runs WHERE status <> 'completed'"
# With LOCPATH set, glibc's newlocale() (libp11-kit calls it as it is
# loaded, before main) keeps the path list it splits: not the tools' leak
printf 'leak:__argz_add_sep\n' >"$TMP/lsan.supp"
LSAN_OPTIONS=suppressions=$TMP/lsan.supp:print_suppressions=0
export LSAN_OPTIONS

# Every pm-* program the flows start goes through a wrapper that logs its
# argv: what ps would show.
mkdir -p "$TMP/wrap"
for p in "$PM_BIN"/pm-*; do
	printf '#!/bin/sh\nprintf "%%s\\n" "$0 $*" >>"%s/argv.log"\nexec "%s" "$@"\n' \
	    "$TMP" "$p" >"$TMP/wrap/${p##*/}"
	chmod +x "$TMP/wrap/${p##*/}"
done

# cron ARGS...: pipelines.sh ARGS in the data directory, in cron's
# environment and the German locale; VAR=VALUE words first are added
cron() {
	local -a add=()
	while [[ ${1:-} == [A-Z]*=* ]]; do add+=("$1"); shift; done
	(cd "$HOMEDIR" && env -i PATH=/usr/bin:/bin LC_ALL=de_DE.UTF-8 \
	    LOCPATH="$LOC" TMPDIR="$TMPD" PM_BIN="$TMP/wrap" \
	    PM_GAMMA_URL="$PM_GAMMA_URL" PM_CLOB_URL="$PM_CLOB_URL" \
	    PM_DATA_URL="$PM_DATA_URL" ASAN_OPTIONS="$ASAN_OPTIONS" \
	    UBSAN_OPTIONS="$UBSAN_OPTIONS" LSAN_OPTIONS="$LSAN_OPTIONS" \
	    "${add[@]}" "$P" "$@")
}
# the same in the C locale, HOME and all
plain() {
	(cd "$HOMEDIR" && LC_ALL=C PM_BIN="$TMP/wrap" "$P" "$@")
}
# what no file, message or argv may hold: the password, a piece of it
# or its encoding
leaks() {
	printf '%s\n' "$PW" "$ENC" 'p@ss' 'o%rd' 'x\y' 'o%25rd'
}

test_expect_success 'de_DE.UTF-8 could be made: a decimal comma (install the locales package)' '
	if ! out=$(LOCPATH=$LOC LC_ALL=de_DE.UTF-8 awk "BEGIN { printf \"%.1f\", 1 / 2 }" 2>&1) ||
	    [ "$out" != "0,5" ]; then
		cat "$TMP/localedef.log"; echo "got: $out"; exit 1
	fi
'

test_expect_success 'every flow on SQLite from cron: a German locale, no HOME, odd paths' '
	: >"$TMP/argv.log" &&
	for f in daily static delta events prices trades; do
		run cron "$f" --db "$DB" --summary-path "out (x)/$f summary.json" &&
		{ expect_status 0 || return 1; } &&
		jq -e ".run_status == \"completed\"" "$HOMEDIR/out (x)/$f summary.json" >/dev/null ||
		return 1
	done &&
	first=$(cd "$HOMEDIR/dumps" && ls | head -n 1) &&
	run cron replay "dumps/$first" --db "$DB" && expect_status 0 &&
	run cron retry-failures "${first%.ndjson}" --db "$DB" && expect_status 0 &&
	run cron status --db "$DB" && expect_status 0 &&
	run cron score --db "$DB" && expect_status 0 &&
	run cron prune --keep-days 0 --dry-run --db "$DB" && expect_status 0 &&
	test_grep -x "would remove dumps/$first" out &&
	(cd "$HOMEDIR" && ls -A) >files &&
	for f in "$DB" dumps "out (x)" "$DB.daily.lock"; do
		test_grep -x -F -- "$f" files || return 1
	done &&
	not grep -v -x -F -e "$DB" -e dumps -e "out (x)" \
	    -e "$DB".{daily,static,delta,events,prices,trades,replay,retry-failures}.lock files &&
	test -z "$(ls -A "$TMPD")" &&
	test_num "$(sqlite3 "$HOMEDIR/$DB" "SELECT count(*) FROM processing_runs")" -ge 7 &&
	test_eq 0 "$(sqlite3 "$HOMEDIR/$DB" "$NOT_COMPLETED")" "runs not completed" &&
	test_num "$(sqlite3 "$HOMEDIR/$DB" "SELECT count(*) FROM processed_events")" -gt 0
'

test_expect_success 'the German locale changes no byte of what the tools print' '
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ) &&
	for a in "status --json --now $now" "score --json" "score --plot p.svg"; do
		cron $a --db "$DB" >de 2>de.err; s1=$?
		mv "$HOMEDIR/p.svg" de.svg 2>/dev/null
		plain $a --db "$DB" >c 2>c.err; s2=$?
		mv "$HOMEDIR/p.svg" c.svg 2>/dev/null
		test_eq "$s2" "$s1" "$a: status" &&
		test_cmp c de && test_cmp c.err de.err || return 1
	done &&
	test_cmp c.svg de.svg &&
	for x in market result price; do
		(cd "$HOMEDIR" && env -i PATH=/usr/bin:/bin LC_ALL=de_DE.UTF-8 \
		    LOCPATH=$LOC LSAN_OPTIONS=$LSAN_OPTIONS "$PM_BIN/pm-store" --db "$DB" --export $x \
		    --format csv) >de.csv &&
		(cd "$HOMEDIR" && LC_ALL=C pm-store --db "$DB" --export $x \
		    --format csv) >c.csv &&
		test_cmp c.csv de.csv || return 1
	done &&
	test_grep -E "^[^,]+,[^,]+,.*[0-9][.][0-9]" c.csv
'

# A role whose password is checked (scram), a database of its own per
# way of giving the password.
pg_pw_setup() {
	(cd / && pg_as sh -c "printf 'local all pmpw scram-sha-256\n' >'$PG_DIR/hba' &&
	    cat '$PG_DIR/data/pg_hba.conf' >>'$PG_DIR/hba' &&
	    cat '$PG_DIR/hba' >'$PG_DIR/data/pg_hba.conf'" &&
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" reload >/dev/null) &&
	printf "%s\n" "CREATE ROLE pmpw LOGIN PASSWORD :'pw';" \
	    "CREATE DATABASE pw_url OWNER pmpw;" "CREATE DATABASE pw_kv OWNER pmpw;" \
	    "CREATE DATABASE pw_file OWNER pmpw;" "CREATE DATABASE pw_svc OWNER pmpw;" |
	    psql -X -q -v ON_ERROR_STOP=1 -v pw="$PW" "$PG_URL" >/dev/null
}

test_expect_success 'PostgreSQL, the password in four ways: each works, none shows anywhere' '
	pg_ready && pg_pw_setup &&
	# a wrong password is refused: the password is really asked for
	run psql -X "postgresql://pmpw:nope@/pw_url?host=$PG_DIR" -c "SELECT 1" &&
	test_num "$status" -ne 0 &&
	printf "*:*:*:pmpw:%s\n" "$(printf %s "$PW" | sed "s/\\\\/\\\\\\\\/g; s/:/\\\\:/g")" \
	    >"$HOMEDIR/pg pass" && chmod 600 "$HOMEDIR/pg pass" &&
	printf "[pm research]\nhost=%s\ndbname=pw_svc\nuser=pmpw\npassword=%s\n" \
	    "$PG_DIR" "$PW" >"$HOMEDIR/pg service.conf" &&
	: >"$TMP/argv.log" &&
	run cron daily --limit 3 --db "postgresql://pmpw:$ENC@/pw_url?host=$PG_DIR" &&
	expect_status 0 && cat out err >all &&
	run cron daily --limit 3 --db "host=$PG_DIR dbname=pw_kv user=pmpw $KV" &&
	expect_status 0 && cat out err >>all &&
	run cron "PGPASSFILE=$HOMEDIR/pg pass" daily --limit 3 \
	    --db "postgresql://pmpw@/pw_file?host=$PG_DIR" &&
	expect_status 0 && cat out err >>all &&
	run cron "PGSERVICEFILE=$HOMEDIR/pg service.conf" daily --limit 3 \
	    --db "$SVC" &&
	expect_status 0 && cat out err >>all &&
	run cron "PGSERVICEFILE=$HOMEDIR/pg service.conf" status \
	    --db "$SVC" &&
	expect_status 0 && cat out err >>all &&
	for d in pw_url pw_kv pw_file pw_svc; do
		test_num "$(psql -X -A -t -q "postgresql://postgres@/$d?host=$PG_DIR" \
		    -c "SELECT count(*) FROM processed_events")" -gt 0 &&
		db_dump "postgresql://postgres@/$d?host=$PG_DIR" >>rows || return 1
	done &&
	leaks >pats &&
	not grep -F -f pats "$TMP/argv.log" all rows &&
	not grep -rF -f pats "$HOMEDIR/dumps"
'
test_done
