#!/bin/bash
# pipelines.sh - the pm-* flows: daily, static, delta, events, prices,
# replay, retry-failures, status and score.  See pm-pipelines(7).
#
# Settings come from options, then the environment, then an env file
# (--env-file, default ./.env).  The exit status names the stage that
# failed: 0 ok, 1 some records failed (reported, the rest stored), 2 usage,
# 3 a stage could not run (API, database, disk), 4 another run of the same
# flow holds the lock.
set -u -o pipefail

prog=pipelines.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { echo "$prog: $*" >&2; exit "${rc:-3}"; }
usage() {
	cat <<'USAGE'
usage: pipelines.sh FLOW [options]
flows:
  daily             markets closing on the target day -> groups not yet
                    processed -> experiments -> dump -> store -> summary
  static            every active market with its events and prices
  delta             markets updated since the last static or delta run
  events            events with their tags
  prices            current prices and history for active tokens
  replay DUMP       store a dump again (no network)
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
  --margin DUR      daily: markets closing sooner than DUR after the run's
                    start are skipped: N[s|m|h|d] (PM_MARGIN; default 1h)
  --now T           the run's clock, RFC 3339 (PM_NOW; default the time)
  --dry-run         run everything, write nothing to the database
  --limit N         daily: whole groups until N markets; prices: N
                    markets; retry-failures: N groups; replay: the first
                    N records; other flows: at most N records
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
  --progress        progress on standard error, a line per stage at most
                    every second (default on a terminal, unless TERM=dumb)
  --no-progress     none
  -h, --help        this help
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
# a file with a bad line is refused whole (exit 2).
load_env() {
	local f=$1 pairs line key
	[ -f "$f" ] || return 0
	pairs=$(env_file_pairs "$f") ||
	    { echo "pipelines.sh: ${pairs##*$'\n'}" >&2; exit 2; }
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		key=${line%%=*}
		# shellcheck disable=SC2163 # exports KEY=VALUE, as written
		[ -z "${!key+x}" ] && export "$line"
	done <<<"$pairs"
}

pm() {
	local p=$1; shift
	if [ -n "${PM_BIN:-}" ]; then "$PM_BIN/$p" "$@"
	elif [ -x "$here/bin/$p" ]; then "$here/bin/$p" "$@"
	else "$p" "$@"; fi
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

# One lock per flow and database: two runs never overlap.
take_lock() {
	local key dir path=$db
	# a file path names one database wherever it is run from
	case $db in *:*) ;; *) path=$(realpath -m -- "$db") ;; esac
	key=$(printf '%s' "$path" | sha256sum | cut -c1-16)
	dir=${PM_LOCK_DIR:-${TMPDIR:-/tmp}}
	lockfile=$dir/pm-$flow-$key.lock
	exec 9>"$lockfile" || die "cannot open lock $lockfile"
	flock -n 9 || { rc=4 die "another $flow run on this database holds $lockfile"; }
}

# Name the first stage that failed; 1 (records failed) is not a failure
# of the stage itself.
check_stages() {
	local -a st=("${PIPESTATUS[@]}") names=("$@")
	local i worst=0
	for i in "${!st[@]}"; do
		if [ "${st[$i]}" -gt 1 ]; then
			echo "$prog: $flow: ${names[$i]:-stage $i} failed (status ${st[$i]})" >&2
			[ "$worst" -le 1 ] && worst=3
		elif [ "${st[$i]}" -eq 1 ] && [ "$worst" -eq 0 ]; then
			worst=1
		fi
	done
	return "$worst"
}

dump_to() {
	if [ -n "$no_dump" ]; then cat; else tee "$dump_file"; fi
}
store() { pm pm-store ${dry_run:+--dry-run}; }
summary() { pm pm-summary ${summary_path:+--json "$summary_path"}; }

flow_daily() {
	local -a fa=(markets --closed false --target-date "$target_date"
	    --now "$started_at")
	[ -n "$progress" ] && fa+=(--progress)
	{ run_record; pm pm-fetch "${fa[@]}"; } |
	    pm pm-normalize |
	    pm pm-group --now "$started_at" --margin "$margin" \
	    ${limit:+--limit-markets "$limit"} |
	    pm pm-store --new-only |
	    pm pm-experiment "${exp_args[@]}" |
	    dump_to |
	    store |
	    summary
	check_stages pm-fetch pm-normalize pm-group "pm-store --new-only" \
	    pm-experiment dump pm-store pm-summary
}

