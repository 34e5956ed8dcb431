#!/bin/bash
# The deployment examples: every crontab line runs from a checkout without
# logs/ (the lines make it), the logrotate snippet covers the logs they
# write, the systemd unit has a StateDirectory its paths live in, and the
# GitHub Actions workflow runs in a debian:12 container and installs the
# build, not the test toolchain (tools/install-deps.sh --build).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"
# --spread-days 8: synthetic markets close on each of the next 8 days, so
# the crontab's daily run (--window-days 7) has markets to forecast and
# processes events, as a deployment's does; the status job measures the
# daily flow's freshness from processed_events (pm-summary(1) --status)
fake_start pm --markets 300 --events 5 --spread-days 8
EX=$TOP/examples

# the crontab's jobs: "M H D M W command" lines, the command only
jobs() { grep -E '^[0-9*/,-]+ +[0-9*/,-]+ +[0-9*] +[0-9*] +[0-9*]' "$EX/crontab" |
	sed -E 's/^([^ ]+ +){5}//'; }

test_expect_success 'crontab: every line that logs makes logs/ first' '
	jobs >j && test_line_count j -ge 6 &&
	grep ">>logs/" j >logging && test_line_count logging -ge 5 &&
	while read -r l; do
		case $l in *"mkdir -p logs && "*">>logs/"*) ;;
		*) echo "no mkdir before the log: $l"; exit 1 ;; esac
	done <logging
'

test_expect_success 'crontab: every job runs in a checkout without logs/' '
	mkdir pm && ln -s "$TOP/pipelines.sh" pm/pipelines.sh &&
	printf "DATABASE_URL=pm.db\n" >pm/.env &&
	# static first: delta needs a static run before it
	{ jobs | grep "pipelines.sh static"; jobs | grep -v "pipelines.sh static"; } >order &&
	while read -r l; do
		PM=$PWD/pm sh -c "$l" || { echo "failed ($?): $l"; cat pm/logs/*.log | tail -5; exit 1; }
	done <order &&
	test -d pm/logs && test -s pm/logs/daily.log && test -s pm/logs/prices.log &&
	test -s pm/logs/prune.log && test -s pm/logs/daily-summary.json &&
	test -s pm/logs/trades.log &&
	test "$(sqlite3 pm/pm.db "SELECT count(*) FROM processed_events")" -gt 0 &&
	test "$(sqlite3 pm/pm.db "SELECT count(DISTINCT flow) FROM processing_runs")" -eq 5
'

# A flow run more often than daily must run again before its data is
# stale: 20 minutes after the last fetch (pm-summary(1) --status, the
# thresholds of every flow but daily).  Run hourly, the status job of
# the crontab found the markets stale at each of its checks, and mailed.
test_expect_success 'crontab: a flow run within the day runs again before its data is stale' '
	grep -E "^[0-9*/,-]+ +[*] .*pipelines.sh (static|delta|events|prices|trades)( |$)" \
	    "$EX/crontab" | cut -d" " -f1 >minutes &&
	test_line_count minutes -ge 3 &&
	while read -r m; do
		case $m in
		"*/"*|*-*/*) p=${m##*/} ;;
		*) p=60 ;;	# one minute of the hour, or a list: take an hour
		esac
		test "$p" -le 20 || { echo "every $p minutes ($m), stale after 20"; exit 1; }
	done <minutes
'

test_expect_success 'logrotate: the snippet takes every log the crontab writes' '
	pat=$(sed -n "s|^\(/[^ ]*\) {$|\1|p" "$EX/logrotate") &&
	test_eq "/opt/pm/logs/*.log" "$pat" &&
	jobs | grep -o ">>logs/[^ ]*" | sed "s|>>|/opt/pm/|" >logs &&
	while read -r f; do
		case $f in $pat) ;; *) echo "not rotated: $f"; exit 1 ;; esac
	done <logs &&
	test_grep "^	rotate [0-9]" "$EX/logrotate" && test_grep -v "^	copytruncate" "$EX/logrotate" &&
	if command -v logrotate >/dev/null; then
		mkdir -p l && : >l/daily.log &&
		sed "s|/opt/pm/logs|$PWD/l|; /su pm pm/d" "$EX/logrotate" >conf &&
		logrotate -d -s state conf
	fi
'

