#!/bin/bash
# pipelines.sh - the pm-* flows: daily, static, delta, events, prices,
# replay, retry-failures, status and score.  See pm-pipelines(7).
#
# Settings come from options, then the environment, then an env file
# (--env-file, default ./.env).  The exit status names the stage that
# failed: 0 ok, 1 some records failed (reported, the rest stored), 2 usage,
# 3 a stage could not run (API, database, disk) or the run is recorded
# failed, 4 another run of the same flow holds the lock; status: 5 stale,
# 6 very stale or no data; 128 + N: stopped by signal N mid-run (every
# stage ended, the run recorded failed; once the run's end is decided, a
# signal lets it be stored, and the exit is the run's).
set -u -o pipefail

prog=pipelines.sh
# the driver's own variables that are read before it sets them (die's
# rc, pm's stages_file): never the environment's
unset -v rc stages_file run_dir
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { echo "$prog: $*" >&2; exit "${rc:-3}"; }
usage() {
	cat <<'USAGE'
usage: pipelines.sh FLOW [options]
flows:
  daily             markets closing on the target day -> groups not yet
                    processed -> experiments -> dump -> store -> summary
  static            every active market with its events and prices
  delta             markets updated since the last delta run (before
                    any, the last static run), and their prices
  events            events with their tags
  prices            current prices and history for active tokens, and
                    the history up to their close of the markets
                    closed since the last prices run
  trades            new trades (Data API) of the active markets, or of the
                    markets --where selects, from each one's watermark
  replay DUMP       store a dump again (no network); - is standard
                    input, a gzip-compressed dump is read decompressed
  retry-failures RUN_ID
                    re-run the groups that failed retriably in RUN_ID
  status            data freshness (pm-summary --status)
  score             forecast scores (pm-summary --score; --buckets N,
                    --clamp EPS, --json and --plot FILE are passed on)
  prune --keep-days N
                    remove dumps and logs older than N days, and raw
                    payload versions fetched before then that no row
                    needs (pm-store --prune-before)
options:
  --db URL          database (DATABASE_URL; default data/pm.db)
  --env-file F      settings file (default ./.env)
  --window-days N   daily: the target day is the run date + N days, 0 to
                    366 (PM_WINDOW_DAYS, TARGET_CLOSE_WINDOW_DAYS; default 7)
  --target-date D   daily: the target day is D, YYYY-MM-DD (UTC), not in
                    the past; excludes --window-days
  --margin DUR      daily, retry-failures: markets closing sooner than DUR
                    after the run's start are not forecast: N[s|m|h|d]
                    (PM_MARGIN; default 1h)
  --now T           the run's clock, RFC 3339 (PM_NOW; default the time);
                    every flow but score
  --dry-run         run everything, write nothing to the database
  --limit N         daily: whole groups until N markets; prices,
                    trades: N markets; retry-failures: N groups; replay:
                    the first N records; other flows: at most N records
  --summary-path P  write the JSON run summary to P
  --config F        experiments config (default: the builtin suite)
  --suite ID, --stage S, --include-forecast L, --include-research L,
  --override K=V, --override-file F, -j N
                    passed to pm-experiment
  --list-experiments              what would run (pm-experiment --list)
  --experiment-override K=V       --override
  --experiment-override-file F    --override-file
  --event-batch-size N            -j N: groups in flight
                                  (PIPELINE_EVENT_BATCH_SIZE)
  --debug-dump-dir D              pm-experiment's per-event request and
                                  response dumps go to D
  --no-debug-dump                 none (the default)
  --no-dump         do not keep the stream after experiments
  --dump-dir D      where dumps go (default dumps/)
  --overlap MIN     delta: minutes re-read before the watermark (default 10)
  --where EXPR      trades: the markets to fetch trades of, a jq expression
                    over market records (default: active and not closed)
  --progress        progress on standard error, a line per stage at most
                    every second (default on a terminal, unless TERM=dumb)
  --no-progress     none
  --notify URL      POST failed runs and data turning stale to this
                    webhook (PM_NOTIFY_URL)
  --gamma-url URL, --clob-url URL
                    where Polymarket's APIs are (PM_GAMMA_URL, PM_CLOB_URL)
  --flow NAME, --fresh DUR, --stale DUR, --json, --status-path F
                    status: passed to pm-summary --status
  -h, --help        this help
  -V, --version     the driver's git revision and each program's version
USAGE
}

# Progress: on a terminal (not TERM=dumb) or with --progress, every stage
# writes whole lines naming itself (PM_PROGRESS=lines), so two stages
# never write one line; else none, also on a terminal they share.
progress_setting() {
	if [ "$progress" = off ]; then
		progress=''
	elif [ -z "$progress" ] && [ -t 2 ] && [ "${TERM:-dumb}" != dumb ]; then
		progress=1
	fi
	if [ -n "$progress" ]; then export PM_PROGRESS=lines; else export PM_PROGRESS=off; fi
}

# The settings file, by the rules of lib/dotenv.c (pm-pipelines(7),
# SETTINGS): KEY=VALUE, `export`, blanks around =, # comments, '...' taken
# as is, "..." with \" and \\ only, CR LF; nothing expanded or executed.
# env_file_pairs prints its settings as KEY=VALUE lines, or fails with
# `FILE:LINE: reason` on the first line that is none of these.
env_file_pairs() {
	local f=$1 line n=0 key rest val after i c d
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		line=${line%$'\r'}
		line=${line#"${line%%[![:blank:]]*}"}
		case $line in '' | '#'*) continue ;; esac
		[[ $line =~ ^export[[:blank:]]+(.*)$ ]] && line=${BASH_REMATCH[1]}
		if ! [[ $line =~ ^([A-Za-z_][A-Za-z0-9_]*)[[:blank:]]*=[[:blank:]]*(.*)$ ]]; then
			echo "$f:$n: not KEY=VALUE"; return 1
		fi
		key=${BASH_REMATCH[1]} rest=${BASH_REMATCH[2]} val='' after=''
		case $rest in
		"'"*)
			rest=${rest#"'"}
			[[ $rest == *"'"* ]] ||
			    { echo "$f:$n: unterminated single quote"; return 1; }
			val=${rest%%"'"*} after=${rest#*"'"}
			;;
		'"'*)
			i=1 c='' d=''
			while [ "$i" -lt "${#rest}" ]; do
				c=${rest:i:1} d=${rest:i+1:1}
				if [ "$c" = "\\" ] && { [ "$d" = '"' ] || [ "$d" = "\\" ]; }; then
					val+=$d i=$((i + 2)); continue
				fi
				[ "$c" = '"' ] && break
				val+=$c i=$((i + 1))
			done
			[ "$i" -lt "${#rest}" ] ||
			    { echo "$f:$n: unterminated double quote"; return 1; }
			after=${rest:i+1}
			;;
		*)
			val=${rest%%[[:blank:]]#*}
			val=${val%"${val##*[![:blank:]]}"}
			;;
		esac
		after=${after#"${after%%[![:blank:]]*}"}
		case $after in '' | '#'*) ;;
		*) echo "$f:$n: text after the closing quote"; return 1 ;;
		esac
		printf '%s=%s\n' "$key" "$val"
	done <"$f"
}

# Every setting of the file that the environment does not already have;
# a file with a bad line is refused whole (exit 2), as is one named by
# --env-file or PM_ENV_FILE (MUST set) that cannot be read; ./.env may
# be absent, as for the programs (lib/dotenv.c).
load_env() {
	local f=$1 must=$2 pairs line key why=''
	if [ ! -e "$f" ]; then
		[ -n "$must" ] || return 0
		why='No such file or directory'
	elif [ -d "$f" ]; then why='Is a directory'
	elif [ ! -r "$f" ]; then why='Permission denied'
	fi
	[ -z "$why" ] || usage_error "$f: $why"
	pairs=$(env_file_pairs "$f") ||
	    { echo "pipelines.sh: ${pairs##*$'\n'}" >&2; exit 2; }
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		key=${line%%=*}
		# shellcheck disable=SC2163 # exports KEY=VALUE, as written
		[ -z "${!key+x}" ] && export "$line"
	done <<<"$pairs"
}

