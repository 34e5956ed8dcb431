#!/bin/bash
# tests/valgrind.sh [PATTERN ...] - the test suite with every pm-* program
# under valgrind (make valgrind [T='t04*']).
#
# $PM_BIN holds the release binaries (make all: -O2 -g, no sanitizers,
# which valgrind cannot run under).  In $VG_DIR/wrap this writes one
# script per program, named like it, that execs valgrind on the real
# binary: the same process (kill and wait by pid still work), one log per
# run in $VG_DIR/logs/PID.NAME.vg.  With PM_BIN pointing at the wrappers,
# lib.sh puts them first on PATH and pipelines.sh calls "$PM_BIN/pm-*",
# so every program a test starts, directly or through a flow, is checked.
#
# First the old quick check (one small real pipeline on SQLite, plus
# pm-fetch --help), then tests/run.sh with the patterns.  The suite's own
# "N passed, N failed" is printed but is not the verdict: under valgrind
# some timing-bound cases may fail.  The verdict is valgrind's: with -q a
# log says something only when valgrind found an error (invalid access,
# uninitialised value, definite leak...).  Exit 1 when any log is
# non-empty, else 0.  Suppressions: tests/valgrind.supp, third-party
# libraries only.
set -u
TESTS_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$TESTS_DIR/.." && pwd)
REAL=${PM_BIN:-$TOP/bin}
REAL=$(cd "$REAL" && pwd) || exit 2
VG_DIR=${VG_DIR:-$TOP/build/valgrind}
PROGRAMS="pm-fetch pm-normalize pm-group pm-experiment pm-store pm-summary"
command -v valgrind >/dev/null || { echo "valgrind: not installed" >&2; exit 2; }

rm -rf "$VG_DIR/wrap" "$VG_DIR/logs"
mkdir -p "$VG_DIR/wrap" "$VG_DIR/logs" || exit 2
LOGS=$(cd "$VG_DIR/logs" && pwd)
WRAP=$(cd "$VG_DIR/wrap" && pwd)
SUPP=
[ -s "$TESTS_DIR/valgrind.supp" ] && SUPP="--suppressions=$TESTS_DIR/valgrind.supp"
for p in $PROGRAMS; do
	[ -x "$REAL/$p" ] || { echo "valgrind: no $REAL/$p (make all)" >&2; exit 2; }
	# --child-silent-after-fork: a posix_spawn child (pm-experiment's
	# command) would otherwise write into the parent's log until exec.
	# valgrind finds the program on PATH, so that its argv[0] is the bare
	# name, as when a test runs it by name (getopt's messages show it).
	cat >"$WRAP/$p" <<-EOF
	#!/bin/sh
	PATH='$REAL':\$PATH exec valgrind -q --error-exitcode=99 \\
	    --leak-check=full --errors-for-leak-kinds=definite \\
	    --trace-children=no --child-silent-after-fork=yes $SUPP \\
	    --log-file='$LOGS/%p.$p.vg' $p "\$@"
	EOF
	chmod +x "$WRAP/$p"
done

# The quick check: a small real pipeline, recorded fixtures, SQLite.
quick() (
	FIXTURES=${FIXTURES:-$TESTS_DIR/fixtures}
	d=$(mktemp -d "${TMPDIR:-/tmp}/pm-vg.XXXXXX") && cd "$d" || exit 1
	trap 'rm -rf "$d"' EXIT
	W=$WRAP
	jq -c ".[]" "$FIXTURES"/gamma-events-bobaoxu2001-1.json >in.ndjson &&
	"$W/pm-normalize" in.ndjson >norm &&
	"$W/pm-group" norm >groups &&
	"$W/pm-store" --db v.db --new-only groups >new &&
	"$W/pm-experiment" new >exp &&
	"$W/pm-store" --db v.db exp >stored &&
	"$W/pm-summary" stored >/dev/null &&
	"$W/pm-summary" --status --db v.db >/dev/null &&
	"$W/pm-fetch" --help >/dev/null
) 2>/dev/null
if quick; then echo "valgrind: quick pipeline: done"
else echo "valgrind: quick pipeline: a stage failed (see the logs below)"; fi

# The suite, every program through the wrappers.
PM_BIN=$WRAP bash "$TESTS_DIR/run.sh" "$@"
suite=$?

runs=$(find "$LOGS" -name '*.vg' | wc -l)
bad=$(find "$LOGS" -name '*.vg' -size +0 | sort)
nbad=$(printf '%s' "$bad" | grep -c . || true)
echo "valgrind: suite exit $suite; $runs program runs checked, $nbad with errors (logs in $LOGS)"
for f in $bad; do
	echo "valgrind: ${f##*/}:"
	sed 's/^/  /' "$f" | head -25
done
[ "$nbad" -eq 0 ]
