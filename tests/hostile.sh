# shellcheck shell=bash
# tests/hostile.sh - what the tests behind hostile servers check of each
# program they run (source it after lib.sh): stage NAME CMD... runs CMD
# with its output in NAME.out and its errors in NAME.err, then check NAME
# STATUS.

# check NAME STATUS: STATUS is 0 or 1, NAME.err holds no sanitizer report
# and every line of NAME.out is JSON (NaN and Infinity are not)
check() {
	case $2 in 0|1) ;; *) echo "$1: exit $2" >&2; return 1 ;; esac
	if grep -E "Sanitizer|runtime error" "$1.err" >&2; then
		echo "$1: a sanitizer report" >&2
		return 1
	fi
	python3 -c '
import json, sys
def no(c):
    raise ValueError("not JSON: " + c)
for n, line in enumerate(open(sys.argv[1], "rb"), 1):
    try:
        json.loads(line.decode("utf-8"), parse_constant=no)
    except ValueError as e:
        sys.exit("%s:%d: %s: %.120r" % (sys.argv[1], n, e, line))
' "$1.out"
}

# stage NAME CMD...: CMD's output in NAME.out, its errors in NAME.err,
# checked
stage() {
	local name=$1 rc=0
	shift
	"$@" >"$name.out" 2>"$name.err" || rc=$?
	check "$name" "$rc"
}
