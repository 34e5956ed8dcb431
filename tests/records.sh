# shellcheck shell=bash
# tests/records.sh - builders of pm-records(5) lines for the test cases,
# sourced by lib.sh.  Each prints one compact record (one line).
#
#   rec_market ID [FIELD...]    {kind:"market", source:"polymarket",
#                               market_id:ID, question:"Q"+ID}, then each
#                               FIELD in turn:
#                                 KEY=TEXT    KEY set to the string TEXT
#                                 KEY:=JSON   KEY set to the JSON value
#                                 -KEY        KEY removed
#                               (a new KEY goes last, a KEY already there
#                               keeps its place: the bytes are jq's)
#   rec_group KEY EVENT MARKET...   {kind:"group", event_key:KEY,
#                               event:EVENT (JSON), markets:[MARKET...]}
#   rec_run_start RUN_ID FLOW   a run start record of 2026-11-23
#   rec_raw SOURCE ENDPOINT REQUEST PAYLOAD [SHA256]
#                               a raw record as pm-fetch writes it, the
#                               payload's bytes as given; the sha256 of
#                               those bytes unless SHA256 is given
#   rec_yes_no TOKEN_YES PRICE_YES TOKEN_NO PRICE_NO
#                               a Yes/No contracts array (JSON)
#   rec_result VARIANT PROBABILITIES   an ok result of builtin variant
#                               VARIANT in suite s, stage forecast
#   rec_price TOKEN SIDE PRICE TS [FETCHED_AT]
#                               a price record of market m1, outcome Yes
#                               (no fetched_at when FETCHED_AT is empty)

# rec_apply BASE [FIELD...]: rec_args and rec_prog, BASE with the FIELDs
rec_apply() {
	local base=$1 i=0 f prog
	shift
	prog=$base
	rec_args=()
	for f; do
		case $f in
		-*) rec_args+=(--arg "k$i" "${f#-}")
		    prog="$prog | del(.[\$k$i])" ;;
		*:=*) rec_args+=(--arg "k$i" "${f%%:=*}" --argjson "v$i" "${f#*:=}")
		    prog="$prog | .[\$k$i] = \$v$i" ;;
		*=*) rec_args+=(--arg "k$i" "${f%%=*}" --arg "v$i" "${f#*=}")
		    prog="$prog | .[\$k$i] = \$v$i" ;;
		*) echo "records.sh: bad field: $f" >&2; return 1 ;;
		esac
		i=$((i + 1))
	done
	rec_prog=$prog
}

rec_market() {
	local id=$1 rec_args rec_prog
	shift
	rec_apply '{kind:"market", source:"polymarket", market_id:$id,
		question:("Q" + $id)}' "$@" || return 1
	jq -cn --arg id "$id" "${rec_args[@]}" "$rec_prog"
}

rec_group() {
	local key=$1 event=$2 markets
	shift 2
	markets=$(IFS=,; printf '[%s]' "$*")
	jq -cn --arg k "$key" --argjson e "$event" --argjson m "$markets" \
		'{kind:"group", event_key:$k, event:$e, markets:$m}'
}

rec_run_start() {
	jq -cn --arg id "$1" --arg f "$2" '{kind:"run", phase:"start", run_id:$id,
		flow:$f, run_date:"2026-11-23", target_date:null, window_days:null,
		started_at:"2026-11-23T07:00:00Z", git_sha:"abc", environment:"test",
		options:{}}'
}

rec_raw() {
	local sha=${5:-}
	[ -n "$sha" ] || sha=$(printf '%s' "$4" | sha256sum | cut -d' ' -f1)
	printf '{"kind":"raw","source":"%s","endpoint":"%s","url":"http://127.0.0.1/x","fetched_at":"2026-08-22T15:21:00.123Z","sha256":"%s","request":%s,"payload":%s}\n' \
		"$1" "$2" "$sha" "$3" "$4"
}

# rec_fetched TIME ENDPOINT PAYLOAD [SOURCE]: a raw record of SOURCE
# (gamma) fetched at TIME, or without fetched_at when TIME is empty
rec_fetched() {
	if [ -n "$1" ]; then
		rec_raw "${4:-gamma}" "$2" '{"limit":"500"}' "$3" |
			sed "s/2026-08-22T15:21:00.123Z/$1/"
	else
		rec_raw "${4:-gamma}" "$2" '{"limit":"500"}' "$3" |
			sed "s/\"fetched_at\":\"2026-08-22T15:21:00.123Z\",//"
	fi
}

rec_yes_no() {
	printf '[{"outcome":"Yes","token_id":"%s","price":%s},{"outcome":"No","token_id":"%s","price":%s}]' \
		"$1" "$2" "$3" "$4"
}

rec_price() {
	jq -cn --arg t "$1" --arg s "$2" --argjson p "$3" --arg ts "$4" --arg f "${5:-}" \
	    '{kind:"price", source:"polymarket", token_id:$t, market_id:"m1",
	      outcome:"Yes", side:$s, price:$p, ts:$ts, raw_sha256:("r" + $t + ($p|tostring))}
	     + if $f == "" then {} else {fetched_at:$f} end'
}

rec_result() {
	jq -cn --arg v "$1" --argjson p "$2" '{experiment_id:("s:forecast:" + $v),
		suite:"s", stage:"forecast", variant:$v, type:"builtin", status:"ok",
		output:null, probabilities:$p, started_at:"2026-11-23T07:00:00Z",
		finished_at:"2026-11-23T07:00:01Z", latency_ms:5, error:null}'
}

# rec_old_results: two records of event E: market a with a result of
# variant v (fingerprint, market_ids), then markets b and c with one of
# variant o as a build before schema 3 wrote it (neither)
rec_old_results() {
	local p='{"Yes":0.5,"No":0.5}'
	rec_group E null "$(rec_market a)" |
	    jq -c --argjson r "$(rec_result v "{\"a\":$p}")" \
	    '.results = [$r + {fingerprint: "f", market_ids: ["a"]}]'
	rec_group E null "$(rec_market b)" "$(rec_market c)" |
	    jq -c --argjson r "$(rec_result o "{\"b\":$p,\"c\":$p}")" \
	    '.results = [$r]'
}

# gamma_market ID EVENT CLOSED STATUS PYES PNO: a raw Gamma market object,
# closed or not, its umaResolutionStatus (none when ""), its two prices
gamma_market() {
	jq -cn --arg id "$1" --arg e "$2" --argjson closed "$3" --arg st "$4" \
	    --arg y "$5" --arg n "$6" '{id: $id, question: "q \($id)",
	    conditionId: "0xc\($id)", outcomes: "[\"Yes\", \"No\"]",
	    outcomePrices: "[\"\($y)\", \"\($n)\"]",
	    clobTokenIds: "[\"\($id)1\", \"\($id)2\"]", closed: $closed,
	    active: ($closed | not), endDate: "2026-11-24T00:00:00Z",
	    closedTime: "2026-11-25 10:00:00+00", volume24hr: 12.5,
	    volume1wk: "80.25", spread: 0.01, oneDayPriceChange: -0.02,
	    events: [{id: $e}]} + (if $st == "" then {} else
	    {umaResolutionStatus: $st} end)'
}