flow_static() {
	local -a fa=(--closed false ${limit:+--limit "$limit"})
	[ -n "$progress" ] && fa+=(--progress)
	{ run_record; pm pm-fetch markets "${fa[@]}" &&
	    pm pm-fetch events "${fa[@]}"; } |
	    pm pm-normalize |
	    pm pm-fetch prices |
	    pm pm-normalize --only prices,price,prices-history,book,midpoint |
	    store |
	    summary
	check_stages pm-fetch pm-normalize "pm-fetch prices" "pm-normalize prices" \
	    pm-store pm-summary
}

flow_delta() {
	local since
	since=$(pm pm-store --last-run static,delta) ||
	    die "cannot read the last static or delta run from the database"
	[ -n "$since" ] || die "no completed static or delta run yet: run the static flow first"
	since=$(date -u -d "$since - ${overlap} minutes" +%Y-%m-%dT%H:%M:%SZ) ||
	    die "bad watermark: $since"
	{ run_record; pm pm-fetch markets --closed any --updated-since "$since" \
	    ${limit:+--limit "$limit"} ${progress:+--progress}; } |
	    pm pm-normalize |
	    store |
	    summary
	check_stages pm-fetch pm-normalize pm-store pm-summary
}

flow_events() {
	{ run_record; pm pm-fetch events --closed false ${limit:+--limit "$limit"} \
	    ${progress:+--progress}; } |
	    pm pm-normalize |
	    store |
	    summary
	check_stages pm-fetch pm-normalize pm-store pm-summary
}

flow_prices() {
	{ run_record; pm pm-store --export market \
	    --where '.active and (.closed | not)' ${limit:+--limit "$limit"}; } |
	    pm pm-fetch prices ${progress:+--progress} |
	    pm pm-fetch history ${progress:+--progress} |
	    pm pm-normalize |
	    store |
	    summary
	check_stages "pm-store --export" "pm-fetch prices" "pm-fetch history" \
	    pm-normalize pm-store summary
}

flow_replay() {
	[ -r "$1" ] || { rc=2 die "replay: cannot read ${1:-a dump}"; }
	if [ -n "$limit" ]; then
		head -n "$limit" -- "$1" | pm pm-store ${dry_run:+--dry-run} | summary
		check_stages head pm-store pm-summary
		return
	fi
	pm pm-store ${dry_run:+--dry-run} <"$1" | summary
	check_stages pm-store pm-summary
}

flow_retry() {
	local failed_run=$1
	{ run_record; pm pm-store --export retry --run "$failed_run" \
	    ${limit:+--limit "$limit"}; } |
	    pm pm-experiment "${exp_args[@]}" |
	    dump_to |
	    store |
	    summary
	check_stages "pm-store --export" pm-experiment dump pm-store pm-summary
}

# Dumps and logs older than --keep-days, and the raw payload versions
# fetched before then that no row needs (pm-store --prune-before; the
# database part is pm-store's, so a change of storage stays there).
flow_prune() {
	local cut logs=${PM_LOG_DIR:-logs} f n=0 rc=0
	cut=$(date -u -d "$started_at - $keep_days days" +%Y-%m-%dT%H:%M:%SZ)
	for f in "$dump_dir" "$logs"; do
		[ -d "$f" ] || continue
		while IFS= read -r -d '' f; do
			if [ -n "$dry_run" ]; then echo "would remove $f"
			else rm -f -- "$f" || rc=3; fi
			n=$((n + 1))
		done < <(find "$f" -maxdepth 1 -type f \( -name '*.ndjson' \
		    -o -name '*.ndjson.gz' -o -name '*.log' -o -name '*.log.*' \) \
		    ! -newermt "$cut" -print0)
	done
	echo "$prog: prune: $n dump and log file(s) older than $cut${dry_run:+ would go}" >&2
	pm pm-store ${dry_run:+--dry-run} --prune-before "$cut" || rc=3
	return "$rc"
}