# Where a pm-* program is run from, in pm_path: PM_BIN, else the
# checkout's bin, else beside the driver (make install's pm-pipelines,
# run by its path from cron, whose PATH is /usr/bin:/bin), else PATH.
pm_which() {
	if [ -n "${PM_BIN:-}" ]; then pm_path=$PM_BIN/$1
	elif [ -x "$here/bin/$1" ]; then pm_path=$here/bin/$1
	elif [ -x "$here/$1" ]; then pm_path=$here/$1
	else pm_path=$1; fi
}

pm_exec() {
	local pm_path
	pm_which "$1"; shift
	"$pm_path" "$@"
}

# A program of the run.  Once the run has begun (stages_file set), each
# one notes its status and name there, before its pipe closes, so the
# last stage knows how every stage before it ended; its standard error
# is kept as well (not on a terminal, where pm-fetch's progress wants
# one), so a failed stage's last message can be stored with the run:
# its own, each stage's kept apart (in a file named by its subshell), not
# the last line of a later stage of the same program (the stream's
# pm-store after a failed pm-store --export).
pm() {
	local name=$1 rc err detail=''
	case ${2:-} in [a-z]*) name+=" $2" ;; esac
	if [ -z "${stages_file:-}" ]; then pm_exec "$@"; return; fi
	# pm-summary, the last stage, writes its summary itself: the run's
	# report, which it says it could not write (a full disk) by exit 3,
	# where tee's exit was lost (no message of it is stored: the run's
	# end is decided before it ends)
	if [ -t 2 ] || [ "$1" = pm-summary ]; then
		pm_exec "$@"; rc=$?
	else
		# standard error through tee, standard output (fd 3) as it was;
		# both waited for, so nothing is written after the stage ends
		err=$run_dir/stderr.$BASHPID
		{ pm_exec "$@" 2>&1 >&3 3>&- | tee "$err" >&2
		  rc=${PIPESTATUS[0]}; } 3>&1
		if [ "$rc" -ge 2 ]; then
			detail=$(grep -F "$1: " "$err" 2>/dev/null | tail -n 1)
			detail=${detail#"$1: "}
		fi
		rm -f "$err"
	fi
	stage_done "$rc" "$name" "$detail"
	return "$rc"
}

# A line that cannot be written (TMPDIR full) would leave a failed stage
# unseen and the run completed: an empty file then names the status and
# the stage (no blocks: a full tmpfs still makes it).
stage_done() {
	{ printf '%s\t%s\t%s\n' "$1" "$2" "${3:-}" >>"$stages_file"; } \
	    2>/dev/null && return
	echo "$prog: $flow: cannot note how $2 ended (status $1) in" \
	    "$stages_file" >&2
	[ "$1" -eq 0 ] || : >"$run_dir/unnoted.$1.$2"
}

# The run start record: what this run is, for pm-store and pm-summary.
run_record() {
	jq -cn --arg run_id "$run_id" --arg flow "$flow" \
	    --arg run_date "$run_date" --arg target "${target_date:-}" \
	    --arg window "${window_days:-}" --arg started "$started_at" \
	    --arg sha "$git_sha" --arg env "${ENVIRONMENT:-development}" \
	    --argjson options "$options_json" \
	    '{kind:"run", phase:"start", run_id:$run_id, flow:$flow,
	      run_date:$run_date,
	      target_date:(if $target == "" then null else $target end),
	      window_days:(if $window == "" then null else ($window|tonumber) end),
	      started_at:$started, git_sha:$sha, environment:$env,
	      options:$options}'
}

# One run of a flow at a time on one database, from any directory or
# machine: pm-summary --hold keeps the lock while its standard input (our
# coprocess pipe) stays open: a lease row in PostgreSQL or ClickHouse, a
# file beside an SQLite database.  It waits PM_LOCK_WAIT seconds (default 0) for a held
# lock, then exits 4; once it holds the lock, runs of the flow still
# marked running are marked abandoned (their holder is gone).
take_lock() {
	local line='' wait=${PM_LOCK_WAIT:-0}  # checked by check_options
	# (exec: the group's signal ends the shell at once, and
	# release_lock must wait for the holder itself)
	coproc LOCKER { pm_which pm-summary; exec "$pm_path" --hold "$flow" \
	    --run-id "$run_id" --wait "$((10#$wait))" \
	    ${PM_LOCK_TTL:+--ttl "$PM_LOCK_TTL"}; }
	# shellcheck disable=SC2153 # set by coproc
	locker_pid=$LOCKER_PID
	# copies that outlive bash's own (gone with the coprocess), and no
	# other copy of the write end: the holder must see it close
	exec {lock_in}>&"${LOCKER[1]}" {lock_out}<&"${LOCKER[0]}"
	eval "exec ${LOCKER[1]}>&- ${LOCKER[0]}<&-" 2>/dev/null
	read -r line <&"$lock_out"
	if [ "$line" != locked ]; then
		wait "$locker_pid"
		rc=$? die "$flow: no run lock: not started"
	fi
	trap release_lock EXIT
}

# Give the lock back and wait until it is given back, so that a run
# started right after this one finds it free.
# shellcheck disable=SC2317 # called by the EXIT trap
release_lock() {
	[ -n "${lock_in:-}" ] || return 0
	exec {lock_in}>&- {lock_out}<&-
	lock_in=''
	wait "$locker_pid" 2>/dev/null
}

