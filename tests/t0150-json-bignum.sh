#!/bin/bash
# Numbers beyond 64 bits and beyond a double are valid JSON: no line and no
# API page is lost for them; pass-through records and raw payloads keep
# their bytes; a typed number no double holds fails its record only.
. "$(dirname "$0")/lib.sh"

# One line of each shape: big integers at the top, nested, negative, in
# strings and keys, next to numbers beyond a double.
odd_lines() {
	cat <<-'EOF'
	{"kind":"x","n":123456789012345678901234567890}
	{"kind":"x","n":-99999999999999999999,"a":[1,18446744073709551616,[-9223372036854775809]],"o":{"v":1e400}}
	{"kind":"note","s":"99999999999999999999999\"1e999","99999999999999999999":-1e999, "t" : 340282366920938463463374607431768211456 }
	{"kind":"run","phase":"start","run_id":"r1","n":1234567890123456789012345678901234567890e-10}
	EOF
}

# gamma_market N FIELD=RAWVALUE...: fixture market N with members set to
# raw JSON text (what jq cannot write: it rounds big numbers).
gamma_market() {
	local i=$1 kv m
	shift
	m=$(jq -c ".[$i]" "$FIXTURES"/gamma-markets-bobaoxu2001-1.json)
	for kv in "$@"; do
		m=$(printf '%s' "$m" | jq -c --arg k "${kv%%=*}" '.[$k]="@@RAW@@"')
		m=${m/\"@@RAW@@\"/${kv#*=}}
	done
	printf '%s\n' "$m"
}

test_expect_success 'pass-through records with big numbers: pm-normalize, byte for byte' '
	odd_lines >in.ndjson &&
	run pm-normalize in.ndjson && expect_status 0 && test ! -s err &&
	test_cmp in.ndjson out
'

test_expect_success 'pass-through records with big numbers: pm-group, byte for byte' '
	odd_lines >in.ndjson &&
	run pm-group in.ndjson && expect_status 0 && test ! -s err &&
	test_cmp in.ndjson out
'

test_expect_success 'a market with big numbers goes into its group byte for byte' '
	m="{\"kind\":\"market\",\"market_id\":\"7\",\"event_id\":\"e1\",\"x\":-99999999999999999999,\"y\":[1e999]}" &&
	printf "%s\n" "$m" >in.ndjson &&
	run pm-group in.ndjson && expect_status 0 && test ! -s err &&
	grep -qF -- "\"markets\":[$m]" out
'

test_expect_success 'pass-through records with big numbers: pm-store --new-only, byte for byte' '
	odd_lines >in.ndjson &&
	run pm-store -n -d "$PWD/s.db" in.ndjson && expect_status 0 &&
	test_cmp in.ndjson out
'

test_expect_success 'a raw Gamma market with big integers: normalized, its payload bytes kept' '
	gamma_market 0 volumeNum=123456789012345678901234567890 \
	    extra=-99999999999999999999 >in.ndjson &&
	run pm-normalize -e markets in.ndjson && expect_status 0 && test ! -s err &&
	test "$(count_kind market out)" -eq 1 && test "$(count_kind raw out)" -eq 1 &&
	grep "^{\"kind\":\"raw\"" out | sed "s/.*\"payload\"://; s/}\$//" >payload &&
	test_cmp in.ndjson payload &&
	grep "^{\"kind\":\"raw\"" out >raw.ndjson &&
	run pm-normalize raw.ndjson && expect_status 0 &&
	grep -q "^{\"kind\":\"market\",\"source\":\"polymarket\",\"market_id\":\"2063134\"" out
'

test_expect_success 'a volume no double holds fails that market, not its neighbours' '
	{ gamma_market 0; gamma_market 1 volume=1e400; gamma_market 2; } >in.ndjson &&
	run pm-normalize -R -e markets in.ndjson && expect_status 1 &&
	test "$(count_kind market out)" -eq 2 && test "$(count_kind failure out)" -eq 1 &&
	grep -q "^pm-normalize: in.ndjson:2: market [0-9]*: volume is not a number" err &&
	not grep -q "bad_record" out
'

test_expect_success 'a volume in a form other than a decimal fails that market' '
	{ gamma_market 0 volume="\"0x10\""; gamma_market 1 volume="\"inf\"";
	  gamma_market 2 volume="\" 16\""; } >in.ndjson &&
	run pm-normalize -R -e markets in.ndjson && expect_status 1 &&
	test "$(count_kind market out)" -eq 1 && test "$(count_kind failure out)" -eq 2 &&
	grep -q "^pm-normalize: in.ndjson:1: market [0-9]*: volume is not a number: \"0x10\"" err &&
	grep -q "^pm-normalize: in.ndjson:2: market [0-9]*: volume is not a number: \"inf\"" err &&
	jq -e "select(.kind == \"market\") | .volume == 16" out
'

test_expect_success 'a volume or price no double holds fails that market in pm-store' '
	gamma_market 0 >in.ndjson &&
	pm-normalize -R -e markets in.ndjson >m.ndjson &&
	sed "s/\"volume\":[^,]*/\"volume\":-1e400/" m.ndjson >bad1 &&
	sed "s/\"price\":[^,}]*}]/\"price\":1e400}]/" m.ndjson >bad2 &&
	grep -q "\"volume\":-1e400" bad1 && grep -q "\"price\":1e400}]" bad2 &&
	cat m.ndjson bad1 bad2 >all.ndjson &&
	run pm-store -d "$PWD/s.db" all.ndjson && expect_status 1 &&
	grep -q "^pm-store: all.ndjson:2: volume is not a number" err &&
	grep -q "^pm-store: all.ndjson:3: price is not a number" err &&
	not grep -q "all.ndjson:1" err && grep -q "1 inserted.* 2 failed" err
'

# SQLite keeps a -0 it is given as 0: the record rebuilt from the columns
# was not the one stored.  Before, the export said "liquidity":0 and
# storing it again was "1 updated".
test_expect_success 'a market with a -0.0: exported as it came, stored again unchanged' '
	gamma_market 0 >in.ndjson &&
	pm-normalize -R -e markets in.ndjson |
		sed "s/\"liquidity\":[^,]*/\"liquidity\":-0.0/" >z.ndjson &&
	grep -q "\"liquidity\":-0.0," z.ndjson &&
	pm-store -d "$PWD/z.db" z.ndjson >/dev/null 2>&1 &&
	run pm-store -d "$PWD/z.db" -e markets && expect_status 0 &&
	grep -q "\"liquidity\":-0.0," out && mv out exp.ndjson &&
	run pm-store -d "$PWD/z.db" exp.ndjson && expect_status 0 &&
	test_grep "0 inserted, 0 updated, 1 unchanged" err
'

test_expect_success 'pm-store keeps a raw payload with big numbers as it came' '
	gamma_market 0 volumeNum=123456789012345678901234567890 n=1e400 >in.ndjson &&
	pm-normalize -e markets in.ndjson | grep "^{\"kind\":\"raw\"" >raw.ndjson &&
	run pm-store -d "$PWD/s.db" raw.ndjson && expect_status 0 &&
	run pm-store -e raw -d "$PWD/s.db" && expect_status 0 &&
	sed "s/.*\"payload\"://; s/}\$//" out >payload && test_cmp in.ndjson payload
'

# A Gamma stand-in: two keyset pages, the first with big numbers in its
# markets; it logs each request's query.
serve() {
	{ gamma_market 0 volumeNum=123456789012345678901234567890 \
	    umaBond=-99999999999999999999; gamma_market 1 volume=1e400; } |
	    paste -sd, >page1.items &&
	gamma_market 2 >page2.items &&
	cat >server.py <<-'EOF'
	import http.server, sys
	pages = [open("page1.items").read().strip(), open("page2.items").read().strip()]
	class H(http.server.BaseHTTPRequestHandler):
	    def do_GET(self):
	        with open("requests.log", "a") as f:
	            f.write(self.path + "\n")
	        if "after_cursor=c2" in self.path:
	            body = '{"markets":[' + pages[1] + ']}'
	        else:
	            body = '{"markets":[' + pages[0] + '],"next_cursor":"c2"}'
	        b = body.encode()
	        self.send_response(200)
	        self.send_header("Content-Type", "application/json")
	        self.send_header("Content-Length", str(len(b)))
	        self.end_headers()
	        self.wfile.write(b)
	    def log_message(self, *a):
	        pass
	s = http.server.HTTPServer(("127.0.0.1", 0), H)
	open("port.tmp", "w").write(str(s.server_address[1]))
	import os; os.rename("port.tmp", "port")
	s.serve_forever()
	EOF
	python3 server.py 2>server.err &
	echo $! >server.pid
	for _ in $(seq 100); do [ -s port ] && return 0; sleep 0.05; done
	return 1
}

# Idempotent: also the case's EXIT trap, which must not fail it.
stop() {
	local p
	p=$(cat server.pid 2>/dev/null) || return 0
	rm -f server.pid
	kill "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
}

test_expect_success 'pm-fetch: a page with big numbers is kept, and paging goes on' '
	trap stop EXIT && serve &&
	run pm-fetch markets --gamma-url "http://127.0.0.1:$(cat port)" \
	    --partitions 1 --attempts 1 --backoff 10 && stop &&
	expect_status 0 && test ! -s err &&
	test "$(count_kind raw out)" -eq 3 &&
	grep -c after_cursor=c2 requests.log | grep -qx 1 &&
	sed "s/.*\"payload\"://; s/}\$//" out >payloads &&
	{ gamma_market 0 volumeNum=123456789012345678901234567890 \
	    umaBond=-99999999999999999999; gamma_market 1 volume=1e400;
	  cat page2.items; } >want &&
	test_cmp want payloads &&
	cp out fetched.ndjson && run pm-normalize -R fetched.ndjson &&
	expect_status 1 && test "$(count_kind market out)" -eq 2 &&
	test "$(count_kind failure out)" -eq 1 && grep -q "volume is not a number" err
'

test_done