test_expect_success 'systemd: StateDirectory, and the paths the unit writes are in it' '
	u=$EX/systemd/pm-daily.service &&
	test_grep "^StateDirectory=pm$" "$u" &&
	test_grep "^Environment=PM_DUMP_DIR=/var/lib/pm/" "$u" &&
	test_grep "^ExecStart=.*--summary-path /var/lib/pm/" "$u" &&
	if command -v systemd-analyze >/dev/null; then
		# every key known to this systemd (no machine state needed)
		sed "s|/opt/pm/pipelines.sh|/bin/true|" "$u" >pm-daily.service &&
		{ systemd-analyze verify --man=no ./pm-daily.service >verify 2>&1 || true; } &&
		test_grep -v -i "unknown key\|unknown lvalue\|unknown section" verify
	fi
'

# (yaml: Debian's python3-yaml, which tools/install-deps.sh installs)
test_expect_success 'GitHub Actions: a debian:12 container, the build deps, bash' '
	/usr/bin/python3 - "$EX/github/daily.yml" <<PY
import sys, yaml
w = yaml.safe_load(open(sys.argv[1]))
job = w["jobs"]["daily"]
assert job["container"] == "debian:12", job.get("container")
assert job["defaults"]["run"]["shell"] == "bash"
runs = [s.get("run", "") for s in job["steps"]]
assert any("tools/install-deps.sh --build" in r for r in runs), runs
assert not any("sudo" in r for r in runs), runs
PY
'

test_expect_success 'install-deps.sh: runtime within build within everything; no test toolchain in --build' '
	sh "$TOP/tools/install-deps.sh" --list --runtime | sort >rt &&
	sh "$TOP/tools/install-deps.sh" --list --build | sort >bd &&
	sh "$TOP/tools/install-deps.sh" --list | sort >all &&
	test_line_count rt -gt 5 &&
	test "$(comm -23 rt bd | wc -l)" -eq 0 && test "$(comm -23 bd all | wc -l)" -eq 0 &&
	test_grep -v -E "^(postgresql|clickhouse|pgbouncer|valgrind|shellcheck|clang|mandoc|python3)" bd &&
	test_grep -v -E "(-dev$|^gcc$|^make$)" rt &&
	test_grep "^libcurl4-openssl-dev$" bd && test_grep "^valgrind$" all &&
	sh "$TOP/tools/install-deps.sh" --list --demo | sort >dm && test_eq "python3" "$(comm -13 bd dm)" &&
	run sh "$TOP/tools/install-deps.sh" --bogus && expect_status 2 &&
	sh "$TOP/tools/install-deps.sh" --list --tests | sort >ts && test_cmp all ts
'

test_expect_success 'install-deps.sh --help names every option it takes' '
	sh "$TOP/tools/install-deps.sh" --help >help &&
	sed -n "s/^[[:space:]]*\(--[a-z]*\)).*/\1/p" "$TOP/tools/install-deps.sh" >opts &&
	test_line_count opts -ge 5 &&
	while read -r o; do test_grep -e "$o" help || exit 1; done <opts
'

test_expect_success 'install-deps.sh not as root: the exact commands, the lists updated first' '
	: a user of uid 1000 on a machine that has none of the packages &&
	mkdir fakebin &&
	printf "#!/bin/sh\necho 1000\n" >fakebin/id &&
	printf "#!/bin/sh\nexit 1\n" >fakebin/dpkg-query &&
	chmod +x fakebin/id fakebin/dpkg-query &&
	PATH=$PWD/fakebin:$PATH run sh "$TOP/tools/install-deps.sh" --runtime &&
	expect_status 1 && test ! -s out &&
	test_eq "install-deps.sh: missing Debian packages; run:" "$(head -n 1 err)" &&
	test_line_count err 2 &&
	test_eq "  sudo apt-get update && sudo apt-get install -y --no-install-recommends $(sh "$TOP/tools/install-deps.sh" --list --runtime | tr "\n" " " | sed "s/ \$//")" "$(tail -n 1 err)"
'

test_expect_success 'install-deps.sh: every form its --help shows runs, a bad one is named' '
	sh "$TOP/tools/install-deps.sh" --help >help &&
	sed -n "s/^  tools\/install-deps.sh *//p" help >forms &&
	test_line_count forms -ge 5 &&
	! grep -q "LEVEL" help &&
	for l in --runtime --build --demo; do
		sh "$TOP/tools/install-deps.sh" $l --list >a &&
		sh "$TOP/tools/install-deps.sh" --list $l >b && test_cmp a b || return 1
	done &&
	run sh "$TOP/tools/install-deps.sh" --list build && expect_status 2 &&
	test_grep "^install-deps.sh: unknown option: build (--runtime, --build, --demo, --tests, --list, --help)\$" err &&
	run sh "$TOP/tools/install-deps.sh" --tests --list && expect_status 0 &&
	test_line_count out -gt 20
'

test_done
