#!/bin/bash
# pm-store's database URLs are parsed, never guessed: each form names one
# engine, unknown schemes and in-memory databases are refused with exit 2
# and nothing created, and no message shows a password (issues 16, 22).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
RUN=$TESTS_DIR/fixtures-store/run.ndjson
pg_start

# made: what the case's directory holds besides run's out and err
made() {
	local f
	for f in * .[!.]*; do
		[ -e "$f" ] && [ "$f" != out ] && [ "$f" != err ] && echo "$f"
	done
	return 0
}

# refused URL EXPECTED-IN-ERR: exit 2, the text in stderr, nothing made
refused() {
	run pm-store --db "$1" "$RUN" && expect_status 2 &&
	grep -q -- "$2" err && test ! -s out && test -z "$(made)" && return 0
	made; cat err
	return 1
}

test_expect_success 'unknown schemes: exit 2 naming the scheme, nothing created' '
	refused "mysql://u:Secret@host/db" "^pm-store: --db: mysql: not a database URL scheme" &&
	refused "redis://h:6379/0" "redis: not a database URL scheme" &&
	refused "http://example.invalid/x.db" "http: not a database URL scheme" &&
	# the schemes it knows, ClickHouse'"'"'s too: a scheme spelt in
	# capitals (RFC 3986 case-insensitive, libpq not) is refused
	refused "CLICKHOUSE://127.0.0.1:1/db" \
	    "^pm-store: --db: CLICKHOUSE: not a database URL scheme (a path, sqlite:, postgresql://, clickhouse\[s\]:// or a libpq key=value string)$" &&
	DATABASE_URL="mysql+pymysql://u:Secret@h/db" run pm-store --new-only "$RUN" &&
	expect_status 2 && grep -q "^pm-store: DATABASE_URL: mysql+pymysql: not" err &&
	run pm-store --db "mysql://u:Secret@h/db" --last-run daily && expect_status 2 &&
	run pm-store --db "mysql://u:Secret@h/db" --export raw && expect_status 2 &&
	test -z "$(made)" && not grep -q Secret err
'

test_expect_success 'clickhouse:// and clickhouses:// are ClickHouse: no file made' '
	p=$(python3 -c "import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])") &&
	for u in "clickhouse://u:Secret@127.0.0.1:$p/pm" "clickhouses://u:Secret@127.0.0.1:$p/pm"; do
		run pm-store --db "$u" "$RUN" && expect_status 3 &&
		grep -q "^pm-store: clickhouses*://u@127.0.0.1:$p/pm: " err &&
		test ! -s out && test -z "$(made)" && not grep -q Secret err ||
		return 1
	done
'

test_expect_success 'a ClickHouse URL no server could take: exit 2, not 3' '
	: no host, a port that is no port, an unknown parameter: a usage error, &&
	: not a server out of reach, which a retry of the job may get past &&
	refused "clickhouse://" "^pm-store: --db: clickhouse://: no host" &&
	refused "clickhouses://u:Secret@:9000/pm" "^pm-store: --db: clickhouses://u:\*\*\*@:9000/pm: no host" &&
	refused "clickhouse://127.0.0.1:http/pm" "port is not a number from 1 to 65535" &&
	refused "clickhouse://127.0.0.1:1/pm?clustr=pm" "unknown URL parameter clustr" &&
	: a fragment is refused for what it is: a query may give cluster= &&
	refused "clickhouse://127.0.0.1:1/pm#frag" "^pm-store: --db: .*: no fragment (#frag) allowed in the URL$" &&
	refused "clickhouse://127.0.0.1:1/pm?cluster=pm#frag" "no fragment (#frag) allowed in the URL$" &&
	DATABASE_URL="clickhouse://u:Secret@/pm" run pm-store --export market &&
	expect_status 2 && grep -q "^pm-store: DATABASE_URL: .*no host" err &&
	run pm-store --schema clickhouse -d "clickhouse://u:Secret@/pm" &&
	expect_status 2 && test ! -s out && grep -q "no host" err &&
	run pm-summary --status --db "clickhouse://127.0.0.1:0/pm" &&
	expect_status 2 && grep -q "^pm-summary: --db: .*port is not a number" err &&
	test -z "$(made)" && not grep -q Secret err
'

test_expect_success 'in-memory SQLite databases keep nothing: refused' '
	refused ":memory:" "in-memory database keeps nothing" &&
	refused "sqlite::memory:" "in-memory database keeps nothing" &&
	refused "file:x.db?mode=memory" "in-memory database keeps nothing" &&
	refused "file::memory:?cache=shared" "in-memory database keeps nothing" &&
	DATABASE_URL=:memory: run pm-store "$RUN" && expect_status 2 &&
	grep -q "^pm-store: DATABASE_URL: :memory:" err
'

