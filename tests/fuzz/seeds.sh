#!/bin/bash
# tests/fuzz/seeds.sh - the seed corpora of the fuzz targets, made from the
# recorded fixtures by the real tools: slices of one to three records of
# each stream, so each seed runs fast (the fuzzer splices them together).
# tests/fuzz/run.sh says how they are merged into tests/fuzz/corpus.
# Usage: tests/fuzz/seeds.sh BINDIR OUTDIR; OUTDIR gets one directory per
# target (fuzz-group, fuzz-store, fuzz-ndjson, fuzz-llm).
set -eu -o pipefail
bin=$1 out=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
fx=$top/tests/fixtures
tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT

for f in "$fx"/gamma-markets-*.json "$fx"/gamma-events-*.json; do
	case $f in *keyset*) jq -c '.markets[]' "$f" ;; *) jq -c '.[]' "$f" ;; esac
done | "$bin/pm-normalize" -R 2>/dev/null >"$tmp/norm" || true
for ep in book last-trade-price midpoint prices-history; do
	jq -c --arg ep "$ep" '{kind:"raw", source:"clob", endpoint:$ep,
	    url:("https://clob.example/" + $ep), fetched_at:"2026-01-01T00:00:00.000Z",
	    request:{token_id:"94242206871221370391055736153305071391564432448684801902267396130896523340261",
	      side:"BUY", market_id:"1", outcome:"Yes"}, payload:.}' \
	    "$fx/clob-$ep-ra1nty-1.json"
done >"$tmp/raw"
"$bin/pm-normalize" -R <"$tmp/raw" 2>/dev/null >"$tmp/prices" || true
"$bin/pm-group" <"$tmp/norm" 2>/dev/null >"$tmp/groups" || true
head -1 "$top/tests/fixtures-store/run.ndjson" >"$tmp/run"

# slice FILE PREFIX DIR N: N-line slices of FILE, each behind PREFIX
slice() {
	mkdir -p "$3"
	split -l "$4" -d -a 3 "$1" "$tmp/s."
	for s in "$tmp"/s.*; do
		{ cat "$2"; cat "$s"; } >"$3/$(basename "$1")-${s##*.}"
		rm -f "$s"
	done
}
: >"$tmp/none"
slice "$tmp/norm" "$tmp/none" "$out/fuzz-group" 3
cp "$top/tests/fixtures-store/run.ndjson" "$out/fuzz-group/run"
slice "$tmp/norm" "$tmp/run" "$out/fuzz-store" 2
slice "$tmp/groups" "$tmp/run" "$out/fuzz-store" 1
slice "$tmp/raw" "$tmp/run" "$out/fuzz-store" 1
slice "$tmp/prices" "$tmp/run" "$out/fuzz-store" 2
cp "$top/tests/fixtures-store/run.ndjson" "$out/fuzz-store/run"
# the input loop: the first byte picks the line cap (see fuzz-ndjson.c)
mkdir -p "$out/fuzz-ndjson"
i=0
for f in "$out"/fuzz-store/*; do
	# shellcheck disable=SC2059
	printf "\\$(printf %03o $((i % 7)))" | cat - "$f" >"$out/fuzz-ndjson/s$i"
	i=$((i + 1))
done
printf '\006{"a":1}\n\n \r\n[1]\n{"kind":2}\n{"kind":"x"}' >"$out/fuzz-ndjson/mixed"
# the answer readers: the first byte picks the variant (see fuzz-llm.c),
# 0-2 research by chat, Responses and Gemini, 3-5 their forecasts; the
# recorded answers, and a forecast in each API's shape
mkdir -p "$out/fuzz-llm"
llm() {
	# shellcheck disable=SC2059
	printf "\\$(printf %03o "$1")" | cat - "$2" >"$out/fuzz-llm/$3"
}
for f in "$fx"/llm/openai-chat-*.json "$fx"/llm/openai-responses-*.json \
    "$fx"/llm/gemini-*.json; do
	jq -c . "$f" >"$tmp/answer"
	case $f in *chat*) k=0 ;; *responses*) k=1 ;; *) k=2 ;; esac
	llm "$k" "$tmp/answer" "$(basename "$f" .json)"
done
p='{"probabilities":{"m1":{"Yes":0.6,"No":0.4},"m2":{"A":0.2,"B":0.3,"C":0.5}}}'
jq -cn --arg p "$p" '{choices: [{index: 0, message: {role: "assistant",
    content: ("Here:\n```json\n" + $p + "\n```")}}], usage: {total_tokens: 15}}' >"$tmp/f"
llm 3 "$tmp/f" forecast-chat
jq -cn --arg p "$p" '{output: [{type: "message", content: [{type: "output_text",
    annotations: [], text: $p}]}], usage: {total_tokens: 15}}' >"$tmp/f"
llm 4 "$tmp/f" forecast-responses
jq -cn --arg p "$p" '{candidates: [{content: {parts: [{text: $p}]}}],
    usageMetadata: {totalTokenCount: 15}}' >"$tmp/f"
llm 5 "$tmp/f" forecast-gemini
