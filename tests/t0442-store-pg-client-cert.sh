#!/bin/bash
# TLS client certificates and root certificates named in a PostgreSQL URL
# (sslcert, sslkey, sslrootcert): a file libpq cannot use (missing, not a
# certificate, a directory, a key with group or world access) stops
# pm-store and pm-summary --status at the connect with exit 3, the file
# named, the URL's password never shown; a good pair connects.  libpq
# checks them only at connect, after the server answered, so they are
# "cannot be opened" (pm-store(1) EXIT STATUS 3), not a URL not
# understood (2).  A missing sslcert is not an error: libpq then sends no
# certificate, and a server that asks for one refuses the connection.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/tls.sh"
RUN=$TESTS_DIR/fixtures-store/run.ndjson
pg_start
pg_start_tls
tls_ca "$TMP/ca" && tls_cert "$TMP/ca" client "DNS:localhost" &&
	cp "$PG_DIR/data/server.crt" "$TMP/root.pem"

# refused QUERY FILE WHY: both tools exit 3 naming FILE and WHY, no password
refused() {
	local u="postgresql://postgres:Secret@127.0.0.1:$PG_TLS_PORT/postgres?sslmode=require&$1"
	run pm-store --db "$u" "$RUN" && expect_status 3 &&
	test_grep -F "\"$2\"${3-}" err && not grep -q Secret err &&
	test ! -s out &&
	run pm-summary --status --db "$u" && expect_status 3 &&
	test_grep -F "\"$2\"${3-}" err && not grep -q Secret err out
}

test_expect_success 'client and root certificates libpq cannot use: exit 3, named' '
	pg_ready && d=$TMP && test -s "$d/ca/client.key" &&
	refused "sslcert=$d/ca/client.pem&sslkey=$d/nope.key" "$d/nope.key" &&
	refused "sslcert=$d/ca/ca.key&sslkey=$d/ca/client.key" "$d/ca/ca.key" ": no start line" &&
	refused "sslcert=$d/ca&sslkey=$d/ca/client.key" "$d/ca" &&
	refused "sslcert=$d/ca/client.pem&sslkey=$d/ca" "$d/ca" " is not a regular file" &&
	refused "sslmode=verify-ca&sslrootcert=$d/nope.pem" "$d/nope.pem" " does not exist" &&
	refused "sslmode=verify-ca&sslrootcert=$d/ca/ca.key" "$d/ca/ca.key" &&
	chmod 644 "$d/ca/client.key" &&
	refused "sslcert=$d/ca/client.pem&sslkey=$d/ca/client.key" "$d/ca/client.key" " has group or world access"
'

test_expect_success 'a good client certificate and root certificate connect' '
	pg_ready && d=$TMP && chmod 600 "$d/ca/client.key" &&
	u="postgresql://postgres:Secret@127.0.0.1:$PG_TLS_PORT/postgres?sslmode=verify-ca&sslrootcert=$d/root.pem" &&
	run pm-store --db "$u&sslcert=$d/ca/client.pem&sslkey=$d/ca/client.key" "$RUN" &&
	expect_status 0 && test_grep " 0 failed in " err &&
	run pm-summary --status --db "$u&sslcert=$d/nope.pem" && expect_status 0
'
# libpq lets OpenSSL ask for the pass phrase of an encrypted key given
# without sslpassword: "Enter PEM pass phrase:" on the terminal (a cron
# job has none: it was said on standard error, no program named), and a
# run by hand waited for it.  No prompt now: the key cannot be read,
# exit 3, the file named; a wrong sslpassword is the same, never shown.
test_expect_success 'an encrypted key: no pass phrase prompt, sslpassword masked' '
	pg_ready && d=$TMP && chmod 600 "$d/ca/client.key" &&
	openssl pkey -in "$d/ca/client.key" -aes256 -passout pass:KeyPw \
		-out enc.key && chmod 600 enc.key &&
	u="postgresql://postgres:Secret@127.0.0.1:$PG_TLS_PORT/postgres?sslmode=require&sslcert=$d/ca/client.pem&sslkey=$PWD/enc.key" &&
	for q in "" "&sslpassword=Wrong%20Pw"; do
		run pm-store --db "$u$q" "$RUN" </dev/null && expect_status 3 &&
		{ not grep -v "^pm-store: " err || { cat err; return 1; }; } &&
		test_grep "could not load private key file \"$PWD/enc.key\"" err &&
		not grep -q -e Secret -e Wrong err || return 1
	done &&
	run pm-store --db "$u&sslpassword=KeyPw" "$RUN" && expect_status 0 &&
	test_grep "sslpassword=\*\*\*$" err
'
test_done
