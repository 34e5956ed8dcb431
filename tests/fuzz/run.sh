#!/bin/bash
# tests/fuzz/run.sh - the long fuzz run (`make fuzz`): each target in turn,
# RUNS executions from its committed corpus (tests/fuzz/corpus/TARGET),
# new inputs kept in OUT/corpus/TARGET.  One log per target in OUT/logs,
# one summary line per target in OUT/summary.txt (executions, seconds,
# crashes).  A crash ends that target's run, with the input in
# OUT/artifacts/TARGET/; the next target still runs, and the exit status
# is then 1.
#
# FUZZ_JOBS=N (default 1) runs N libFuzzer processes per target, one a
# core, sharing its corpus: each does RUNS/N executions (rounded up), one
# log each in OUT/logs/TARGET/, and the summary gives their sum.
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
jobs=${FUZZ_JOBS:-1}
out=$(cd "$out" && pwd)

# execs LOG...: executions, summed; a crashed process stops before its
# final stats, so its last status line counts instead
execs() {
	local f n sum=0
	for f in "$@"; do
		n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$f")
		[ -n "$n" ] || n=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$f" | tail -1)
		sum=$((sum + ${n:-0}))
	done
	echo "$sum"
}

for t in "$@"; do
	art=$out/artifacts/$t corpus=$out/corpus/$t
	mkdir -p "$art" "$corpus"
	args=(-max_len="$maxlen" -timeout=60 -close_fd_mask=3
	    -print_final_stats=1 -artifact_prefix="$art/"
	    "$corpus" "$top/tests/fuzz/corpus/$t")
	start=$(date +%s)
	if [ "$jobs" -gt 1 ]; then
		log=$out/logs/$t
		rm -rf "$log" && mkdir -p "$log"
		echo "== $t: $runs runs in $jobs processes, logs in $log/"
		(cd "$log" && "$out/$t" -jobs="$jobs" -workers="$jobs" \
		    -runs=$(((runs + jobs - 1) / jobs)) "${args[@]}" >driver.log 2>&1)
		status=$?
		logs=("$log"/fuzz-*.log)
	else
		log=$out/logs/$t.log
		echo "== $t: $runs runs, log in $log"
		"$out/$t" -runs="$runs" "${args[@]}" >"$log" 2>&1
		status=$?
		logs=("$log")
	fi
	secs=$(($(date +%s) - start))
	crashes=0 what=
	if [ "$status" -ne 0 ]; then
		crashes=1 rc=1
		what=$(sed -n 's/.*Test unit written to //p' "${logs[@]}" | tail -1)
		what=" ${what:-(exit $status, see the log)}"
	fi
	line="$t: $(execs "${logs[@]}") executions, $secs s, $crashes crashes$what"
	echo "$line" | tee -a "$summary"
done
exit $rc
