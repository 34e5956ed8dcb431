#!/bin/bash
# pipelines.sh trades --where EXPR: an expression that does not compile is
# the run's own mistake, found before anything runs (pm-pipelines(7)):
# exit 2 with jq's message, no run recorded, no database created, nothing
# fetched; one that compiles runs the flow as before, never evaluated by
# the check (input, error, halt_error would end it).
. "$(dirname "$0")/lib.sh"
P=$TOP/pipelines.sh
# nothing listens there: a flow that began would say so
export PM_GAMMA_URL=http://127.0.0.1:9 PM_CLOB_URL=http://127.0.0.1:9 \
    PM_DATA_URL=http://127.0.0.1:9
E=(--env-file /dev/null --no-progress)

test_expect_success 'a --where that does not compile: exit 2, nothing made' '
	for w in ".active and" "\$undefined" ".a) | (.b"; do
		run "$P" trades "${E[@]}" --db t.db --where "$w" &&
		expect_status 2 && test ! -e t.db && test ! -e dumps &&
		test_line_count err = 1 &&
		test_grep "^pipelines.sh: --where: jq: error: .*line 1: " err ||
		{ echo "where $w:"; cat err; return 1; }
	done &&
	run "$P" trades "${E[@]}" --db t.db --where ".active and" &&
	test_grep -F "syntax error, unexpected \$end" err &&
	run "$P" trades "${E[@]}" --db t.db --where "\$undefined" &&
	test_grep -F "\$undefined is not defined" err
'

test_expect_success 'an expression beginning with - is no option of jq' '
	run "$P" trades "${E[@]}" --db t.db --where "--x" && expect_status 2 &&
	test_grep "^pipelines.sh: --where: jq: error: " err && test ! -e t.db
'

test_expect_success 'a --where that compiles: the flow runs, the check ran none of it' '
	for w in ".active" "input" "error(\"x\")" "halt_error" "-1 < .volume"; do
		rm -f t.db* &&
		run "$P" trades "${E[@]}" --db t.db --where "$w" --dump-dir d &&
		expect_status 0 && test -e t.db &&
		test_eq 1 "$(sqlite3 t.db "SELECT count(*) FROM processing_runs WHERE flow = '\''trades'\'' AND status = '\''completed'\''")" ||
		{ echo "where $w:"; cat err; return 1; }
	done
'
test_done