# Name the stages that failed, the last first: the ones before it may
# only have had their output cut when it stopped.  1 (records failed) is
# not a failure of the stage itself.
check_stages() {
	local -a st=("${PIPESTATUS[@]}") names=("$@")
	local i worst=0 cause=
	for ((i = ${#st[@]} - 1; i >= 0; i--)); do
		if [ "${st[$i]}" -gt 1 ]; then
			echo "$prog: $flow: ${names[$i]:-stage $i} ${cause:+also }failed (status ${st[$i]})" >&2
			cause=1
			[ "$worst" -le 1 ] && worst=3
		elif [ "${st[$i]}" -eq 1 ] && [ "$worst" -eq 0 ]; then
			worst=1
		fi
	done
	return "$worst"
}

# The stream dump.  tee goes on to the next stage when the file cannot
# be written (a full disk), and says 1: that is a failed stage (3), and
# the dump is not announced as if it were whole.  The dump's copy of the
# run's start record (the stream's first line) says end_record: true,
# that finish_run's end record closes the dump: a replay of a dump cut
# short, its writer killed, then knows the run never ended (pm-store
# records it partial), where an older dump without end records is whole.
dump_to() {
	local rc line='' start
	if [ -n "$no_dump" ]; then cat; return; fi
	{ IFS= read -r line || [ -n "$line" ]; } && printf '%s\n' "$line"
	start="{\"kind\":\"run\",\"phase\":\"start\",\"run_id\":$(jq -cn \
	    --arg id "$run_id" '$id'),"
	case $line in
	"$start"*"}") line="${line%?},\"end_record\":true}" ;;
	esac
	if [ -z "$line" ]; then
		tee -- "$dump_file" 2>"$run_dir/dump.err"; rc=$?
	elif ! printf '%s\n' "$line" 2>"$run_dir/dump.err" >"$dump_file"; then
		cat; rc=1
	else
		tee -a -- "$dump_file" 2>"$run_dir/dump.err"; rc=$?
	fi
	if [ "$rc" -ne 0 ]; then
		cat "$run_dir/dump.err" >&2
		echo "$prog: $flow: cannot write the dump $dump_file" >&2
		stage_done 3 dump "cannot write the dump $dump_file: $(tail -n 1 \
		    "$run_dir/dump.err")"
		: >"$run_dir/dump.failed"
		return 3
	fi
	stage_done 0 dump
}
store() { pm pm-store ${dry_run:+--dry-run}; }

# The last stage: the stream, then the run's final word (finish_run), for
# pm-summary; the end records pm-store wrote are noted on the way, and
# whether pm-group processed no group for a listing cut short.
summary() {
	{ awk -v ends="$run_dir/ends" -v cut="$run_dir/cut_short" \
	    'index($0, "{\"kind\":\"run\",\"phase\":\"end\"") == 1 {
		print >ends }
	    index($0, "{\"kind\":\"failure\"") == 1 &&
	    index($0, "\"reason\":\"input_cut_short\"") { print >cut }
	    { print }'; finish_run; } |
	    pm pm-summary ${summary_path:+--json "$summary_path"}
}

# The run's status from how every stage ended, never from one stage's
# view: completed when all exited 0, partial when the worst was 1 (or
# pm-store found records failed), failed when any exited 2 or more, with
# the first such stage and its last message.  A stage killed by SIGPIPE
# (141) only follows a later stage that failed first.
run_outcome() {
	local rc name detail first='' worst=0 pipe='' us=$'\x1f'
	out_status=completed out_stage='' out_error=''
	while IFS=$'\t' read -r rc name detail; do
		[ -n "$rc" ] || continue
		if [ "$rc" -ge 2 ]; then
			if [ "$rc" -eq 141 ]; then
				[ -n "$pipe" ] || pipe=$name$us$detail$us$rc
			elif [ -z "$first" ]; then
				first=$name$us$detail$us$rc
			fi
			worst=2
		elif [ "$rc" -eq 1 ] && [ "$worst" -eq 0 ]; then
			worst=1
		fi
	done < <(cat "$stages_file" 2>/dev/null
	    for f in "$run_dir"/unnoted.*; do
		[ -e "$f" ] || continue
		f=${f#"$run_dir"/unnoted.}
		printf '%s\t%s\t%s\n' "${f%%.*}" "${f#*.}" \
		    "its status could not be noted in $run_dir"
	    done)
	[ -n "$first" ] || first=$pipe
	if grep -q '"status":"failed"' "$run_dir/ends" 2>/dev/null &&
	    [ "$worst" -lt 2 ]; then
		worst=2 first=pm-store${us}no record of the run could be stored${us}1
	elif grep -q '"status":"partial"' "$run_dir/ends" 2>/dev/null &&
	    [ "$worst" -eq 0 ]; then
		worst=1
	fi
	case $worst in
	0) return ;;
	1) out_status=partial; return ;;
	esac
	out_status=failed
	IFS=$us read -r out_stage detail rc <<<"$first"
	out_error="exit $rc${detail:+: $detail}"
}

# dump_end END: the final end record with the counts of pm-store's end
# record of this run, when it wrote one (not on a dry run: nothing was),
# for the dump and the database
dump_end() {
	local counts=''
	[ -n "$dry_run" ] || counts=$(jq -c --arg id "$run_id" \
	    'select(.run_id == $id and (.counts | type) == "object") | .counts' \
	    "$run_dir/ends" 2>/dev/null | tail -n 1)
	if [ -n "$counts" ]; then
		jq -c --argjson c "$counts" '. + {counts: $c}' <<<"$1"
	else
		printf '%s\n' "$1"
	fi
}

# The end record and the stage_failed failure record, in end and fail,
# from the run's outcome (run_outcome).
end_of_run() {
	local now
	run_outcome
	now=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
	end=$(run_record | jq -c --arg now "$now" --arg st "$out_status" \
	    --arg stage "$out_stage" --arg e "$out_error" \
	    '. + {phase:"end", final:true, finished_at:$now, status:$st,
	      failed_stage:(if $stage == "" then null else $stage end),
	      error:(if $e == "" then null else $e end)}')
	fail=''
	[ -z "$out_stage" ] || fail=$(jq -cn --arg stage "$out_stage" \
	    --arg e "$out_error" '{kind:"failure", stage:$stage,
	    reason:"stage_failed", retriable:true, detail:$e}')
}

# pipelines.sh's word on how the run ended: the end record for pm-summary
# (standard output), and, unless nothing is written, in the database: the
# failed stage as a failure record (reason stage_failed) and the status.
# When the database cannot take it (pm-store itself failed), the row stays
# running, and the next run of the flow marks it abandoned.
finish_run() {
	local end fail err last
	[ "$flow" != replay ] || return 0
	# The run's end is decided once: here, by its last stage, unless a
	# signal came first and claimed it (interrupted, then main's call,
	# claimed already: $1).  A signal after this claim stops nothing:
	# this shell and the pm-store it starts ignore it (timeout(1) and ^C
	# signal the whole group), and main waits for this shell ("ending"),
	# which a second signal kills.
	if [ -z "${1:-}" ]; then
		trap '' INT HUP TERM
		echo "$BASHPID" >"$run_dir/ending"
		mkdir "$run_dir/end" 2>/dev/null || return 0
	fi
	end_of_run
	# a replay of the dump then ends the run as this run ended: its
	# failed stage, and the counts pm-store gave it (an end without
	# counts keeps those stored, and the dump holds no other end).  One
	# that cannot be appended (a full disk) leaves the dump without its
	# end, which a replay takes for a run cut short: a failed stage
	# dump, as when the stream could not be written.
	if [ -z "$no_dump" ] && [ -f "$dump_file" ] &&
	    [ ! -e "$run_dir/dump.failed" ]; then
		last=$({ [ -z "$fail" ] || printf '%s\n' "$fail"
		    dump_end "$end"; })
		if ! printf '%s\n' "$last" 2>"$run_dir/dump.err" >>"$dump_file"; then
			cat "$run_dir/dump.err" >&2
			echo "$prog: $flow: cannot write the dump $dump_file" >&2
			stage_done 3 dump "cannot write the dump $dump_file: $(tail \
			    -n 1 "$run_dir/dump.err")"
			: >"$run_dir/dump.failed"
			end_of_run
		fi
	fi
	printf '%s %s %s\n' "$out_status" "$out_stage" "$out_error" >"$run_dir/outcome"
	# Stored before pm-summary hears it (^C ends pm-summary too, and an
	# end written to it first would end this stage unstored, SIGPIPE),
	# by a pm-store that ^C (the whole group's) does not end (a second
	# signal's kill_tree does); with the counts too: on ClickHouse a
	# row is replaced whole, and an end without them would leave none.
	if [ -z "$dry_run" ] && ! err=$( { run_record
	    [ -z "$fail" ] || printf '%s\n' "$fail"; dump_end "$end"; } |
	    { stages_file='' pm pm-store; } 2>&1 >/dev/null)
	then
		printf '%s\n' "$err" >&2
		echo "$prog: $flow: cannot record how run $run_id ended" \
		    "($out_status); the next $flow run marks it abandoned" >&2
	fi
	printf '%s\n' "$end"
}

flow_daily() {
	# --end-record, --require-end: a stage killed before pm-group leaves
	# no group of the markets read so far (a rerun would add the rest as
	# markets joining a processed event, a second result per variant)
	local -a fa=(markets --closed false --target-date "$target_date"
	    --now "$started_at" --end-record)
	[ -n "$progress" ] && fa+=(--progress)
	{ run_record; pm pm-fetch "${fa[@]}"; } |
	    pm pm-normalize |
	    pm pm-group --require-end --now "$started_at" --margin "$margin" \
	    ${limit:+--limit-markets "$limit"} |
	    pm pm-store --new-only |
	    pm pm-experiment "${exp_args[@]}" |
	    dump_to |
	    store |
	    summary
	check_stages pm-fetch pm-normalize pm-group "pm-store --new-only" \
	    pm-experiment dump pm-store pm-summary
}

# The events listed alongside the markets (the budgets allow both at
# once), kept in an unlinked file and written after them; the status is
# the worse of the two.
fetch_static() {
	local ev w r evpid m e
	ev=$(mktemp "${TMPDIR:-/tmp}/pm-static-events.XXXXXX") ||
	    die "cannot make a temporary file for the events"
	# shellcheck disable=SC2094 # written by one process, read after it
	exec {w}>"$ev" {r}<"$ev"
	rm -f "$ev"
	pm pm-fetch events "$@" >&"$w" &
	evpid=$!
	pm pm-fetch markets "$@"
	m=$?
	wait "$evpid"
	e=$?
	exec {w}>&-
	cat <&"$r"
	exec {r}<&-
	return $((m > e ? m : e))
}

flow_static() {
	local -a fa=(--closed false ${limit:+--limit "$limit"})
	[ -n "$progress" ] && fa+=(--progress)
	{ run_record; fetch_static "${fa[@]}"; } |
	    pm pm-normalize |
	    pm pm-fetch prices |
	    pm pm-normalize --only prices,price,prices-history,book,midpoint |
	    store |
	    summary
	check_stages pm-fetch pm-normalize "pm-fetch prices" "pm-normalize prices" \
	    pm-store pm-summary
}

# The watermark is the last completed delta's start: a static run lists
# only open markets, so a market closed after that delta and before a
# static would look unchanged to a delta from the static's start.  The
# last static is the watermark until a delta has completed.
flow_delta() {
	local since
	since=$(pm pm-store --last-run delta --now "$started_at") ||
	    no_last_run delta
	if [ -z "$since" ]; then
		since=$(pm pm-store --last-run static --now "$started_at") ||
		    no_last_run static
	fi
	[ -n "$since" ] || die "no completed static or delta run yet: run the static flow first"
	since=$(date -u -d "$since - ${overlap} minutes" +%Y-%m-%dT%H:%M:%SZ) ||
	    die "bad watermark: $since"
	{ run_record; pm pm-fetch markets --closed any --updated-since "$since" \
	    ${limit:+--limit "$limit"} ${progress:+--progress}; } |
	    pm pm-normalize |
	    pm pm-fetch prices |
	    pm pm-normalize --only prices,price,prices-history,book,midpoint |
	    store |
	    summary
	check_stages pm-fetch pm-normalize "pm-fetch prices" "pm-normalize prices" \
	    pm-store pm-summary
}

# The watermark could not be read (pm-store --last-run failed, its
# status noted): the lock is held, so the run is a failed one, recorded
# (when the database takes writes) and alerted as any, not a run that
# never was; exit 3.
no_last_run() {
	echo "$prog: cannot read the last $1 run from the database" >&2
	run_record | store | summary
	exit 3
}

flow_events() {
	{ run_record; pm pm-fetch events --closed false ${limit:+--limit "$limit"} \
	    ${progress:+--progress}; } |
	    pm pm-normalize |
	    store |
	    summary
	check_stages pm-fetch pm-normalize pm-store pm-summary
}

# spooled CMD...: CMD's output (an export) whole into a file of the run,
# then on to the next stage.  Through PgBouncer the export holds a server
# connection until its last row is read, and the next stage (pm-fetch)
# reads it no faster than it fetches: the same run's pm-store, or another
# flow's, waited for that connection while the pipe stood full, and with
# a pool of two, prices and trades at once both failed on PgBouncer's
# query_wait_timeout.  So did retry-failures' pm-store --new-only behind
# its export (pm-experiment after it) with a pool of one.  CMD's status,
# else cat's (SIGPIPE: 141).
spooled() {
	local f=$run_dir/spool.$BASHPID rc c
	"$@" >"$f"; rc=$?
	cat -- "$f"; c=$?
	[ "$rc" -ne 0 ] || rc=$c
	rm -f -- "$f"
	return "$rc"
}

# Each market record carries its history watermark (pm-store --export
# market): its tokens' history is asked from there to the run's clock,
# so the days a stopped cron job missed are fetched by the next run.  A
# market stored closed by a fetch since the last run started is asked
# once more, up to its close (pm-fetch history): the hours between that
# run and the close are the last of its price path.  Its quotes are not
# asked: a closed market has no order book.
flow_prices() {
	local since
	since=$(pm pm-store --last-run prices --now "$started_at") ||
	    no_last_run prices
	{ run_record; spooled pm pm-store --export market \
	    ${since:+--closed-since "$since"} ${limit:+--limit "$limit"}; } |
	    pm pm-fetch prices ${progress:+--progress} |
	    pm pm-fetch history --now "$started_at" ${progress:+--progress} |
	    pm pm-normalize |
	    store |
	    summary
	check_stages "pm-store --export" "pm-fetch prices" "pm-fetch history" \
	    pm-normalize pm-store pm-summary
}

# Each market record carries its trades watermark (pm-store --export
# market), so only what is new is fetched.  A market stored closed by a
# fetch since the last run started (that run may have missed its last
# trades) is fetched once more: by this run, not the next.  --limit: the
# first N markets (of those --where selects); such a run is no watermark.
flow_trades() {
	local since
	since=$(pm pm-store --last-run trades --now "$started_at") ||
	    no_last_run trades
	{ run_record; spooled pm pm-store --export market \
	    ${since:+--closed-since "$since"} ${where:+--where "$where"} \
	    ${limit:+--limit "$limit"}; } |
	    pm pm-fetch trades --taker-only false ${progress:+--progress} |
	    pm pm-normalize |
	    store |
	    summary
	check_stages "pm-store --export" "pm-fetch trades" pm-normalize \
	    pm-store pm-summary
}

# The dump, - for standard input, decompressed when gzip made it (a dump
# compressed to keep: stored as it is, each line was a bad record);
# gzip -f passes any other bytes on as they are.  One gzip cannot read
# whole (damaged, cut short) is a stage that failed, 3, not records that
# failed, 1.  --limit: its first records only, and the gzip that head
# stopped early did not fail (nor, SIGPIPE ignored, did its 1).
flow_replay() {
	local in=$1
	[ "$in" != - ] || in=/dev/stdin
	( gzip -dcf -- "$in"; rc=$?
	  case $rc:$limit in 141:*) rc=0 ;; 1:) rc=3 ;; esac; exit "$rc" ) |
	    replay_head "$1" | pm pm-store ${dry_run:+--dry-run} | summary
	check_stages gzip "reading the dump" pm-store pm-summary
}
# The dump's records, its first --limit only.  A dump is never empty (a
# run's starts with its start record): an empty one is a wrong or
# truncated file, a failed stage (3), not a replay of nothing (0).
# (Its first byte only is read here: bash reads a pipe a byte at a time.)
replay_head() {
	local c='' n=$limit
	if ! LC_ALL=C IFS= read -r -N 1 c; then
		echo "$prog: replay: $1 holds no record: nothing stored" >&2
		return 3
	fi
	printf '%s' "$c"
	[ "$c" != $'\n' ] || n=$((n - 1))
	if [ -n "$limit" ]; then head -n "$n"; else cat; fi
}

