#!/bin/bash
# pm-experiment's openai variants over https: the endpoint's certificate and
# host name are checked as pm-fetch checks them (lib/http.c); --cacert FILE,
# else PM_CA_BUNDLE, says which CAs to trust.  Fake endpoints on 127.0.0.1,
# certificates made here.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/tls.sh"

unset PM_CA_BUNDLE
C=$TMP/tls
CA=$C/ca.pem
tls_ca "$C" && tls_cert "$C" both IP:127.0.0.1,DNS:localhost &&
    tls_cert "$C" dns DNS:localhost || exit 1

PIDS=
llm_stop_all() {
	local p
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap llm_stop_all EXIT
# llm_start NAME [--tls CERT KEY]: a fake endpoint; its port in $TMP/NAME.port,
# its requests in $TMP/NAME.log
llm_start() {
	local name=$1 _
	shift
	: >"$TMP/$name.log"
	python3 "$TESTS_DIR/fake-llm.py" "$@" "$TMP/$name.port" "$TMP/$name.log" \
	    2>"$TMP/$name.err" &
	PIDS="$PIDS $!"
	for _ in $(seq 100); do [ -s "$TMP/$name.port" ] && break; sleep 0.05; done
	[ -s "$TMP/$name.port" ] || { cat "$TMP/$name.err" >&2; return 1; }
}
llm_start plain && llm_start tls --tls "$C/both.pem" "$C/both.key" &&
    llm_start dns --tls "$C/dns.pem" "$C/dns.key" || exit 1
PLAIN=http://127.0.0.1:$(cat "$TMP/plain.port")
TLS=https://127.0.0.1:$(cat "$TMP/tls.port")
DNS_PORT=$(cat "$TMP/dns.port")

for k in 1 2; do
	rec_group "e$k" "{\"title\":\"Event $k\"}" "$(rec_market "m$k" -source \
		question="Will $k happen?" contracts:="$(rec_yes_no 1 0.25 2 0.75)")"
done >"$TMP/groups.ndjson"

# config BASE_URL: a research and a forecast variant against it
config() {
	cat <<JSON
{"suites": [{"id": "llm",
  "defaults": {"base_url": "$1/v1", "api_key_env": "PM_TEST_KEY", "timeout": 10},
  "research": [{"variant": "brief", "type": "openai", "model": "research"}],
  "forecast": [{"variant": "valid", "type": "openai", "model": "valid",
                "depends_on": "brief"}]}]}
JSON
}
config "$PLAIN" >"$TMP/plain.json"
config "$TLS" >"$TMP/tls.json"
config "https://127.0.0.1:$DNS_PORT" >"$TMP/dns-ip.json"
config "https://localhost:$DNS_PORT" >"$TMP/dns-name.json"
export PM_TEST_KEY=sekrit-test-key

# all_true EXPR FILE: EXPR over FILE's lines yields values, all true
all_true() {
	jq -se "[.[] | $1] | length > 0 and all" "$2" >/dev/null
}
# What the results say, without times
results() {
	jq -c "select(.kind==\"group\") | .event_key as \$e | .results[] |
		[\$e, .variant, .status, .output.content, .probabilities, .error]" "$1"
}
pm-experiment -c "$TMP/plain.json" "$TMP/groups.ndjson" >"$TMP/plain.out" &&
    results "$TMP/plain.out" >"$TMP/plain.results" || exit 1

test_expect_success 'the results over plain HTTP, to compare with' '
	test_line_count "$TMP/plain.results" 4 &&
	test_num "$(grep -c "\"ok\"" "$TMP/plain.results")" -eq 4 &&
	test_line_count "$TMP/plain.log" 4
'

test_expect_success 'a CA file missing or with no certificate: exit 2 before any input is read' '
	run pm-experiment -c ../tls.json --cacert "$C/nosuch.pem" ../groups.ndjson &&
	expect_status 2 && test ! -s out &&
	test_grep -x "pm-experiment: $C/nosuch.pem: No such file or directory (--cacert)" err &&
	PM_CA_BUNDLE=$C/both.key run pm-experiment -c ../tls.json --list &&
	expect_status 2 && test ! -s out &&
	test_grep -x "pm-experiment: $C/both.key: no PEM certificate in it (PM_CA_BUNDLE)" err &&
	test ! -s "$TMP/tls.log"
'

test_expect_success 'without the CA: failed, naming the endpoint; no request, no key sent' '
	run pm-experiment -c ../tls.json ../groups.ndjson && expect_status 1 &&
	results out >got &&
	all_true "select(.[1] == \"brief\") | .[2] == \"failed\" and
		(.[5] | startswith(\"$TLS: certificate verification failed: SSL certificate problem\"))" got &&
	test_eq "brief failed,valid skipped," "$(jq -r ".[1] + \" \" + .[2]" got | sort -u | tr "\n" ,)" &&
	test_count failure out -ge 2 &&
	test ! -s "$TMP/tls.log" && test_grep -v sekrit out err
'

test_expect_success '--cacert CA, and PM_CA_BUNDLE=CA: the same results as over plain HTTP' '
	run pm-experiment -c ../tls.json --cacert "$CA" ../groups.ndjson &&
	expect_status 0 && results out >got && test_cmp "$TMP/plain.results" got &&
	test_line_count "$TMP/tls.log" 4 &&
	PM_CA_BUNDLE=$CA run pm-experiment -c ../tls.json ../groups.ndjson &&
	expect_status 0 && results out >got && test_cmp "$TMP/plain.results" got
'

test_expect_success 'a certificate for another host name is refused, even with the CA' '
	run pm-experiment -c ../dns-ip.json --cacert "$CA" ../groups.ndjson &&
	expect_status 1 && results out >got &&
	all_true "select(.[1] == \"brief\") | .[2] == \"failed\" and
		(.[5] | test(\"^https://127.0.0.1:$DNS_PORT: certificate verification failed: .*127.0.0.1\"))" got &&
	test ! -s "$TMP/dns.log" &&
	run pm-experiment -c ../dns-name.json --cacert "$CA" ../groups.ndjson &&
	expect_status 0 && results out >got && test_cmp "$TMP/plain.results" got
'
test_done
