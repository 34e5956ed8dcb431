#!/bin/bash
# Every EXAMPLES section of every man page, every command of
# examples/one-liners.sh and of the README runs against the fake API (and a fake LLM, and
# PostgreSQL where an example names it), each in a fresh copy of a scratch
# directory, and exits as documented.  What an example needs is marked in
# its source (tests/examples.sh says how); none is skipped.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/examples.sh"
. "$TESTS_DIR/tls.sh"
. "$TESTS_DIR/pg.sh"
. "$TESTS_DIR/ch.sh"

examples_man "$TOP"/man/*.[157] "$TMP/ex" &&
examples_sh "$TOP/examples/one-liners.sh" "$TMP/ex" &&
examples_readme "$TOP/README.md" "$TMP/ex" || exit 1

# The fake LLM (tests/fake-llm.py), without fake-llm.sh's EXIT trap.
python3 "$TESTS_DIR/fake-llm.py" "$TMP/llm.port" "$TMP/llm.log" &
echo "$!" >>"$TMP/fake.pids"
for _ in $(seq 600); do [ -s "$TMP/llm.port" ] && break; sleep 0.05; done
llm=http://127.0.0.1:$(cat "$TMP/llm.port")
export OPENAI_API_KEY=sk-test-examples GEMINI_API_KEY=gm-test-examples

C=$TMP/tls
tls_ca "$C" && tls_cert "$C" srv IP:127.0.0.1 || exit 1
fake_start tls --markets 50 --tls "$C/srv.pem" "$C/srv.key"
TLS_URL=$FAKE_URL
# Markets close on each of the next 15 days (20 a day), as a user's do:
# the daily run (target: a week from today) and the examples' runs (next
# Friday, two weeks from today) find markets, and the data the status
# examples measure is fresh.  The default spread, 300 over 425 days, left
# the target day with none or one, by the time of day.
fake_start pm --markets 300 --events 5 --spread-days 15

# pm-schema(5)'s pandas recipe wants Debian's python3-pandas
# (tools/install-deps.sh): where another python3 comes first on PATH (a
# pyenv shim), Debian's is put before it.
if ! python3 -c "import pandas" 2>/dev/null &&
    /usr/bin/python3 -c "import pandas" 2>/dev/null; then
	mkdir -p "$TMP/py" && ln -s /usr/bin/python3 "$TMP/py/python3" &&
	PATH=$TMP/py:$PATH
fi

# The replay examples write /tmp/check.db, as a user would: none from
# before (another run, older code) may be there, none is left behind,
# nor its WAL files or the replay flow's lock file beside it.
check_db_rm() { rm -f /tmp/check.db /tmp/check.db-wal /tmp/check.db-shm /tmp/check.db.*.lock; }
check_db_rm

# The scratch directory: what the examples read, as a user would have it.
W=$TMP/world
mkdir -p "$W/out" && cd "$W" || exit 1
# shellcheck disable=SC2015 # the || catches a failure anywhere in the chain
ln -s "$TESTS_DIR" tests && ln -s "$TOP/pipelines.sh" pipelines.sh &&
cp -r "$TOP/examples" examples &&
jq --arg u "$llm" '.suites |= map(if .defaults.type == "openai" or
	(.defaults.type == null and .id == "openai-search")
	then .defaults.base_url = $u + "/v1"
	elif .defaults.type == "gemini" then .defaults.base_url = $u + "/v1beta"
	else . end)' "$TOP/examples/experiments.json" >examples/experiments.json &&
pm-fetch markets --limit 40 >raw.ndjson &&
jq -cs '[.[] | select(.kind == "raw") | .payload]' raw.ndjson >markets.json &&
pm-normalize raw.ndjson |
	jq -c "select(.kind != \"market\" or all(.contracts[]; .price != null))" >markets.ndjson &&
pm-fetch events --limit 5 | pm-normalize >events.ndjson &&
pm-group markets.ndjson >groups.ndjson &&
./pipelines.sh daily --env-file /dev/null >setup.log 2>&1 &&
./pipelines.sh prices --env-file /dev/null --limit 50 >>setup.log 2>&1 &&
pm-summary --status >>setup.log 2>&1 &&
cp dumps/*.ndjson dump.ndjson &&
cp dump.ndjson dumps/20261122T070000Z-daily-4f2a.ndjson &&
cp dump.ndjson dumps/RUN_ID.ndjson ||
	{ cat setup.log; exit 1; }
cd "$TMP" || exit 1

pg=''
# example N: run ex/N.sh in a copy of the scratch directory as its tags
# say; its output in N.out and N.err, its exit status checked
example() {
	local n=$1 cmd want=0 tag arg d=$TMP/run-$1 pgid
	cmd=$(cat "$TMP/ex/$n.sh")
	rm -rf "$d" && cp -a "$W" "$d" || return 1
	while read -r tag arg; do
		case $tag in
		pg)
			pg_ready || return 1
			[ -n "$pg" ] || pg=$(pg_newdb examples) || return 1
			pm-store --db "$pg" <"$W/dump.ndjson" >/dev/null || return 1
			cmd=${cmd//"$arg"/"$pg"} ;;
		ch)
			[ -n "$CH_HTTP" ] || { say "$n: no ClickHouse server: $CH_ERR"; return 1; }
			ch_query "CREATE DATABASE IF NOT EXISTS ex${n//[^A-Za-z0-9]/_}" || return 1
			cmd=${cmd//"$arg"/"clickhouse://${CH_HTTP#http://}/ex${n//[^A-Za-z0-9]/_}"} ;;
		tls)
			cmd="PM_GAMMA_URL=$TLS_URL PM_CLOB_URL=$TLS_URL ${cmd//"$arg"/"$C/ca.pem"}" ;;
		cron) cmd=$(printf '%s\n' "$cmd" | sed -E 's/^([^ ]+ +){5}//') ;;
		make) cmd=${cmd#make && } ;;
		dry) cmd=$(printf '%s\n' "$cmd" | sed -E \
		    -e "s#^tools/install-deps.sh( |\$)#sh '$TOP/tools/install-deps.sh' --list >/dev/null\\1#" \
		    -e "s#(^|&& )make( |\$)#\\1make -s -n -C '$TOP' >/dev/null\\2#") ;;
		status) want=$arg ;;
		text) printf '%s\n' "$cmd" | grep -q . || return 1; return 0 ;;
		*) say "$n: unknown tag: $tag"; return 1 ;;
		esac
	done <"$TMP/ex/$n.tags"
	printf '%s\n' "$cmd" >"$d/.example.sh"
	# Its own session, so a server the example leaves behind is ended.
	status=0
	(cd "$d" && exec setsid bash -c 'echo $$ >.pgid; exec bash -e -o pipefail .example.sh') \
	    >"$TMP/$n.out" 2>"$TMP/$n.err" || status=$?
	# shellcheck disable=SC2015 # no group id or no group left: both fine
	pgid=$(cat "$d/.pgid" 2>/dev/null) && kill -- "-$pgid" 2>/dev/null || :
	if grep -q -e AddressSanitizer -e 'runtime error:' "$TMP/$n.err" ||
	    [ "$status" != "$want" ]; then
		say "$(cat "$TMP/ex/$n.where"): exit $status, not $want:"
		sed 's/^/| /' "$TMP/ex/$n.sh"
		tail -n 15 "$TMP/$n.err" | sed 's/^/| stderr: /'
		return 1
	fi
}

PG_URL=
if cat ex/*.tags | grep -q '^pg '; then
	pg_start
	trap 'fake_stop_all; pg_stop; rm -rf "$TMP"' EXIT
fi
# a ClickHouse server for the examples that name one, each example a
# database of its own on it
if cat ex/*.tags | grep -q '^ch '; then
	ch_start examples || say "$CH_ERR"
fi
for f in ex/*.sh; do
	n=${f#ex/}
	n=${n%.sh}
	test_expect_success "$(cat "$TMP/ex/$n.where") runs" "example $n"
done

test_expect_success 'every man page with an EXAMPLES section gave examples' '
	for p in "$TOP"/man/*.[157]; do
		grep -q "^\.Sh EXAMPLES" "$p" || continue
		ls "$TMP/ex" | grep -q "^${p##*/}-" || { say "none from $p"; exit 1; }
	done &&
	test "$(ls "$TMP"/ex/one-liners.sh-*.sh | wc -l)" -ge 8
'

test_expect_success 'the prices example: each market once, its prices after it' '
	n=$(grep -l "pm-fetch prices" "$TMP"/ex/pm-fetch.1-*.sh) && n=${n##*/} &&
	f=$TMP/run-${n%.sh}/prices.ndjson && test -s "$f" &&
	jq -r "select(.kind == \"market\") | .market_id" "$f" | sort | uniq -d >dup &&
	test_line_count dup 0 && test_count price "$f" -gt 0
'

check_db_rm
test_done
