#!/bin/sh
# Install the Debian 12 packages the build, the tests and the demo need.
# As root it runs apt-get; otherwise it prints the exact command and fails.
set -eu

pkgs="gcc g++ make pkg-config libcurl4-openssl-dev libjq-dev libonig-dev
libsqlite3-dev libpq-dev libssl-dev libsimdjson-dev libzstd-dev mandoc jq sqlite3
python3 postgresql-15 postgresql-client-15 pgbouncer clickhouse-server
clickhouse-client
shellcheck util-linux curl clang libclang-rt-14-dev valgrind"

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	echo "install-deps: installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >&2
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing >&2
else
	echo "install-deps: missing Debian packages; run:" >&2
	echo "  sudo apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi
