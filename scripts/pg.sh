#!/usr/bin/env bash
# A throw-away PostgreSQL + PostGIS cluster on a loopback port, for the test suite's second pass and
# for the benchmarks. Nothing outside DIR is touched; `stop` removes DIR.
#
#   url=$(bash scripts/pg.sh start DIR [-c name=value ...])   # prints postgresql://postgres@127.0.0.1:PORT/liuyu
#   bash scripts/pg.sh stop DIR
#
# DIR must be new or empty. As root (CI) the server runs as the `postgres` user (runuser), otherwise as
# the caller. PGPORT picks the port (default: a free one). The cluster trusts local connections only
# (127.0.0.1, no password) and runs with fsync off: it is for tests and measurements, never for data.
set -euo pipefail

usage() { echo "usage: $0 start DIR [-c name=value ...] | stop DIR" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1 dir=$2
shift 2

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); run: bash scripts/system-deps.sh --postgis" >&2
  exit 1
fi
as_owner=()
[ "$(id -u)" -ne 0 ] || as_owner=(runuser -u postgres --)

case "$cmd" in
start)
  mkdir -p "$dir"
  [ -z "$(ls -A "$dir")" ] || { echo "$dir is not empty" >&2; exit 1; }
  [ "$(id -u)" -ne 0 ] || chown postgres: "$dir"
  port=${PGPORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
  "${as_owner[@]}" "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  opts="-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
  opts+=" -c full_page_writes=off -c max_connections=200"
  for extra in "$@"; do [ "$extra" = "-c" ] || opts+=" -c $extra"; done
  "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -o "$opts" -l "$dir/server.log" -w -t 60 start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
  psql=("${as_owner[@]}" "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -qAt)
  "${psql[@]}" -d postgres -c "CREATE DATABASE liuyu" >/dev/null
  "${psql[@]}" -d liuyu -c "CREATE EXTENSION postgis" >/dev/null
  echo "postgresql://postgres@127.0.0.1:$port/liuyu"
  ;;
stop)
  if [ -f "$dir/data/postmaster.pid" ]; then
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  ;;
*) usage ;;
esac