flow_retry() {
	local failed_run=$1
	# --new-only: each group with what is stored for it, so that only
	# the variants that failed run again, not (and are paid for) the rest;
	# --margin: a market that has closed since (or closes within the
	# margin) is not forecast now, as the daily flow would not
	{ run_record; spooled pm pm-store --export retry --run "$failed_run" \
	    ${limit:+--limit "$limit"}; } |
	    pm pm-store --new-only |
	    pm pm-experiment "${exp_args[@]}" --now "$started_at" \
	    --margin "$margin" |
	    dump_to |
	    store |
	    summary
	check_stages "pm-store --export" "pm-store --new-only" pm-experiment \
	    dump pm-store pm-summary
}

# pm-summary --status with the options given for it.  Its stale (4) and
# very stale (5) become 5 and 6 here, where 4 is a held lock: one table
# of exit statuses for pipelines.sh (pm-pipelines(7)).
flow_status() {
	local -a sa=(--status "${status_args[@]}")
	local rc
	[ -z "$now" ] || sa+=(--now "$now")
	[ -z "$status_path" ] || sa+=(--status-path "$status_path")
	pm pm-summary "${sa[@]}"; rc=$?
	case $rc in 4|5) rc=$((rc + 1)) ;; esac
	exit "$rc"
}

# Dumps and logs older than --keep-days, and the raw payload versions
# fetched before then that no row needs (pm-store --prune-before; the
# database part is pm-store's, so a change of storage stays there).
# A file a process has open is kept, whatever its age: a run still going
# (its driver holds its dump open from its start to its end) or a log a
# flow is writing (cron's >>), prune's own among them.  Open as /proc
# shows it to prune's user: every process's for root, else its own.
flow_prune() {
	local cut logs=${PM_LOG_DIR:-logs} f id n=0 k=0 rc=0
	local -A open=()
	# (find, not a glob of every fd: a busy server's are past ARG_MAX)
	while IFS= read -r id; do open[$id]=1; done < <(find -L /proc/[0-9]*/fd \
	    -mindepth 1 -maxdepth 1 -printf '%D:%i\n' 2>/dev/null)
	cut=$(date -u -d "$started_at - $keep_days days" +%Y-%m-%dT%H:%M:%S.%3NZ)
	# nothing was fetched before the epoch, which pm-store --prune-before
	# takes no time before (a century kept was exit 3 at every run)
	[[ ! $cut < 1970-01-01T ]] || cut=1970-01-01T00:00:00.000Z
	for f in "$dump_dir" "$logs"; do
		[ -d "$f" ] || continue
		# a directory named like -delete is a path to find, not its
		# expression (it would remove the files of the current one)
		case $f in -*) f=./$f ;; esac
		while IFS= read -r -d '' id && IFS= read -r -d '' f; do
			if [ -n "${open[$id]:-}" ]; then
				echo "$prog: prune: $f kept: a process has it open" >&2
				k=$((k + 1))
				continue
			fi
			if [ -n "$dry_run" ]; then echo "would remove $f"
			else rm -f -- "$f" || rc=3; fi
			n=$((n + 1))
		done < <(find "$f" -maxdepth 1 -type f \( -name '*.ndjson' \
		    -o -name '*.ndjson.gz' -o -name '*.log' -o -name '*.log.*' \) \
		    ! -newermt "$cut" -printf '%D:%i\0%p\0')
	done
	[ "$k" -eq 0 ] || k=", $k kept (open)"
	echo "$prog: prune: $n dump and log file(s) older than $cut${dry_run:+ would go}${k#0}" >&2
	pm pm-store ${dry_run:+--dry-run} --prune-before "$cut" || rc=3
	return "$rc"
}

run_flow() {
	case $flow in
	daily) flow_daily ;;
	static) flow_static ;;
	delta) flow_delta ;;
	events) flow_events ;;
	prices) flow_prices ;;
	trades) flow_trades ;;
	replay) flow_replay "${positional[0]}" ;;
	retry-failures) flow_retry "${positional[0]}" ;;
	esac
}

# SIGINT, SIGTERM or SIGHUP mid-run: every stage of the flow is ended;
# main then ends the run failed (stage pipelines.sh), and exits 128 +
# the signal's number.  Once the last stage has decided the run's end
# (finish_run's claim), the run has ended: that end is stored, not
# killed half way (the run left running), and main exits as the run
# ended, saying so; a second signal stops it.
# shellcheck disable=SC2317 # called by the signal traps
interrupted() {
	trap '' INT TERM HUP
	if [ -z "${flow_pid:-}" ]; then
		# still waiting for the lock: its holder-to-be goes too
		[ -z "${locker_pid:-}" ] || kill_tree "$locker_pid"
		exit $((128 + $2))
	fi
	# timeout(1) signals the driver, then its whole group: one signal
	# delivered twice, which a busy machine sets apart; the same signal
	# again within a second is that one, not a second
	if { [ -z "${late:-}" ] && ! mkdir "$run_dir/end" 2>/dev/null; } ||
	    { [ "$1" = "${late:-}" ] && usecs && ((us - late_at < 1000000)); }
	then
		[ -n "${late:-}" ] || { usecs; late=$1 late_at=$us; }
		trap 'interrupted INT 2' INT
		trap 'interrupted TERM 15' TERM
		trap 'interrupted HUP 1' HUP
		return
	fi
	stopped=$1 stopped_rc=$((128 + $2))
	stage_done "$stopped_rc" pipelines.sh "stopped by SIG$stopped"
	if [ -n "${late:-}" ]; then
		# the end being stored ignores TERM
		kill_tree "$flow_pid" KILL
		kill_tree "$(cat "$run_dir/ending" 2>/dev/null)" KILL
	else
		kill_tree "$flow_pid"
	fi
}

# us: the time in microseconds (bash before 5: whole seconds)
# shellcheck disable=SC2317 # called by interrupted
usecs() {
	us=${EPOCHREALTIME//[!0-9]/}
	us=${us:-$((SECONDS * 1000000))}
}

# kill_tree PID [SIG]: SIG (TERM) to PID and every process under it (ps:
# procps, install-deps.sh --runtime):
# each one stopped before its children are listed, so that none forks
# past the walk, and all of them stopped before any is ended, so that
# none goes on as if its input had ended (a stage after one ended early
# would store and summarize a run cut short as completed).  (Not a
# process group of their own: with stty tostop a stage in the
# background group would stop at its first line on the terminal.)
# shellcheck disable=SC2317 # called by interrupted
kill_tree() {
	local -a tree=()
	[ -n "$1" ] || return 0
	stop_tree "$1"
	[ "${#tree[@]}" -gt 0 ] || return 0
	kill -"${2:-TERM}" "${tree[@]}" 2>/dev/null
	kill -CONT "${tree[@]}" 2>/dev/null
}
# shellcheck disable=SC2317 # called by kill_tree, into its tree
stop_tree() {
	local c
	kill -STOP "$1" 2>/dev/null || return 0
	tree+=("$1")
	for c in $(ps -o pid= --ppid "$1"); do stop_tree "$c"; done
}

usage_error() { rc=2 die "$@"; }

# --help: the usage on standard output, exit 0; one that could not be
# written (a full disk) is exit 3, said as the programs say it, and a
# reader that went away (SIGPIPE) is exit 3 unsaid.
help() {
	local hst=0
	usage 2>/dev/null || hst=$?
	[ "$hst" -eq 0 ] && exit 0
	[ "$hst" -gt 128 ] || echo "$prog: write error: standard output" >&2
	exit 3
}

# The code version a run records as git_sha: GITHUB_SHA, else the
# checkout's HEAD
git_version() {
	printf '%s\n' "${GITHUB_SHA:-$(git -C "$here" rev-parse HEAD 2>/dev/null || echo unknown)}"
}

# --version: the driver's code version and the first line of the
# --version of each program, the ones a flow runs (PM_BIN, the checkout's
# bin, PATH); one that does not answer is named, exit 3
version() {
	local p pm_path line vst=0 out
	out="$prog (git $(git_version))"
	for p in pm-fetch pm-normalize pm-group pm-experiment pm-store pm-summary; do
		pm_which "$p"
		if line=$("$pm_path" --version 2>/dev/null) && [ -n "$line" ]; then
			out+=$'\n'${line%%$'\n'*}
		else
			echo "$prog: $pm_path: no answer to --version (not found?)" >&2
			vst=3
		fi
	done
	printf '%s\n' "$out" 2>/dev/null ||
	    { echo "$prog: write error: standard output" >&2; exit 3; }
	exit "$vst"
}

# The programs a flow runs are there before anything runs: a missing one
# is exit 3 naming it, not a run half done (without jq no run record: the
# data stored under no run, exit 0; without pm-summary no lock, exit 127).
check_programs() {
	local p pm_path
	for p in "$@"; do
		if [ "$p" = jq ]; then
			command -v jq >/dev/null 2>&1 ||
			    die "jq: not found in PATH (the run records need it)"
			continue
		fi
		if [ "$p" = gzip ]; then
			command -v gzip >/dev/null 2>&1 ||
			    die "gzip: not found in PATH (a replay reads dumps through it)"
			continue
		fi
		pm_which "$p"
		command -v "$pm_path" >/dev/null 2>&1 && continue
		[ -z "${PM_BIN:-}" ] || die "$pm_path: not found (PM_BIN)"
		die "$p: not found in $here/bin, $here nor in PATH"
	done
}

# A whole number from lo to hi, or a usage error naming the option.
check_number() {
	local opt=$1 v=$2 lo=$3 hi=$4
	if ! [[ $v =~ ^[0-9]{1,10}$ ]] || [ "$((10#$v))" -lt "$lo" ] ||
	    [ "$((10#$v))" -gt "$hi" ]; then
		usage_error "$opt: not a number from $lo to $hi: $v"
	fi
}

# The run's clock: --now, else PM_NOW, else the time; started_at is the
# one timestamp every stage of the run is given.
set_clock() {
	if [ -z "$now" ]; then
		started_at=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
	elif [[ $now =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})$ ]] &&
	    started_at=$(date -u -d "$now" +%Y-%m-%dT%H:%M:%S.%3NZ 2>/dev/null); then
		:
	else
		usage_error "${now_opt:-PM_NOW}: not an RFC 3339 time" \
		    "(e.g. 2026-11-23T07:00:00Z): $now"
	fi
	run_date=${started_at%%T*}
}

# The daily target day: --target-date D, else the run date plus the
# window (option, PM_WINDOW_DAYS, TARGET_CLOSE_WINDOW_DAYS, 7).  The
# date given wins over a window from the environment, not over the option.
set_target() {
	local back
	target_opt=$target_date
	if [ -n "$target_date" ]; then
		[ -z "$window_opt" ] || usage_error "--target-date and" \
		    "--window-days exclude each other: the target day is a date" \
		    "or a number of days from the run date"
		back=$(date -u -d "$target_date" +%F 2>/dev/null)
		if ! [[ $target_date =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] ||
		    [ "$back" != "$target_date" ]; then
			usage_error "--target-date: not a date (YYYY-MM-DD): $target_date"
		fi
		[[ ! $target_date < $run_date ]] || usage_error "--target-date:" \
		    "$target_date is in the past (the run date is $run_date)"
		window_days=$(( ($(date -u -d "$target_date" +%s) -
		    $(date -u -d "$run_date" +%s)) / 86400 ))
		return
	fi
	local name=--window-days
	if [ -z "$window_opt" ]; then
		window_days=${PM_WINDOW_DAYS:-${TARGET_CLOSE_WINDOW_DAYS:-7}}
		if [ -n "${PM_WINDOW_DAYS:-}" ]; then name=PM_WINDOW_DAYS
		elif [ -n "${TARGET_CLOSE_WINDOW_DAYS:-}" ]; then
			name=TARGET_CLOSE_WINDOW_DAYS
		fi
	fi
	check_number "$name" "$window_days" 0 366
	window_days=$((10#$window_days))
	target_date=$(date -u -d "$run_date + $window_days days" +%F)
	# a run date late in 9999 (--now) puts it past what a date can be
	[[ $target_date =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] ||
	    usage_error "the target day, $run_date + $window_days days, is" \
	    "past 9999-12-31"
}

# N[s|m|h|d], at most 365 days, as pm-group takes it.
check_margin() {
	local -A unit=([s]=1 [m]=60 [h]=3600 [d]=86400)
	if ! [[ $margin =~ ^([0-9]{1,9})([smhd]?)$ ]] ||
	    [ $((10#${BASH_REMATCH[1]} * ${unit[${BASH_REMATCH[2]:-s}]})) -gt \
	    $((365 * 86400)) ]; then
		usage_error "${margin_opt:-PM_MARGIN}: not a duration of at most" \
		    "365 days (N, Ns, Nm, Nh or Nd): $margin"
	fi
}

# only_for FLOWS OPT WHAT: OPT, when given, is WHAT, and the flow is one
# of FLOWS (space separated)
only_for() {
	[ -z "$2" ] || [[ " $1 " == *" $flow "* ]] ||
	    usage_error "$flow: $2 is $3"
}

# --where, a jq expression pm-store --export compiles: one that does not
# compile is the run's own mistake, found before the run begins (a run
# recorded failed at every cron tick, its error another stage's line,
# before).  jq compiles it over no input, so never runs it (a space
# before it, so that jq never takes it for an option).
check_where() {
	local err
	[ -n "$where" ] || return 0
	err=$(jq " $where" 2>&1 </dev/null >/dev/null) && return 0
	err=$(grep -v '^jq: [0-9]* compile errors*$' <<<"$err" | tr -s ' \n' '  ')
	usage_error "--where: ${err% }"
}

run_flows='daily static delta events prices trades replay retry-failures'

# Everything about the run's own options is checked before anything runs:
# a mistake is exit 2, with no run row and no database created.
# pm-summary writes --summary-path last, after the run's end is stored:
# a path it cannot write (a directory, a directory without write access)
# is found now, before a run is recorded completed that then exits 3.  It
# writes a regular file through a temporary file beside it, so that
# directory must take one; anything else (a fifo, a device) is written in
# place.
check_summary_path() {
	local dir probe
	case $summary_path in ''|-) return ;; esac
	[ ! -d "$summary_path" ] ||
	    die "--summary-path $summary_path: is a directory"
	[ ! -e "$summary_path" ] || [ -f "$summary_path" ] || return 0
	dir=$(dirname -- "$summary_path")
	probe=$(mktemp -- "$dir/.pm-summary-probe.XXXXXX" 2>/dev/null) ||
	    die "--summary-path $summary_path: cannot write in $dir"
	rm -f -- "$probe"
}

check_options() {
	case $flow in
	replay) [ ${#positional[@]} -eq 1 ] ||
		usage_error "usage: pipelines.sh replay DUMP"
		# before the lock and the dump directory are made
		if [ "${positional[0]}" != - ] && { [ ! -r "${positional[0]}" ] ||
		    [ -d "${positional[0]}" ]; }; then
			usage_error "replay: cannot read ${positional[0]:-a dump}"
		fi ;;
	retry-failures) [ ${#positional[@]} -eq 1 ] ||
		usage_error "usage: pipelines.sh retry-failures RUN_ID" ;;
	*)	[ ${#positional[@]} -eq 0 ] ||
		    usage_error "$flow: unexpected argument: ${positional[0]}" ;;
	esac
	only_for status "${status_args[0]:-${status_path:+--status-path}}" \
	    "an option of the status flow"
	[ -z "$limit" ] || check_number --limit "$limit" 1 1000000000
	case ${score_args[0]:-} in
	'') ;;
	--json) only_for "status score" --json \
	    "an option of the status and score flows" ;;
	*) only_for score "${score_args[0]}" "an option of the score flow" ;;
	esac
	# an option another flow would have ignored without a word
	only_for daily "$daily_opt" "the daily flow's option"
	only_for "daily retry-failures" "$margin_opt" \
	    "an option of the daily and retry-failures flows"
	only_for trades "${where:+--where}" "the trades flow's option"
	# status, score and prune make no run: no run summary, no records
	only_for "$run_flows" "${summary_path:+--summary-path}" \
	    "an option of the flows that make a run"
	only_for "$run_flows" "${limit:+--limit}" \
	    "an option of the flows that make a run"
	# status writes its alert state, score nothing: neither is a dry run
	only_for "$run_flows prune" "${dry_run:+--dry-run}" \
	    "an option of the flows that make a run and of prune"
	only_for delta "$overlap_opt" "the delta flow's option"
	# pm-summary --score has no clock: score would drop it unsaid
	only_for "$run_flows status prune" "$now_opt" \
	    "an option of the flows that make a run, of status and of prune"
	[ -n "$list" ] || only_for "daily retry-failures" "$exp_opt" \
	    "an option of the daily and retry-failures flows"
	if [ "$flow" = prune ]; then
		[ -n "$keep_days" ] || usage_error "usage: pipelines.sh prune --keep-days N"
		check_number --keep-days "$keep_days" 0 100000
	elif [ -n "$keep_days" ]; then
		usage_error "--keep-days is prune's option"
	fi
	check_number --overlap "$overlap" 0 100000
	# the settings of the flows that forecast (PM_MARGIN,
	# PIPELINE_EVENT_BATCH_SIZE), checked where they are used: one in a
	# settings file shared with cron's other flows is not theirs to refuse
	case $flow in daily|retry-failures)
		check_margin ;;
	esac
	# the run lock's (take_lock), checked before anything is made (the
	# dump directory), named as the setting (not pm-summary's --ttl);
	# only by the flows that take the lock
	if [[ " $run_flows " == *" $flow "* ]] && [ -z "$list" ]; then
		check_number PM_LOCK_WAIT "${PM_LOCK_WAIT:-0}" 0 86400
		[ -z "${PM_LOCK_TTL:-}" ] ||
		    check_number PM_LOCK_TTL "$PM_LOCK_TTL" 3 86400
	fi
	case $flow:$list in daily:* | retry-failures:* | *:1)
		[ -z "${batch:-}" ] ||
		    check_number "${batch_opt:-PIPELINE_EVENT_BATCH_SIZE}" \
		    "$batch" 1 256 ;;
	*)	batch='' ;;
	esac
	# score has no clock (it refuses --now): PM_NOW is none of its business
	[ "$flow" = score ] || set_clock
	target_opt=''
	[ "$flow" != daily ] || set_target
}

main() {
	local envfile=${PM_ENV_FILE:-./.env} must=${PM_ENV_FILE:+1} arg
	flow=${1:-}
	case $flow in
	-h|--help) help ;;
	-V|--version) version ;;
	daily|static|delta|events|prices|trades|replay|retry-failures|status|score|prune) shift ;;
	'') usage >&2; exit 2 ;;
	*) echo "$prog: unknown flow: $flow" >&2; usage >&2; exit 2 ;;
	esac
	# a first pass for --env-file, so options still win over it
	for arg in "$@"; do
		case $arg in --env-file=*) envfile=${arg#*=} must=1 ;; esac
	done
	local prev=
	for arg in "$@"; do
		[ "$prev" = --env-file ] && envfile=$arg must=1
		prev=$arg
	done
	load_env "$envfile" "$must"
	# nor the settings file's: a key rc=0 there made every failure exit 0
	unset -v rc stages_file run_dir
	# The programs read no other settings file: all of this one is in
	# the environment now, and the environment wins.
	export PM_ENV_FILE=/dev/null

	db=${DATABASE_URL:-data/pm.db}
	window_days='' target_date='' dry_run='' limit='' window_opt=''
	where=''
	summary_path='' no_dump='' dump_dir=${PM_DUMP_DIR:-dumps} overlap=10
	progress='' exp_args=() positional=() now=${PM_NOW:-}
	score_args=() keep_days=''  # score: pm-summary's options; prune
	margin=${PM_MARGIN:-1h} list='' batch=${PIPELINE_EVENT_BATCH_SIZE:-}
	debug_dump='' status_args=() status_path=''
	# given, for only_for; a bad value named as it was given, the
	# option or the setting (PM_NOW...), not an option never given
	daily_opt='' overlap_opt='' exp_opt='' margin_opt='' now_opt=''
	batch_opt=''
	flow_pid='' locker_pid=''  # the signal traps' (never the environment's)
	while [ $# -gt 0 ]; do
		case $1 in
		--db|--env-file|--window-days|--target-date|--limit|--summary-path|\
		--dump-dir|--overlap|--config|--suite|--stage|--include-forecast|\
		--include-research|--override|--override-file|-j|--gamma-url|--clob-url|\
		--now|--margin|--experiment-override|--experiment-override-file|\
		--event-batch-size|--debug-dump-dir|--flow|--fresh|--stale|\
		--notify|--status-path|--where)
			[ $# -ge 2 ] || { rc=2 die "$1 needs a value"; } ;;
		esac
		case $1 in
		--db) db=$2; shift ;;
		--env-file) shift ;;
		--env-file=*) ;;
		--window-days) window_days=$2 window_opt=1 daily_opt=$1; shift ;;
		--target-date) target_date=$2 daily_opt=$1; shift ;;
		--now) now=$2 now_opt=$1; shift ;;
		--margin) margin=$2 margin_opt=$1; shift ;;
		--dry-run) dry_run=1 ;;
		--limit) limit=$2; shift ;;
		--summary-path) summary_path=$2; shift ;;
		--no-dump) no_dump=1 ;;
		--dump-dir) dump_dir=$2; shift ;;
		--overlap) overlap=$2 overlap_opt=$1; shift ;;
		--where) where=$2; shift ;;
		--progress) progress=1 ;;
		--buckets|--clamp|--plot)
			[ $# -ge 2 ] || { rc=2 die "$1 needs a value"; }
			score_args+=("$1" "$2"); shift ;;
		--json)	# status's or score's (pm-summary's either way)
			if [ "$flow" = status ]; then status_args+=(--json)
			else score_args+=(--json); fi ;;
		--keep-days)
			[ $# -ge 2 ] || { rc=2 die "$1 needs a value"; }
			keep_days=$2; shift ;;
		--no-progress) progress=off ;;
		--config|--suite|--stage|--include-forecast|--include-research|--override|--override-file)
			exp_args+=("$1" "$2") exp_opt=$1; shift ;;
		--experiment-override) exp_args+=(--override "$2") exp_opt=$1; shift ;;
		--experiment-override-file)
			exp_args+=(--override-file "$2") exp_opt=$1; shift ;;
		-j|--event-batch-size) batch=$2 exp_opt=$1 batch_opt=$1; shift ;;
		--debug-dump-dir) debug_dump=$2 exp_opt=$1; shift ;;
		--no-debug-dump) debug_dump='' ;;
		--list-experiments) list=1 ;;
		--gamma-url) export PM_GAMMA_URL=$2; shift ;;
		--flow|--fresh|--stale) status_args+=("$1" "$2"); shift ;;
		--notify) export PM_NOTIFY_URL=$2; shift ;;
		--status-path) status_path=$2; shift ;;
		--clob-url) export PM_CLOB_URL=$2; shift ;;
		-h|--help) help ;;
		-V|--version) version ;;
		-) positional+=("$1") ;;	# replay's standard input
		-*) echo "$prog: unknown option: $1" >&2; usage >&2; exit 2 ;;
		*) positional+=("$1") ;;
		esac
		shift
	done
	check_options
	progress_setting
	if [ -n "$list" ]; then check_programs pm-experiment
	else case $flow in
	status|score) check_programs pm-summary ;;
	prune) check_programs pm-store ;;
	daily) check_programs jq pm-summary pm-fetch pm-normalize pm-group \
		pm-store pm-experiment ;;
	retry-failures) check_programs jq pm-summary pm-store pm-experiment ;;
	replay) check_programs jq gzip pm-summary pm-store ;;
	*) check_programs jq pm-summary pm-fetch pm-normalize pm-store ;;
	esac; fi
	check_where
	[ -n "${batch:-}" ] && exp_args+=(-j "$batch")
	[ -n "${debug_dump:-}" ] && exp_args+=(--dump-dir "$debug_dump")
	if [ -n "$list" ]; then
		pm pm-experiment --list "${exp_args[@]}"
		exit
	fi
	# A bad config, a selection that leaves nothing or a selected variant's
	# key unset: exit 2 before anything is fetched (pm-experiment says why).
	case $flow in daily|retry-failures)
		pm pm-experiment --check "${exp_args[@]}" || exit 2 ;;
	esac

	# the tools read the database from the environment, never from argv:
	# a password in the URL must not show in ps
	export DATABASE_URL=$db

	case $flow in
	status) flow_status ;;
	score) pm pm-summary --score "${score_args[@]}"; exit ;;
	prune) flow_prune; exit ;;
	esac

	# ClickHouse keeps market data only: no groups, no --new-only
	case $flow:$db in
	daily:clickhouse*://* | retry-failures:clickhouse*://*)
		usage_error "$flow: not on ClickHouse: the daily flow's bookkeeping (--new-only) and experiment results need a PostgreSQL or SQLite database (pm-store(1), CLICKHOUSE)" ;;
	esac
	# a run id mistyped (or another database's, or a static run's: no
	# groups) is a usage error, not a run that retries nothing unsaid
	if [ "$flow" = retry-failures ]; then
		local known=0
		pm pm-store --export retry --run "${positional[0]}" --limit 1 \
		    >/dev/null || known=$?
		[ "$known" -ne 2 ] || usage_error "retry-failures: no daily or" \
		    "retry-failures run ${positional[0]} in the database:" \
		    "nothing retried"
		[ "$known" -eq 0 ] || die "retry-failures: cannot read run" \
		    "${positional[0]} from the database"
	fi
	run_id=$(date -u -d "$started_at" +%Y%m%dT%H%M%SZ)-$flow-$(od -An -N2 -tx2 /dev/urandom | tr -d ' ')
	git_sha=$(git_version)
	options_json=$(jq -cn --arg w "${window_opt:+$window_days}" --arg t "$target_opt" \
	    --arg d "$dry_run" --arg l "$limit" --arg m "$margin" \
	    '{window_days:(if $w=="" then null else ($w|tonumber) end),
	      target_date:(if $t=="" then null else $t end),
	      dry_run:($d=="1"), limit:(if $l=="" then null else ($l|tonumber) end),
	      margin:$m}')
	if [ "$flow" != daily ]; then window_days='' target_date=''; fi
	dump_file=$dump_dir/$run_id.ndjson
	# only these keep a dump: no directory for another flow, nor its
	# failure when one cannot be made (a PM_DUMP_DIR shared by cron's)
	case $flow in daily|retry-failures)
		[ -n "$no_dump" ] || mkdir -p -- "$dump_dir" ||
		    die "cannot create $dump_dir" ;;
	esac
	[ -n "$summary_path" ] && { mkdir -p -- "$(dirname -- "$summary_path")" ||
	    die "cannot create the directory of $summary_path"; }
	check_summary_path
	# A flow writes to standard output only with --summary-path -, but
	# every stage's wrapper needs it open (pm's 3>&1): closed, the last
	# stage never ran and the run was recorded before its stream ended.
	if ! { : 3>&1; } 2>/dev/null; then
		[ "$summary_path" != - ] ||
		    usage_error "--summary-path -: standard output is closed"
		exec >/dev/null
	fi
	trap 'interrupted INT 2' INT
	trap 'interrupted TERM 15' TERM
	trap 'interrupted HUP 1' HUP
	# a dry run writes nothing, so takes no lock: a lease row (on
	# PostgreSQL the schema for it) and runs left running marked
	# abandoned are writes; nor is it held up by a run, or holds one up
	[ -n "$dry_run" ] || take_lock
	run_dir=$(mktemp -d "${TMPDIR:-/tmp}/pm-run.XXXXXX") ||
	    die "cannot make a temporary directory"
	trap 'release_lock; rm -rf "$run_dir"' EXIT
	stages_file=$run_dir/stages
	: >"$stages_file"

	# The flow runs in the background and is waited for, which a trapped
	# signal interrupts, so that a signal to the driver (^C, a
	# scheduler's timeout) ends every stage of it (kill_tree), and the
	# run is recorded failed, never left to go on and be recorded
	# completed after the driver has gone.
	local status=0 stopped='' late='' late_end
	# <&0: a job in the background would read /dev/null instead (bash
	# without job control), and replay /dev/stdin would store nothing
	# The dump is held open (and so made) from here to the driver's
	# exit, by the driver alone: prune keeps a file a process has open
	# (its stages write the same file: > and tee truncate, not replace)
	local dump_hold=''
	if [ -z "$no_dump" ]; then case $flow in daily|retry-failures)
		{ exec {dump_hold}>>"$dump_file"; } 2>/dev/null || dump_hold='' ;;
	esac; fi
	{ [ -z "$dump_hold" ] || exec {dump_hold}>&-; run_flow; } <&0 &
	flow_pid=$!
	wait "$flow_pid" || status=$?
	# a signal once the run's end was decided only interrupted the wait:
	# the flow stores that end and ends (a second signal stops it)
	# (and ^C, the whole group's, the flow's shells: its exit is the
	# end's status, as for a run that ended unsignalled)
	if [ -n "$late" ] && [ -z "$stopped" ]; then
		wait "$flow_pid"
		# the shell storing the end outlives the flow's when the
		# signal was the whole group's (gone, or a zombie no one reaps)
		late_end=$(cat "$run_dir/ending" 2>/dev/null)
		while [ -n "$late_end" ] && [ -z "$stopped" ] &&
		    ps -o stat= -p "$late_end" | grep -qv '^Z'; do
			sleep 0.05
		done
		late_end=$(cut -d' ' -f1 "$run_dir/outcome" 2>/dev/null)
		case $late_end in
		completed) status=0 ;; partial) status=1 ;; *) status=3 ;;
		esac
		[ -n "$stopped" ] || echo "$prog: $flow: SIG$late after run" \
		    "$run_id had ended (${late_end:-unknown}): not stopped" >&2
	fi
	if [ -n "$stopped" ]; then
		wait "$flow_pid"
		# a replay is no run of its own: what it stored stays
		if [ "$flow" = replay ]; then
			echo "$prog: replay: SIG$stopped: replay of" \
			    "${positional[0]} stopped; what it stored stays:" \
			    "replay it again to store the rest" >&2
		else
			echo "$prog: $flow: SIG$stopped: run $run_id stopped" >&2
		fi
		[ -e "$run_dir/outcome" ] || finish_run claimed >/dev/null
		exit "$stopped_rc"
	fi
	if [ -e "$run_dir/dump.failed" ]; then
		echo "$prog: $flow: the dump $dump_file is incomplete" >&2
	elif [ -z "$no_dump" ] && [ "$flow" != replay ] && [ -e "$dump_file" ]; then
		echo "$prog: $flow: dump in $dump_file" >&2
	fi
	# the remedy pm-pipelines(7) gives: retry-failures has no group of
	# such a run, and the next run has a target day of its own
	if [ "$flow" = daily ] && [ -e "$run_dir/cut_short" ]; then
		echo "$prog: daily: run $run_id processed no group (its" \
		    "listing was cut short); to do its target day, run" \
		    "$prog daily --target-date $target_date again, on" \
		    "$target_date at the latest" >&2
	fi
	# a run recorded failed is a failed stage's exit status
	if [ "$status" -lt 3 ] && [ "$(cut -d' ' -f1 "$run_dir/outcome" \
	    2>/dev/null)" = failed ]; then
		status=3
	fi
	exit "$status"
}

main "$@"
