#!/bin/bash
# tests/midnight.sh [PATTERN ...] - the test suite with the clock crossing
# UTC midnight a few seconds into every test script (make midnight
# [T='t07*'] [MIDNIGHT_AT=5] [MIDNIGHT_DAY=2027-01-01]).  Cases that
# pass at noon and fail when a run starts on one day and its rerun,
# check or replay lands on the next are flakes that the suite's own run
# meets about once a year; this meets them every time.
#
# tests/run.sh runs each script under a wrapper (PM_TEST_WRAP) that
# preloads libfaketime with the clock moved forward so that midnight
# comes MIDNIGHT_AT seconds (default 5) after the script starts.  The
# offset ("+Ns") is one for every process of the script, so their clocks
# agree; the monotonic clock is left alone (timeouts keep their length).
# MIDNIGHT_DAY picks the midnight: the start of that UTC day (a year's
# or a month's end, a leap day's) instead of the next one.  File times
# stay real (libfaketime 0.9.10 does not move what statx(2) gives), so a
# day more than 30 days off makes the files a test writes look that old:
# t0019's crontab then prunes its logs (--keep-days 30) and fails.  The
# script says so when asked for such a day.
# Two things do not run under libfaketime 0.9.10, and are worked around
# here, not in the suite:
#   - Python's time.sleep() fails with EINVAL (clock_nanosleep with an
#     absolute time): a sitecustomize on PYTHONPATH makes it a select();
#   - clickhouse-server 18.16 does not start ("recursive calls to
#     clock_gettime()"): tests/ch.sh starts it on the real clock.
# $PM_BIN holds the programs: the release build (make all), as for make
# valgrind; ASan objects to a library preloaded before it.
# Prints the suite's "N passed, N failed"; exit 1 when a case failed.
set -u
TESTS_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$TESTS_DIR/.." && pwd)
at=${MIDNIGHT_AT:-5}
[[ $at =~ ^[0-9]{1,5}$ ]] || { echo "midnight: MIDNIGHT_AT: not a number of seconds: $at" >&2; exit 2; }
day=${MIDNIGHT_DAY:-}
if [ -n "$day" ] && ! { [[ $day =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] &&
    midnight=$(date -u -d "$day" +%s 2>/dev/null) &&
    [ "$(date -u -d "@$midnight" +%F)" = "$day" ]; }; then
	echo "midnight: MIDNIGHT_DAY: not a day (YYYY-MM-DD): $day" >&2
	exit 2
fi
if [ -n "$day" ] && [ $((midnight - $(date +%s))) -gt $((30 * 86400)) ]; then
	echo "midnight: $day is over 30 days away: files written now will look that old (t0019 fails)" >&2
fi
LIBFT=
for l in /usr/lib/*/faketime/libfaketimeMT.so.1 /usr/lib/faketime/libfaketimeMT.so.1; do
	[ -r "$l" ] && LIBFT=$l && break
done
[ -n "$LIBFT" ] || {
	echo "midnight: libfaketime not installed (apt-get install faketime)" >&2
	exit 2
}
export PM_BIN=${PM_BIN:-$TOP/bin}
[ -x "$PM_BIN/pm-store" ] || { echo "midnight: no $PM_BIN/pm-store (make all)" >&2; exit 2; }
SHIM=$(mktemp -d "${TMPDIR:-/tmp}/pm-midnight.XXXXXX") || exit 2
trap 'rm -rf "$SHIM"' EXIT
cat >"$SHIM/sitecustomize.py" <<'EOF'
import select
import time


def _sleep(seconds):
    if seconds > 0:
        select.select([], [], [], seconds)


time.sleep = _sleep
EOF
# The first process libfaketime is loaded into makes the shared memory
# that its children find through FAKETIME_SHARED, and removes it when it
# exits: a forked copy of it that exits (a shell's subshell) removes it
# too, and every later child fails.  So that process is timeout(1),
# which only starts the script and waits (and bounds it, at 30 minutes).
cat >"$SHIM/wrap" <<EOF
#!/bin/sh
now=\$(date +%s) midnight=${midnight:-}
[ -n "\$midnight" ] || midnight=\$((now - now % 86400 + 86400))
off=\$((midnight - now - $at))
case \$off in -*) ;; *) off=+\$off ;; esac
FAKETIME="\${off}s" LD_PRELOAD='$LIBFT'
export FAKETIME LD_PRELOAD
exec timeout 1800 "\$@"
EOF
chmod +x "$SHIM/wrap"
export PYTHONPATH=$SHIM${PYTHONPATH:+:$PYTHONPATH}
export FAKETIME_DONT_FAKE_MONOTONIC=1 PM_TEST_WRAP=$SHIM/wrap
bash "$TESTS_DIR/run.sh" "$@"
