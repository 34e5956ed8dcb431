#!/bin/bash
# pm-records(5) as whole lines: for each tests/golden/NAME.in, the program
# named below writes exactly tests/golden/NAME.out.  The inputs are real
# Gamma and CLOB answers (tests/fixtures), cut down to the members the
# tools read.  Times a tool takes from the clock are masked (<now>, and
# the lead from <now> to a close time, <lead>);
# everything else is compared byte for byte.
#
# After a deliberate change of a record, PM_GOLDEN_UPDATE=1 rewrites the
# .out files from what the tools now write: read the diff before
# committing it, and change pm-records(5) with it.
. "$(dirname "$0")/lib.sh"
GOLDEN=$TESTS_DIR/golden
# the builtin suite, and SQLite allowed, whatever the caller's settings
unset PM_EXPERIMENTS ENVIRONMENT

# times from the clock, with milliseconds, and the latency between two
NOW='s/"(started_at|finished_at)":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{3}Z"/"\1":"<now>"/g; s/"latency_ms":[0-9]+/"latency_ms":0/g; s/"lead_h":-?[0-9.e+-]+/"lead_h":"<lead>"/g'

# golden NAME STATUS MASK WHAT COMMAND...: COMMAND NAME.in (in the case's
# directory, so that positions read NAME.in:LINE) exits STATUS and writes
# NAME.out once the sed(1) script MASK has run over it
golden() {
	g_name=$1 g_status=$2 g_mask=$3
	shift 3
	g_cmd=("$@")
	test_expect_success "$g_name: ${g_cmd[*]} writes the golden lines" '
		cp "$GOLDEN/$g_name.in" . &&
		run "${g_cmd[@]}" "$g_name.in" && expect_status "$g_status" &&
		sed -E "${g_mask:-}" out >got &&
		if [ -n "${PM_GOLDEN_UPDATE:-}" ]; then cp got "$GOLDEN/$g_name.out"; fi &&
		test_cmp "$GOLDEN/$g_name.out" got
	'
}

golden raw-market 0 "" pm-normalize -R
golden bare-market 0 "" pm-normalize
golden raw-event 0 "" pm-normalize -R
golden raw-price 0 "" pm-normalize -R
golden raw-midpoint 0 "" pm-normalize -R
golden raw-history 0 "" pm-normalize -R
golden failure 1 "" pm-normalize -R
golden bad-record 1 "" pm-normalize -R
golden pass-through 0 "" pm-normalize -R
golden markets-group 0 "" pm-group
golden group-skip 0 "" pm-group --limit 1
golden group-results 0 "$NOW" pm-experiment
golden store 0 "$NOW" pm-store --db g.db

test_expect_success 'every golden input has its output, every output its input' '
	(cd "$GOLDEN" && ls) >files &&
	sed -n "s/\.in\$//p" files >ins && sed -n "s/\.out\$//p" files >outs &&
	test_cmp ins outs && test_line_count ins 13 &&
	grep -v "\.in\$\|\.out\$" files >other || true &&
	test ! -s other
'

test_expect_success 'each golden file is one record per line, the last ended by a newline' '
	for f in "$GOLDEN"/*; do
		case $f in *bad-record.in) continue ;; esac
		test_eq "\n" "$(tail -c 1 "$f" | od -An -c | tr -d " ")" "$f: last byte" &&
		test_num "$(jq -c . "$f" | wc -l)" -eq "$(wc -l <"$f")" "$f: records" ||
		return 1
	done
'
test_done