test_expect_success 'a file: URI: refused, not stored where no reader would look' '
	: SQLite opened the file the URI names, x.db, and every reader &&
	: looked for a file named file:x.db, found none and exported nothing &&
	refused "file:x.db" "^pm-store: --db: file:x.db: a file: URI, not a path; give the path\$" &&
	refused "sqlite:file:sub/x.db?mode=rwc" "a file: URI, not a path" &&
	run pm-store --db file:x.db --export market && expect_status 2 &&
	run pm-store --db file:x.db --last-run daily && expect_status 2 &&
	DATABASE_URL=file:x.db run pm-summary --status && expect_status 2 &&
	grep -q "^pm-summary: DATABASE_URL: file:x.db: a file: URI" err &&
	test -z "$(made)" &&
	run pm-store --db ./file:x.db "$RUN" && expect_status 0 &&
	run pm-store --db ./file:x.db --export raw && expect_status 0
'

test_expect_success 'a path and sqlite: are SQLite, in every spelling' '
	mkdir d && run pm-store --db d/a.db "$RUN" && expect_status 0 &&
	run pm-store --db sqlite:b.db "$RUN" && expect_status 0 &&
	run pm-store --db sqlite://c.db "$RUN" && expect_status 0 &&
	run pm-store --db "sqlite://$PWD/d/e.db" "$RUN" && expect_status 0 &&
	for f in d/a.db b.db c.db d/e.db; do
		test "$(sqlite3 "$f" "select count(*) from processing_runs")" -eq 1
	done
'

test_expect_success 'postgres://, postgresql+psycopg:// and key=value are PostgreSQL' '
	pg_ready && pg_newdb kv >/dev/null && pg_newdb psy >/dev/null &&
	run pm-store --db "host=$PG_DIR dbname=kv user=postgres" "$RUN" &&
	expect_status 0 && test -z "$(made)" &&
	test "$(psql -X -A -t "postgresql://postgres@/kv?host=$PG_DIR" -c "select count(*) from processing_runs")" -eq 1 &&
	run pm-store --db "postgresql+psycopg://postgres@/psy?host=$PG_DIR" "$RUN" &&
	expect_status 0 &&
	: a run of the fixture is partial and cut by a limit: no watermark &&
	head -n 1 "$RUN" | jq -c ".run_id += \"-whole\" | .options.limit = null" |
		pm-store --db "postgres://postgres@/psy?host=$PG_DIR" >/dev/null 2>&1 &&
	run pm-store --db "postgres://postgres@/psy?host=$PG_DIR" --last-run daily &&
	expect_status 0 && test_eq 2026-11-23T07:00:00Z "$(cat out)"
'

