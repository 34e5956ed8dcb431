#!/bin/bash
# pm-fetch over https: the server's certificate and host name are always
# checked; --cacert FILE, else PM_CA_BUNDLE, says which CAs to trust, and
# nothing switches the check off.  The CA and the certificates are made
# here, for fake servers on 127.0.0.1.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/tls.sh"

unset PM_CA_BUNDLE
C=$TMP/tls
CA=$C/ca.pem
tls_ca "$C" && tls_cert "$C" both IP:127.0.0.1,DNS:localhost &&
    tls_cert "$C" dns DNS:localhost && tls_cert "$C" ip IP:127.0.0.1 || exit 1

fake_start dns --tls "$C/dns.pem" "$C/dns.key" --log "$TMP/dns.log"
DNS_PORT=$FAKE_PORT
fake_start ip --tls "$C/ip.pem" "$C/ip.key" --log "$TMP/ip.log"
IP_PORT=$FAKE_PORT
fake_start plain --log "$TMP/plain.log"
PLAIN=$FAKE_URL
fake_start tls --tls "$C/both.pem" "$C/both.key" --log "$TMP/tls.log"
TLS=$FAKE_URL	# and PM_GAMMA_URL, PM_CLOB_URL from here on
: >"$TMP/tls.log"

# What a flow fetches: every recorded market (a GET listing), then their
# prices (POSTs, several at once).  Compared without what names the server
# or the time, in a stable order.  The listing's partitions run at once, so
# its markets come in the order their pages arrive (pm-fetch(1)), and the
# prices batches follow the input's order: the markets are sorted first, so
# the same tokens go in the same requests over http and https.
# shellcheck disable=SC2120 # the cases pass --cacert
fetch_flow() {
	pm-fetch markets --closed any "$@" >markets.ndjson &&
	pm-normalize -R markets.ndjson | sort >normalized.ndjson &&
	pm-fetch prices --batch 10 -j 4 "$@" normalized.ndjson >prices.ndjson
}
records() {
	cat markets.ndjson prices.ndjson |
	    jq -c "select(.kind==\"raw\") | del(.url, .fetched_at)" | sort
}
(cd "$TMP" && PM_GAMMA_URL=$PLAIN PM_CLOB_URL=$PLAIN fetch_flow &&
    records >plain.records) || exit 1

test_expect_success 'the records over plain HTTP, to compare with' '
	test_line_count "$TMP/plain.records" -gt 100 &&
	test_num "$(grep -c "\"source\":\"clob\"" "$TMP/plain.records")" -ge 5 &&
	cp "$TMP/normalized.ndjson" "$TMP/markets.in"
'

test_expect_success 'a CA file missing, not a file or with no certificate: usage, before any request' '
	for f in "$C/nosuch.pem" "$C" "$C/both.key" /dev/null ""; do
		run pm-fetch markets --cacert "$f" && expect_status 2 &&
		test ! -s out && test_grep "^pm-fetch: $f: .* (--cacert)$" err ||
		{ echo "--cacert $f"; return 1; }
		cat err >>all
	done &&
	for f in "$C/nosuch.pem" "$C/both.key"; do
		PM_CA_BUNDLE=$f run pm-fetch prices "$TMP/markets.in" &&
		expect_status 2 && test ! -s out &&
		test_grep "^pm-fetch: $f: .* (PM_CA_BUNDLE)$" err ||
		{ echo "PM_CA_BUNDLE=$f"; return 1; }
		cat err >>all
	done &&
	test_grep "nosuch.pem: No such file or directory (--cacert)$" all &&
	test_grep "/tls: not a regular file (--cacert)$" all &&
	test_grep "both.key: no PEM certificate in it (PM_CA_BUNDLE)$" all &&
	test ! -s "$TMP/tls.log"
'

test_expect_success 'without the CA: refused, naming the URL; exit 3, one fetch_failed record, no retry' '
	run pm-fetch markets --partitions 1 --attempts 3 --backoff 1 && expect_status 3 &&
	test_line_count out 1 && test_count failure out 1 &&
	jq_all ".reason == \"fetch_failed\" and .retriable == false and
		(.url | startswith(\"$TLS/markets/keyset?\")) and
		(.detail | startswith(\"$TLS: certificate verification failed: SSL certificate problem\"))" out &&
	test_grep "^pm-fetch: $TLS: certificate verification failed: " err &&
	test_grep -v "attempts" err &&
	test ! -s "$TMP/tls.log"
'

test_expect_success 'without the CA, prices: the input passes, every request refused, exit 3' '
	run pm-fetch prices --batch 50 "$TMP/markets.in" && expect_status 3 &&
	test_count raw out 0 &&
	n=$(jq -r ".contracts[].token_id // empty" "$TMP/markets.in" | sort -u | wc -l) &&
	test_count failure out $(((n + 49) / 50)) &&
	jq_all "select(.kind==\"failure\") | .url == \"$TLS/prices\" and
		(.detail | test(\"certificate verification failed\"))" out &&
	grep -v "^{\"kind\":\"failure\"" out >passed && test_cmp "$TMP/markets.in" passed &&
	test ! -s "$TMP/tls.log"
'

test_expect_success '--cacert CA: the same records as over plain HTTP' '
	fetch_flow --cacert "$CA" && records >got &&
	test_cmp "$TMP/plain.records" got &&
	jq_all ".url | startswith(\"$TLS/\")" markets.ndjson &&
	test -s "$TMP/tls.log"
'

test_expect_success 'PM_CA_BUNDLE=CA: the same records; --cacert wins over it' '
	PM_CA_BUNDLE=$CA fetch_flow && records >got &&
	test_cmp "$TMP/plain.records" got &&
	PM_CA_BUNDLE=$C/nosuch.pem run pm-fetch markets --limit 2 --cacert "$CA" &&
	expect_status 0 && test_count raw out 2 &&
	PM_CA_BUNDLE=$CA run pm-fetch markets --limit 2 --cacert "$C/ip.key" &&
	expect_status 2
'

test_expect_success 'a certificate for another host name is refused, even with the CA' '
	run pm-fetch markets --partitions 1 --cacert "$CA" --gamma-url "https://127.0.0.1:$DNS_PORT" &&
	expect_status 3 && test_line_count out 1 &&
	jq_all ".kind == \"failure\" and .retriable == false and
		(.detail | test(\"^https://127.0.0.1:$DNS_PORT: certificate verification failed: .*127.0.0.1\"))" out &&
	PM_CA_BUNDLE=$CA run pm-fetch markets --gamma-url "https://localhost:$IP_PORT" &&
	expect_status 3 && test_count raw out 0 &&
	test_grep "^pm-fetch: https://localhost:$IP_PORT: certificate verification failed: .*localhost" err &&
	test ! -s "$TMP/dns.log" && test ! -s "$TMP/ip.log" &&
	run pm-fetch markets --cacert "$CA" --limit 2 --gamma-url "https://localhost:$DNS_PORT" &&
	expect_status 0 && test_count raw out 2 &&
	run pm-fetch markets --cacert "$CA" --limit 2 --gamma-url "https://127.0.0.1:$IP_PORT" &&
	expect_status 0 && test_count raw out 2
'

test_expect_success 'no code switches certificate or host name checks off' '
	cd "$TOP" &&
	test_grep -vrE "VERIFY(PEER|HOST|STATUS)[^;]*, *0|NO_REVOKE|--insecure|curl[^|;]* -k " \
	    lib tools pipelines.sh &&
	test_grep "CURLOPT_SSL_VERIFYPEER, 1L" lib/http.c &&
	test_grep "CURLOPT_SSL_VERIFYHOST, 2L" lib/http.c &&
	test_grep "http_tls_apply(h)" lib/llm.c
'
test_done
