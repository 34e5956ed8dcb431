#!/bin/bash
# pm-fetch, pm-normalize and pm-store behind a server whose answers are
# broken on purpose (fake-polymarket.py --mutate): values of other types,
# NaN, numbers past every range, lone surrogates, nesting past any
# parser's depth, keys gone, bytes flipped or cut.  Whatever comes, every
# program exits 0 or 1, nothing trips a sanitizer, and every line each
# one writes is JSON that the next stage can read.  PM_HOSTILE_SEEDS=N
# runs more seeds than the suite's (a sweep by hand).  And one answer
# such a server really sends: a string cut inside a character, its lone
# UTF-16 surrogate made U+FFFD, not the page lost.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
. "$TESTS_DIR/hostile.sh"

SEEDS=${PM_HOSTILE_SEEDS:-12}
FAST="--backoff 5 --attempts 2 --rate markets=100000/10 --rate events=100000/10"

# the recorded markets, the first of each file's question ending in half
# an emoji (a high surrogate alone)
cp -R "$FIXTURES" "$TMP/cut"
python3 - "$TMP/cut" <<'PY'
import json, os, sys
for name in ("gamma-markets-Alex-Alaniz-2.json", "gamma-markets-bobaoxu2001-1.json",
             "gamma-markets-ra1nty-1.json"):
    p = os.path.join(sys.argv[1], name)
    rows = json.load(open(p, encoding="utf-8"))
    rows[0]["question"] += "\ud83d"
    json.dump(rows, open(p, "w", encoding="utf-8"))
PY

test_expect_success 'a string cut inside a character: U+FFFD and a message, no market lost' '
	fake_start whole --no-gzip &&
	pm-fetch markets --closed any --rate markets=100000/10 >whole.ndjson 2>/dev/null &&
	fake_start cut --fixtures "$TMP/cut" --no-gzip &&
	run pm-fetch markets --closed any --rate markets=100000/10 && expect_status 0 &&
	test_count raw out "$(grep -c "^{\"kind\":\"raw\"" whole.ndjson)" &&
	# one message a page, with the URL and how many (a listing read
	# from both ends may read a page twice)
	n=$(sed -n "s|^pm-fetch: http://127.0.0.1:$FAKE_PORT/[^ ]*: \([0-9]*\) lone UTF-16 surrogates\{0,1\} replaced by U+FFFD$|\1|p" err |
		awk "{ s += \$1 } END { print s + 0 }") && test_num "$n" -ge 3 &&
	pm-normalize out | jq -r "select(.kind==\"market\") | .question" |
		grep -c "�$" | test_grep -x 3
'

fake_start hostile --markets 60 --group-size 3 --trades 30
pm-fetch markets --closed any --rate markets=100000/10 2>/dev/null |
    pm-normalize -R | head -n 30 >"$TMP/markets.ndjson"

test_expect_success 'the market records to start from' '
	test_count market "$TMP/markets.ndjson" 30
'

test_expect_success "$SEEDS hostile servers: every stage exits 0 or 1, writes JSON, trips no sanitizer" '
	: >failures &&
	for seed in $(seq "$SEEDS"); do
		fake_control "{\"mutate\":\"$seed\"}" >/dev/null &&
		# shellcheck disable=SC2086
		stage markets pm-fetch markets --closed any --partitions 2 $FAST &&
		# shellcheck disable=SC2086
		stage events pm-fetch events --closed any $FAST &&
		stage prices pm-fetch prices --backoff 5 --attempts 2 "$TMP/markets.ndjson" &&
		stage book pm-fetch prices --endpoint book --backoff 5 --attempts 2 "$TMP/markets.ndjson" &&
		stage history pm-fetch history --backoff 5 --attempts 2 "$TMP/markets.ndjson" &&
		stage trades pm-fetch trades --taker-only false --backoff 5 --attempts 2 \
			"$TMP/markets.ndjson" &&
		cat markets.out events.out prices.out book.out history.out trades.out >all.ndjson &&
		stage norm pm-normalize all.ndjson &&
		stage store pm-store --db "hostile-$seed.db" norm.out &&
		grep -h "^{\"kind\":\"failure\"" all.ndjson >>failures ||
		{ echo "seed $seed" >&2; return 1; }
	done &&
	# the servers were hostile, and the good records still went through
	test_line_count failures -gt "$SEEDS" &&
	test_num "$(sqlite3 "hostile-$SEEDS.db" "SELECT count(*) FROM markets")" -gt 0
'
test_done