# A URL libpq cannot parse (or a port that is no number) is a usage
# error, exit 2, as pm-store(1) says and a ClickHouse URL's is: before,
# libpq refused it at connect and it exited 3, which a scheduler retries.
# One that parses but reaches no server stays 3.  A value libpq takes
# only from a list (sslmode=required) is a usage error too.
test_expect_success 'malformed PostgreSQL URLs: libpq quotes them, the password never shows' '
	for u in 2:"postgresql://pm:Sec%zzret@host/db" 2:"postgresql://pm:Secret@[::1]x/pm" \
	    2:"postgresql://pm:Sec/ret@host/db" 2:"postgresql+psycopg://pm:Sec%zzret@h/db" \
	    3:"postgresql://pm:Secret@/db?host=/nonexistent" \
	    3:"postgresql://pm@/db?host=/nonexistent&password=Secret" \
	    3:"host=/nonexistent dbname=x user=pm password=Secret" \
	    3:"host=/nonexistent password = '"'"'Sec ret'"'"' dbname=x" \
	    2:"host=/nonexistent password='"'"'Secret" \
	    2:"postgresql://pm:Sec@w/ret%rd@host/db" \
	    3:"postgresql://pm:Sec '"'"'q\"  r\\et@/db?host=/nonexistent" \
	    2:"host=/nonexistent dbname=x user=pm password=Sec '"'"'q\"  ret" \
	    2:"host=/nonexistent password=Sec ret y=z" \
	    2:"postgresql://pm@/db?host=/nonexistent&password=Sec ret&port=x" \
	    2:"postgresql://pm:Secret@h:notaport/db" 2:"postgresql://h/db?bogus=1" \
	    2:"host=h port=5432x password=Secret" 2:"host=h bogus=1 password=Secret" \
	    2:"postgresql://pm:Secret@/db?host=/nonexistent&sslmode=required" \
	    2:"host=/nonexistent sslmode=Require password=Secret" \
	    2:"postgresql://pm:Secret@/db?host=/nonexistent&target_session_attrs=rw" \
	    2:"host=/nonexistent channel_binding= password=Secret" \
	    3:"host=/nonexistent sslmode=verify-full password=Secret"; do
		want=${u%%:*} u=${u#?:}
		for mode in "" --new-only; do
			run pm-store --db "$u" $mode "$RUN" &&
			{ expect_status "$want" || { echo "$u"; return 1; }; } &&
			if grep -q -e Sec -e ret -e "r\\\\et" -e zz err out; then
				echo "leaked by $u $mode:"; cat err; return 1
			fi
		done
	done &&
	test -z "$(made)"
'

test_expect_success 'the password is masked where the URL is named' '
	run pm-store --db "postgresql://pm:Sec%zzret@host/db" "$RUN" &&
	grep -q "^pm-store: --db: postgresql://pm:\*\*\*@host/db: invalid percent-encoded token: \"\*\*\*\"" err &&
	DATABASE_URL="postgresql://pm:Secret@h:notaport/db" run pm-summary --status &&
	expect_status 2 &&
	test_grep "^pm-summary: DATABASE_URL: postgresql://pm:\*\*\*@h:notaport/db: invalid port number: \"notaport\"$" err &&
	run pm-store --db "host=/nonexistent user=pm password=Secret" "$RUN" &&
	grep -q "^pm-store: host=/nonexistent user=pm password=\*\*\*: " err &&
	DATABASE_URL="postgresql://pm:Secret@h/db?sslmode=required" run pm-summary --status &&
	expect_status 2 &&
	test_grep "^pm-summary: DATABASE_URL: postgresql://pm:\*\*\*@h/db?sslmode=required: invalid sslmode value: \"required\" (one of: disable allow prefer require verify-ca verify-full)$" err
'
# An '@' in the query (an application_name, a certificate's path under
# a home directory such as /home/ann@corp) was taken for the end of the
# user and password: every message masked the host, the port and the
# database with the password ("postgresql://pm:***@cron"), and libpq's
# "connection to server at \"***\"", so nobody could tell which server
# failed.
test_expect_success 'an @ in the query: the password masked, the server still named' '
	q="127.0.0.1:1/db?application_name=pm@cron" &&
	for u in "pm:Secret@$q|pm:***@$q" "pm:Se%40cret@$q|pm:***@$q" "pm@$q|pm@$q"; do
		run pm-store --db "postgresql://${u%|*}" -e market && expect_status 3 &&
		test_grep -F "pm-store: postgresql://${u#*|}: connection to server at \"127.0.0.1\", port 1 failed" err &&
		not grep -e Secret -e cret err || return 1
	done
'
# libpq reads PGSSLMODE, PGPORT and the like when the URL has no such
# value, and refused a bad one only at connect: exit 3, retried forever.
test_expect_success 'a bad PGSSLMODE or PGPORT in the environment is exit 2, named' '
	for e in PGSSLMODE=bogus PGSSLMODE= PGPORT=x PGTARGETSESSIONATTRS=rw; do
		env "$e" pm-store --db "postgresql://pm:Secret@/db?host=/nonexistent" \
			"$RUN" >out 2>err
		{ test $? = 2 && test_grep "^pm-store: --db: postgresql://pm:\*\*\*@/db?host=/nonexistent: ${e%%=*} in the environment: invalid " err; } ||
			{ echo "$e"; cat err; return 1; }
	done &&
	PGSSLMODE=bogus run pm-store --db "postgresql://pm:Secret@/db?host=/nonexistent&sslmode=disable" "$RUN" &&
	expect_status 3 &&
	PGSSLMODE=verify-full run pm-store --db "postgresql://pm:Secret@/db?host=/nonexistent" "$RUN" &&
	expect_status 3
'
# libpq looks a service up (service=, PGSERVICE) in its service file
# only at connect: one not there, or a file not there, was exit 3 like a
# server out of reach, which a scheduler retries forever.  It is the
# user's to fix: exit 2, libpq's reason named; a service that is there
# works as before.
test_expect_success 'a service libpq cannot find is exit 2, named' '
	printf "[pm]\nhost=%s\ndbname=postgres\nuser=postgres\n" "$PG_DIR" >svc.conf &&
	for u in "service=nope password=Secret" \
	    "postgresql://pm:Secret@/db?service=nope" "postgresql:///?service=nope"; do
		PGSERVICEFILE=$PWD/svc.conf run pm-store --db "$u" "$RUN" &&
		{ expect_status 2 || { echo "$u"; cat err; return 1; }; } &&
		test_grep "^pm-store: --db: .*: definition of service \"nope\" not found$" err &&
		not grep -q Secret err || return 1
	done &&
	PGSERVICEFILE=$PWD/none.conf run pm-store --db "service=pm" "$RUN" &&
	expect_status 2 &&
	test_grep "^pm-store: --db: service=pm: service file \".*/none.conf\" not found$" err &&
	PGSERVICEFILE=$PWD/svc.conf PGSERVICE=nope run pm-summary --status \
		--db "postgresql://pm:Secret@/db" &&
	expect_status 2 &&
	test_grep "^pm-summary: --db: postgresql://pm:\*\*\*@/db: definition of service \"nope\" not found$" err &&
	printf "[pm]\nhost\n" >bad.conf &&
	PGSERVICEFILE=$PWD/bad.conf run pm-store --db "service=pm" "$RUN" &&
	expect_status 2 && test_grep "syntax error in service file" err &&
	rm -f bad.conf && test -z "$(made | grep -v conf)" &&
	PGSERVICEFILE=$PWD/svc.conf run pm-store --db "service=pm" "$RUN" &&
	expect_status 0 &&
	PGSERVICEFILE=$PWD/svc.conf PGSERVICE=pm run pm-summary --status --db "postgresql://" &&
	expect_status 0
'
test_done
