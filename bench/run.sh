#!/bin/bash
# bench/run.sh - every benchmark in bench/, one after the other (make bench).
# BENCH_N shrinks the data for a quick run.
set -eu
cd "$(dirname "$0")"
for b in normalize.sh fetch.sh store.sh; do
	[ -f "$b" ] || continue
	echo "== $b"
	bash "$b"
done
