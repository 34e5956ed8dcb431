#!/bin/bash
# make install / make uninstall: the installed driver runs the daily flow
# with nothing but the install prefix and the system on PATH.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

fake_start pm --markets 300 --events 5 --spread-days 60

# The release build (make test builds it first): install, then uninstall.
inst() { make -s -C "$TOP" "$@" PREFIX="$TMP/inst" >make.out 2>&1; }

test_expect_success 'make install: programs, driver, man pages, examples' '
	inst install &&
	for p in pm-fetch pm-normalize pm-group pm-experiment pm-store \
	    pm-summary pm-pipelines; do
		test -x "$TMP/inst/bin/$p" || { echo "missing bin/$p"; exit 1; }
	done &&
	test -f "$TMP/inst/share/man/man7/pm-pipelines.7" &&
	test -f "$TMP/inst/share/man/man5/pm-records.5" &&
	test -f "$TMP/inst/share/doc/pm-tools/examples/crontab" &&
	test -f "$TMP/inst/share/doc/pm-tools/examples/systemd/pm-daily.service" &&
	test -f "$TMP/inst/share/bash-completion/completions/pm-pipelines" &&
	test -f "$TMP/inst/share/bash-completion/completions/pm-fetch"
'

test_expect_success 'bash completion: flows, subcommands and options from --help' '
	PATH="$TMP/inst/bin:$PATH" bash -c ". $TMP/inst/share/bash-completion/completions/pm-fetch
		COMP_WORDS=(pm-pipelines da); COMP_CWORD=1; _pm_tools; echo \${COMPREPLY[*]}
		COMP_WORDS=(pm-fetch hi); COMP_CWORD=1; _pm_tools; echo \${COMPREPLY[*]}
		COMP_WORDS=(pm-fetch markets --retry-a); COMP_CWORD=2; _pm_tools; echo \${COMPREPLY[*]}
		COMP_WORDS=(pm-store --sch); COMP_CWORD=1; _pm_tools; echo \${COMPREPLY[*]}" >got &&
	printf "daily\nhistory\n--retry-after-max\n--schema\n" >want &&
	test_cmp want got
'

# -d is --db (a path, even one starting with "-"), never an option.
test_expect_success 'bash completion: -d and -c complete a path as --db and --config' '
	: >./-pm.db &&
	for co in pm-store:-d pm-store:--db pm-summary:-d pm-summary:--db \
	    pm-experiment:-c pm-experiment:--config; do
		PATH="$TMP/inst/bin:$PATH" bash -c ". $TMP/inst/share/bash-completion/completions/pm-fetch
			COMP_WORDS=(${co%%:*} ${co#*:} -); COMP_CWORD=2; _pm_tools
			printf \"%s\n\" \"\${COMPREPLY[@]}\""
	done >got &&
	printf "%s\n" -pm.db -pm.db -pm.db -pm.db -pm.db -pm.db >want &&
	test_cmp want got
'

# The words completed are listed by hand: each list is the one --help gives.
test_expect_success 'bash completion: every flow, subcommand and export kind --help names' '
	comp() {
		PATH="$TMP/inst/bin:$PATH" bash -c ". $TMP/inst/share/bash-completion/completions/pm-fetch
			COMP_WORDS=($1); COMP_CWORD=$2; _pm_tools
			printf \"%s\n\" \"\${COMPREPLY[@]}\"" | sort
	}
	PATH="$TMP/inst/bin:$PATH" pm-pipelines --help |
		sed -n "/^flows:/,/^options:/s/^  \([a-z][a-z-]*\) .*/\1/p" | sort >want &&
	test_line_count want -gt 10 &&
	comp "pm-pipelines \"\"" 1 >got && test_cmp want got &&
	PATH="$TMP/inst/bin:$PATH" pm-fetch --help 2>&1 |
		grep -o "pm-fetch [a-z|]*" | cut -d" " -f2 | tr "|" "\n" | sort >want &&
	comp "pm-fetch \"\"" 1 >got && test_cmp want got &&
	PATH="$TMP/inst/bin:$PATH" pm-store --help 2>&1 | grep -o -- "-e [a-z|]*" |
		cut -d" " -f2 | tr "|" "\n" | sort -u >want &&
	comp "pm-store -e \"\"" 2 >got && test_cmp want got &&
	comp "pm-normalize -o ma" 2 >got && echo markets >want && test_cmp want got
'

test_expect_success 'the installed driver runs the daily flow from another directory' '
	mkdir elsewhere && cd elsewhere &&
	run env -u PM_BIN PATH="$TMP/inst/bin:/usr/bin:/bin" \
	    pm-pipelines daily --env-file /dev/null --db pm.db --no-dump &&
	expect_status 0 &&
	test "$(sqlite3 pm.db "SELECT count(*) FROM processed_events")" -gt 0 &&
	test "$(sqlite3 pm.db "SELECT status FROM processing_runs")" = completed
'

test_expect_success 'make uninstall removes every installed file' '
	inst uninstall &&
	find "$TMP/inst" -type f >left && cat left && test ! -s left
'

test_done
