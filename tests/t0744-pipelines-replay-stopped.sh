#!/bin/bash
# A replay stopped by a signal says so of the replay and its dump, not of
# a run that is in no database: a replay is no run of its own (before,
# "run 2026...-replay-XXXX stopped").
. "$(dirname "$0")/lib.sh"

P=$TOP/pipelines.sh

test_expect_success 'SIGTERM while a replay reads its dump: the replay stopped, exit 143' '
	mkfifo in && st=0 &&
	{ "$P" replay - --env-file /dev/null --db r.db <in >out 2>err & } &&
	dp=$! && exec 7>in && sleep 1 &&
	kill -TERM "$dp" && { wait "$dp" || st=$?; } && exec 7>&- &&
	test_eq 143 "$st" &&
	test_grep "^pipelines.sh: replay: SIGTERM: replay of - stopped" err &&
	! test_grep "run .*-replay-.* stopped" err
'

test_done
