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
  daily             markets closing in the target window -> groups not yet
                    processed -> experiments -> dump -> store -> summary
  static            every active market with its events and prices
  delta             markets updated since the last static or delta run
  events            events with their tags
  prices            current prices and history for active tokens
  replay DUMP       store a dump again (no network)
  retry-failures RUN_ID
                    re-run the groups that failed retriably in RUN_ID
  status            data freshness (pm-summary --status)
  score             forecast scores (pm-summary --score)
options:
  --db URL          database (DATABASE_URL; default data/pm.db)
  --env-file F      settings file (default ./.env)
  --window-days N   daily: days from the target date (default 7)
  --target-date D   daily: first day of the window, YYYY-MM-DD (UTC)
  --dry-run         run everything, write nothing to the database
  --limit N         at most N groups (daily) or records (other flows)
  --summary-path P  write the JSON run summary to P
  --config F        experiments config (default: the builtin suite)
  --suite ID, --stage S, --include-forecast L, --include-research L,
  --override K=V, -j N
                    passed to pm-experiment
  --no-dump         do not keep the stream after experiments
  --dump-dir D      where dumps go (default dumps/)
  --overlap MIN     delta: minutes re-read before the watermark (default 10)
  --progress        progress on standard error
  -h, --help        this help
USAGE
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
	local key dir
	key=$(printf '%s' "$db" | sha256sum | cut -c1-16)
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
	local -a fa=(markets --closed false --window-days "$window_days")
	[ -n "$target_date" ] && fa+=(--target-date "$target_date")
	[ -n "$progress" ] && fa+=(--progress)
	{ run_record; pm pm-fetch "${fa[@]}"; } |
	    pm pm-normalize |
	    pm pm-group ${limit:+--limit "$limit"} |
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
	    --where '.active and (.closed | not)'; } |
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
	pm pm-store ${dry_run:+--dry-run} <"$1" | summary
	check_stages pm-store pm-summary
}

flow_retry() {
	local failed_run=$1
	{ run_record; pm pm-store --export retry --run "$failed_run"; } |
	    pm pm-experiment "${exp_args[@]}" |
	    dump_to |
	    store |
	    summary
	check_stages "pm-store --export" pm-experiment dump pm-store pm-summary
}

main() {
	local envfile=./.env arg
	flow=${1:-}
	case $flow in
	-h|--help) usage; exit 0 ;;
	daily|static|delta|events|prices|replay|retry-failures|status|score) shift ;;
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
	window_days=${PM_WINDOW_DAYS:-7} target_date='' dry_run='' limit=''
	summary_path='' no_dump='' dump_dir=${PM_DUMP_DIR:-dumps} overlap=10
	progress='' exp_args=() positional=()
	while [ $# -gt 0 ]; do
		case $1 in
		--db|--env-file|--window-days|--target-date|--limit|--summary-path|\
		--dump-dir|--overlap|--config|--suite|--stage|--include-forecast|\
		--include-research|--override|--override-file|-j|--gamma-url|--clob-url)
			[ $# -ge 2 ] || { rc=2 die "$1 needs a value"; } ;;
		esac
		case $1 in
		--db) db=$2; shift ;;
		--env-file) shift ;;
		--env-file=*) ;;
		--window-days) window_days=$2; shift ;;
		--target-date) target_date=$2; shift ;;
		--dry-run) dry_run=1 ;;
		--limit) limit=$2; shift ;;
		--summary-path) summary_path=$2; shift ;;
		--no-dump) no_dump=1 ;;
		--dump-dir) dump_dir=$2; shift ;;
		--overlap) overlap=$2; shift ;;
		--progress) progress=1 ;;
		--config|--suite|--stage|--include-forecast|--include-research|--override|--override-file)
			exp_args+=("$1" "$2"); shift ;;
		-j) exp_args+=(-j "$2"); shift ;;
		--gamma-url) export PM_GAMMA_URL=$2; shift ;;
		--clob-url) export PM_CLOB_URL=$2; shift ;;
		-h|--help) usage; exit 0 ;;
		-*) echo "$prog: unknown option: $1" >&2; usage >&2; exit 2 ;;
		*) positional+=("$1") ;;
		esac
		shift
	done
	if ! [[ $window_days =~ ^[0-9]+$ ]] || [ "$window_days" -lt 1 ] ||
	    [ "$window_days" -gt 366 ]; then
		rc=2 die "--window-days: not a number from 1 to 366: $window_days"
	fi
	[ -z "$limit" ] || [[ $limit =~ ^[0-9]+$ ]] ||
	    { rc=2 die "--limit: not a number: $limit"; }
	[ -z "$target_date" ] || date -u -d "$target_date" +%F >/dev/null 2>&1 ||
	    { rc=2 die "--target-date: not a date: $target_date"; }

	# the tools read the database from the environment, never from argv:
	# a password in the URL must not show in ps
	export DATABASE_URL=$db

	case $flow in
	status) pm pm-summary --status; exit ;;
	score) pm pm-summary --score; exit ;;
	esac

	run_date=$(date -u +%F)
	started_at=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
	run_id=$(date -u +%Y%m%dT%H%M%SZ)-$flow-$(od -An -N2 -tx2 /dev/urandom | tr -d ' ')
	git_sha=${GITHUB_SHA:-$(git -C "$here" rev-parse HEAD 2>/dev/null || echo unknown)}
	options_json=$(jq -cn --arg w "$window_days" --arg t "$target_date" \
	    --arg d "$dry_run" --arg l "$limit" \
	    '{window_days:($w|tonumber), target_date:(if $t=="" then null else $t end),
	      dry_run:($d=="1"), limit:(if $l=="" then null else ($l|tonumber) end)}')
	[ "$flow" = daily ] || window_days=
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
	replay) [ ${#positional[@]} -eq 1 ] || { rc=2 die "usage: pipelines.sh replay DUMP"; }
		flow_replay "${positional[0]}" || status=$? ;;
	retry-failures) [ ${#positional[@]} -eq 1 ] ||
		{ rc=2 die "usage: pipelines.sh retry-failures RUN_ID"; }
		flow_retry "${positional[0]}" || status=$? ;;
	esac
	[ -n "$no_dump" ] || [ "$flow" = replay ] || [ ! -e "$dump_file" ] ||
	    echo "$prog: $flow: dump in $dump_file" >&2
	exit "$status"
}

main "$@"