usage_error() { rc=2 die "$@"; }

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
		usage_error "--now: not an RFC 3339 time (e.g. 2026-11-23T07:00:00Z): $now"
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
	[ -n "$window_opt" ] ||
	    window_days=${PM_WINDOW_DAYS:-${TARGET_CLOSE_WINDOW_DAYS:-7}}
	check_number --window-days "$window_days" 0 366
	window_days=$((10#$window_days))
	target_date=$(date -u -d "$run_date + $window_days days" +%F)
}

# N[s|m|h|d] up to a year, as pm-group takes it.
check_margin() {
	local -A unit=([s]=1 [m]=60 [h]=3600 [d]=86400)
	if ! [[ $margin =~ ^([0-9]{1,9})([smhd]?)$ ]] ||
	    [ $((10#${BASH_REMATCH[1]} * ${unit[${BASH_REMATCH[2]:-s}]})) -gt \
	    $((366 * 86400)) ]; then
		usage_error "--margin: not a duration up to a year (N, Ns, Nm," \
		    "Nh or Nd): $margin"
	fi
}

# Everything about the run's own options is checked before anything runs:
# a mistake is exit 2, with no run row and no database created.
check_options() {
	case $flow in
	replay) [ ${#positional[@]} -eq 1 ] ||
		usage_error "usage: pipelines.sh replay DUMP" ;;
	retry-failures) [ ${#positional[@]} -eq 1 ] ||
		usage_error "usage: pipelines.sh retry-failures RUN_ID" ;;
	*)	[ ${#positional[@]} -eq 0 ] ||
		    usage_error "$flow: unexpected argument: ${positional[0]}" ;;
	esac
	[ -z "$limit" ] || check_number --limit "$limit" 1 1000000000
	[ ${#score_args[@]} -eq 0 ] || [ "$flow" = score ] ||
	    usage_error "--buckets, --clamp, --json and --plot are score's options"
	if [ "$flow" = prune ]; then
		[ -n "$keep_days" ] || usage_error "usage: pipelines.sh prune --keep-days N"
		check_number --keep-days "$keep_days" 0 100000
	elif [ -n "$keep_days" ]; then
		usage_error "--keep-days is prune's option"
	fi
	[ -z "${batch:-}" ] || check_number --event-batch-size "$batch" 1 256
	check_number --overlap "$overlap" 0 100000
	check_margin
	set_clock
	target_opt=''
	[ "$flow" != daily ] || set_target
}

main() {
	local envfile=./.env arg
	flow=${1:-}
	case $flow in
	-h|--help) usage; exit 0 ;;
	daily|static|delta|events|prices|replay|retry-failures|status|score|prune) shift ;;
	'') usage >&2; exit 2 ;;
	*) echo "$prog: unknown flow: $flow" >&2; usage >&2; exit 2 ;;
	esac
	# a first pass for --env-file, so options still win over it
	for arg in "$@"; do
		case $arg in --env-file=*) envfile=${arg#*=} ;; esac
	done
	local prev=
	for arg in "$@"; do
		[ "$prev" = --env-file ] && envfile=$arg
		prev=$arg
	done
	load_env "$envfile"
	# The programs read no other settings file: all of this one is in
	# the environment now, and the environment wins.
	export PM_ENV_FILE=/dev/null

	db=${DATABASE_URL:-data/pm.db}
	window_days='' target_date='' dry_run='' limit='' window_opt=''
	summary_path='' no_dump='' dump_dir=${PM_DUMP_DIR:-dumps} overlap=10
	progress='' exp_args=() positional=() now=${PM_NOW:-}
	score_args=() keep_days=''  # score: pm-summary's options; prune
	margin=${PM_MARGIN:-1h} list='' batch=${PIPELINE_EVENT_BATCH_SIZE:-}
	debug_dump=''
	while [ $# -gt 0 ]; do
		case $1 in
		--db|--env-file|--window-days|--target-date|--limit|--summary-path|\
		--dump-dir|--overlap|--config|--suite|--stage|--include-forecast|\
		--include-research|--override|--override-file|-j|--gamma-url|--clob-url|\
		--now|--margin|--experiment-override|--experiment-override-file|\
		--event-batch-size|--debug-dump-dir)
			[ $# -ge 2 ] || { rc=2 die "$1 needs a value"; } ;;
		esac
		case $1 in
		--db) db=$2; shift ;;
		--env-file) shift ;;
		--env-file=*) ;;
		--window-days) window_days=$2 window_opt=1; shift ;;
		--target-date) target_date=$2; shift ;;
		--now) now=$2; shift ;;
		--margin) margin=$2; shift ;;
		--dry-run) dry_run=1 ;;
		--limit) limit=$2; shift ;;
		--summary-path) summary_path=$2; shift ;;
		--no-dump) no_dump=1 ;;
		--dump-dir) dump_dir=$2; shift ;;
		--overlap) overlap=$2; shift ;;
		--progress) progress=1 ;;
		--buckets|--clamp|--plot)
			[ $# -ge 2 ] || { rc=2 die "$1 needs a value"; }
			score_args+=("$1" "$2"); shift ;;
		--json) score_args+=(--json) ;;
		--keep-days)
			[ $# -ge 2 ] || { rc=2 die "$1 needs a value"; }
			keep_days=$2; shift ;;
		--no-progress) progress=off ;;
		--config|--suite|--stage|--include-forecast|--include-research|--override|--override-file)
			exp_args+=("$1" "$2"); shift ;;
		--experiment-override) exp_args+=(--override "$2"); shift ;;
		--experiment-override-file) exp_args+=(--override-file "$2"); shift ;;
		-j|--event-batch-size) batch=$2; shift ;;
		--debug-dump-dir) debug_dump=$2; shift ;;
		--no-debug-dump) debug_dump='' ;;
		--list-experiments) list=1 ;;
		--gamma-url) export PM_GAMMA_URL=$2; shift ;;
		--clob-url) export PM_CLOB_URL=$2; shift ;;
		-h|--help) usage; exit 0 ;;
		-*) echo "$prog: unknown option: $1" >&2; usage >&2; exit 2 ;;
		*) positional+=("$1") ;;
		esac
		shift
	done
	check_options
	progress_setting
	[ -n "${batch:-}" ] && exp_args+=(-j "$batch")
	[ -n "${debug_dump:-}" ] && exp_args+=(--dump-dir "$debug_dump")
	if [ -n "$list" ]; then
		pm pm-experiment --list "${exp_args[@]}"
		exit
	fi

	# the tools read the database from the environment, never from argv:
	# a password in the URL must not show in ps
	export DATABASE_URL=$db

	case $flow in
	status) pm pm-summary --status; exit ;;
	score) pm pm-summary --score "${score_args[@]}"; exit ;;
	prune) flow_prune; exit ;;
	esac

	run_id=$(date -u -d "$started_at" +%Y%m%dT%H%M%SZ)-$flow-$(od -An -N2 -tx2 /dev/urandom | tr -d ' ')
	git_sha=${GITHUB_SHA:-$(git -C "$here" rev-parse HEAD 2>/dev/null || echo unknown)}
	options_json=$(jq -cn --arg w "${window_opt:+$window_days}" --arg t "$target_opt" \
	    --arg d "$dry_run" --arg l "$limit" --arg m "$margin" \
	    '{window_days:(if $w=="" then null else ($w|tonumber) end),
	      target_date:(if $t=="" then null else $t end),
	      dry_run:($d=="1"), limit:(if $l=="" then null else ($l|tonumber) end),
	      margin:$m}')
	if [ "$flow" != daily ]; then window_days='' target_date=''; fi
	dump_file=$dump_dir/$run_id.ndjson
	[ -n "$no_dump" ] || mkdir -p "$dump_dir" || die "cannot create $dump_dir"
	[ -n "$summary_path" ] && { mkdir -p "$(dirname "$summary_path")" ||
	    die "cannot create the directory of $summary_path"; }
	take_lock

	local status=0
	case $flow in
	daily) flow_daily || status=$? ;;
	static) flow_static || status=$? ;;
	delta) flow_delta || status=$? ;;
	events) flow_events || status=$? ;;
	prices) flow_prices || status=$? ;;
	replay) flow_replay "${positional[0]}" || status=$? ;;
	retry-failures) flow_retry "${positional[0]}" || status=$? ;;
	esac
	[ -n "$no_dump" ] || [ "$flow" = replay ] || [ ! -e "$dump_file" ] ||
	    echo "$prog: $flow: dump in $dump_file" >&2
	exit "$status"
}

main "$@"
