#!/bin/bash
# tests/fuzz/run.sh - the long fuzz run (`make fuzz`): each target in turn,
# RUNS executions from its committed corpus (tests/fuzz/corpus/TARGET),
# new inputs kept in OUT/corpus/TARGET.  One log per target in OUT/logs,
# one summary line per target in OUT/summary.txt (executions, seconds,
# crashes).  A crash ends that target's run, with the input in
# OUT/artifacts/TARGET/; the next target still runs, and the exit status
# is then 1.
#
# Usage: tests/fuzz/run.sh OUT RUNS MAX_LEN TARGET...
#
# The committed corpus is kept small: after a long run, merge it down to
# the inputs that add coverage and commit that, e.g. for fuzz-store:
#   mkdir new && build/fuzz/fuzz-store -merge=1 -max_len=4096 \
#       -close_fd_mask=3 new tests/fuzz/corpus/fuzz-store \
#       build/fuzz/corpus/fuzz-store  [seeds from tests/fuzz/seeds.sh]
set -u
out=$1 runs=$2 maxlen=$3
shift 3
top=$(cd "$(dirname "$0")/../.." && pwd)
summary=$out/summary.txt
rc=0

mkdir -p "$out/logs"
: >"$summary"
for t in "$@"; do
	log=$out/logs/$t.log art=$out/artifacts/$t corpus=$out/corpus/$t
	mkdir -p "$art" "$corpus"
	echo "== $t: $runs runs, log in $log"
	start=$(date +%s)
	"$out/$t" -runs="$runs" -max_len="$maxlen" -timeout=60 \
	    -close_fd_mask=3 -print_final_stats=1 -artifact_prefix="$art/" \
	    "$corpus" "$top/tests/fuzz/corpus/$t" >"$log" 2>&1
	status=$?
	secs=$(($(date +%s) - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	# a crash stops before the final stats: the last status line
	[ -n "$execs" ] ||
		execs=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$log" | tail -1)
	crashes=0 what=
	if [ "$status" -ne 0 ]; then
		crashes=1 rc=1
		what=$(sed -n 's/.*Test unit written to //p' "$log" | tail -1)
		what=" ${what:-(exit $status, see the log)}"
	fi
	line="$t: ${execs:-0} executions, $secs s, $crashes crashes$what"
	echo "$line" | tee -a "$summary"
done
exit $rc
