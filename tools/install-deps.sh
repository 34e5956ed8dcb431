#!/bin/sh
# Install the Debian 12 packages the pm-* tools need.  As root it runs
# apt-get; otherwise it prints the exact command and fails.
#
#   tools/install-deps.sh [--tests]  everything: build, tests, demo, lint
#   tools/install-deps.sh --build    what building and running the daily
#                                    flow needs (a CI job, a server)
#   tools/install-deps.sh --runtime  what installed programs and the driver
#                                    need to run: libraries and commands
#   tools/install-deps.sh --demo     the build and the demo's fake server
#   tools/install-deps.sh [--runtime|--build|--demo|--tests] --list
#                                    print the packages, install none
set -eu

runtime="libcurl4 libjq1 libonig5 libsqlite3-0 libpq5 libssl3 libsimdjson14 libzstd1
jq sqlite3 ca-certificates coreutils util-linux procps"
build="$runtime gcc g++ make pkg-config libcurl4-openssl-dev libjq-dev
libonig-dev libsqlite3-dev libpq-dev libssl-dev libsimdjson-dev libzstd-dev"
demo="$build python3"
tests="$build mandoc python3 python3-pandas python3-yaml postgresql-15 postgresql-client-15
pgbouncer clickhouse-server clickhouse-client shellcheck curl clang
libclang-rt-14-dev valgrind locales"

level=tests list=
while [ $# -gt 0 ]; do
	case $1 in
	--runtime) level=runtime ;;
	--build) level=build ;;
	--demo) level=demo ;;
	--tests) level=tests ;;
	--list) list=1 ;;
	-h|--help)
		sed -n '2,12s/^# \{0,1\}//p' "$0"
		exit 0 ;;
	*) echo "install-deps.sh: unknown option: $1 (--runtime, --build, --demo, --tests, --list, --help)" >&2
	   exit 2 ;;
	esac
	shift
done
case $level in
runtime) pkgs=$runtime ;;
build) pkgs=$build ;;
demo) pkgs=$demo ;;
*) pkgs=$tests ;;
esac

if [ -n "$list" ]; then
	# shellcheck disable=SC2086
	printf '%s\n' $pkgs
	exit 0
fi

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	echo "install-deps.sh: installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >&2
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing >&2
else
	# what root would run: the package lists first (a fresh machine or
	# container has none, and apt-get install finds no package then)
	echo "install-deps.sh: missing Debian packages; run:" >&2
	echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi
