#!/bin/bash
# bench/programs.sh - each program alone, on BENCH_N markets and on a
# quarter of that: throughput, and peak RSS at two sizes, which must not
# grow for the streaming programs (pm-normalize, pm-store, pm-experiment);
# pm-group holds its groups, so it grows with the grouped data only.
set -eu
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pm-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

for n in $((N / 4)) "$N"; do
	data=$(markets_data "$n")
	"$BIN/pm-normalize" <"$data" >"$TMP/norm"
	"$BIN/pm-group" <"$TMP/norm" >"$TMP/groups"
	measure "pm-normalize N=$n" pm-normalize 1 "$(wc -c <"$data")" "$n" \
	    "$BIN/pm-normalize <'$data' >/dev/null"
	rm -f "$TMP"/p.db*
	measure "pm-store sqlite N=$n" pm-store 1 "$(wc -c <"$TMP/norm")" \
	    "$(wc -l <"$TMP/norm")" \
	    "$BIN/pm-store --db $TMP/p.db <'$TMP/norm' >/dev/null 2>&1"
	measure "pm-store again N=$n" "pm-store (unchanged)" 1 \
	    "$(wc -c <"$TMP/norm")" "$(wc -l <"$TMP/norm")" \
	    "$BIN/pm-store --db $TMP/p.db <'$TMP/norm' >/dev/null 2>&1"
	measure "pm-group N=$n" pm-group 1 "$(wc -c <"$TMP/norm")" \
	    "$(wc -l <"$TMP/norm")" "$BIN/pm-group <'$TMP/norm' >/dev/null"
	# exit 1: some cloned events' markets are all closed, so the builtin
	# forecast has nothing to say about them; that is reported, not a fault
	measure "pm-experiment N=$n" "pm-experiment builtin" 1 \
	    "$(wc -c <"$TMP/groups")" "$(wc -l <"$TMP/groups")" \
	    "$BIN/pm-experiment <'$TMP/groups' >/dev/null 2>&1; [ \$? -le 1 ]"
done

# pm-summary over N distinct failure reasons and N distinct suites, at two
# sizes: the time must grow with N, not with N squared (it once did).
for n in $((N / 4)) "$N"; do
	awk -v n="$n" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "{\"kind\":\"failure\",\"stage\":\"store\",\"reason\":\"r%d\",\"retriable\":false,\"detail\":\"x\"}\n", i
		for (i = 0; i < n; i++)
			printf "{\"kind\":\"group\",\"event_key\":\"e%d\",\"markets\":[],\"results\":[{\"suite\":\"s%d\",\"stage\":\"forecast\",\"variant\":\"v\",\"status\":\"ok\"}]}\n", i, i
	}' >"$TMP/reasons"
	measure "pm-summary reasons N=$n" "pm-summary (distinct reasons)" 1 \
	    "$(wc -c <"$TMP/reasons")" "$(wc -l <"$TMP/reasons")" \
	    "$BIN/pm-summary -q --json $TMP/s.json <'$TMP/reasons' >/dev/null"
done
