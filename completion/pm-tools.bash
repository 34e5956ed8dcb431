# shellcheck shell=bash
# Bash completion for the pm-* programs and the pm-pipelines driver.
# Options are read from each program's own --help, so they never go stale;
# installed by `make install` under share/bash-completion/completions/,
# once per command name (bash-completion loads a file by the command's
# name).  To try it from a checkout: `. completion/pm-tools.bash`.

_pm_tools() {
	local cur prev cmd words opts
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	cmd=${COMP_WORDS[0]}
	case $prev in
	# -d: pm-store's and pm-summary's --db; -c: pm-experiment's --config
	-d | -c | --db | --config | --env-file | --summary-path | --json | --dump-dir | \
	    --cacert | --status-path | --plot | --debug-dump-dir | \
	    --experiment-override-file)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
		;;
	--format)
		mapfile -t COMPREPLY < <(compgen -W "ndjson csv tsv" -- "$cur")
		return
		;;
	--export | -e | --endpoint | --only | -o)
		case ${cmd##*/}:$prev in
		pm-store:--export | pm-store:-e)
			words="raw market markets event events price result group retry" ;;
		pm-normalize:*)
			words="markets events price prices prices-history midpoint book last-trade-price trades" ;;
		pm-fetch:--endpoint)
			words="prices price midpoint book last-trade-price" ;;
		esac
		if [ -n "${words:-}" ]; then
			mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
			return
		fi
		;;
	esac
	if [ "$COMP_CWORD" -eq 1 ] && [[ $cur != -* ]]; then
		case ${cmd##*/} in
		pm-fetch) words="markets events prices history trades" ;;
		pm-pipelines | pipelines.sh)
			words="daily static delta events prices trades replay retry-failures status score prune" ;;
		esac
		if [ -n "${words:-}" ]; then
			mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
			return
		fi
	fi
	if [[ $cur == -* ]]; then
		opts=$("$cmd" --help 2>&1 | grep -o -- '--[a-z][a-z0-9-]*' | sort -u)
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
		return
	fi
	mapfile -t COMPREPLY < <(compgen -f -- "$cur")
}
complete -F _pm_tools pm-fetch pm-normalize pm-group pm-experiment \
    pm-store pm-summary pm-pipelines pipelines.sh
