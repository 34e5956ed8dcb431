#!/bin/bash
# tests/valgrind.sh - each tool's release binary under valgrind on a small
# real pipeline (recorded fixtures, SQLite): no invalid access, no leak.
# Prints one line per tool; exit 1 when valgrind reported an error.
. "$(dirname "$0")/lib.sh"
VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
fails=0
exec 3>&2
vg() {
	local name=$1; shift
	if $VG --log-file="$TMP/$name.vg" "$@"; then :; fi
	if [ -s "$TMP/$name.vg" ]; then
		{ echo "valgrind: $name: errors"; sed "s/^/  /" "$TMP/$name.vg" | head -30; } >&3
		fails=$((fails + 1))
	else
		echo "valgrind: $name: clean" >&3
	fi
}
jq -c ".[]" "$FIXTURES"/gamma-events-bobaoxu2001-1.json >"$TMP/in.ndjson"
vg pm-normalize "$PM_BIN/pm-normalize" "$TMP/in.ndjson" >"$TMP/norm" 2>/dev/null
vg pm-group "$PM_BIN/pm-group" "$TMP/norm" >"$TMP/groups" 2>/dev/null
vg pm-store-new "$PM_BIN/pm-store" --db "$TMP/v.db" --new-only "$TMP/groups" >"$TMP/new" 2>/dev/null
vg pm-experiment "$PM_BIN/pm-experiment" "$TMP/new" >"$TMP/exp" 2>/dev/null
vg pm-store "$PM_BIN/pm-store" --db "$TMP/v.db" "$TMP/exp" >"$TMP/stored" 2>/dev/null
vg pm-summary "$PM_BIN/pm-summary" "$TMP/stored" >/dev/null 2>&1
vg pm-summary-status "$PM_BIN/pm-summary" --status --db "$TMP/v.db" >/dev/null 2>&1
vg pm-fetch "$PM_BIN/pm-fetch" --help >/dev/null 2>&1
[ "$fails" -eq 0 ]
