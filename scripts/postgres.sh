#!/usr/bin/env bash
# Makes sure a private PostgreSQL cluster for this checkout is running and prints
# its connection string (superuser, database "engine") on stdout.
# Installs the Debian package when no PostgreSQL is present. The cluster lives
# under .pg/ (ignored by git) and listens on 127.0.0.1 on a free port.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
pgdir="$root/.pg"

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
bin="$(find_bin)"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "postgres.sh: installing PostgreSQL from Debian packages..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  bin="$(find_bin)"
fi

# PostgreSQL refuses to run as root: run the cluster as the 'postgres' user then.
as_pg() { "$@"; }
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
  as_pg() { runuser -u postgres -- "$@"; }
  # The data folder must be reachable by that user; fall back to /tmp when it is not.
  if ! runuser -u postgres -- test -x "$root"; then
    pgdir="/tmp/engine-pg-$(echo "$root" | sha1sum | cut -c1-12)"
  fi
fi
mkdir -p "$pgdir"
[ "$(id -u)" = 0 ] && chown postgres "$pgdir"

if [ ! -f "$pgdir/data/PG_VERSION" ]; then
  as_pg "$bin/initdb" -D "$pgdir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
fi

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if ! as_pg "$bin/pg_ctl" -D "$pgdir/data" status >/dev/null 2>&1; then
  port=55432
  while port_in_use "$port"; do port=$((port + 1)); done
  echo "$port" > "$pgdir/port"
  as_pg "$bin/pg_ctl" -D "$pgdir/data" -l "$pgdir/data/server.log" -w -t 60 start \
    -o "-p $port -k $pgdir/data -c listen_addresses=127.0.0.1 -c max_connections=400 -c shared_buffers=512MB" >/dev/null
fi
port="$(cat "$pgdir/port")"

if ! as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc "select 1 from pg_database where datname='engine'" | grep -q 1; then
  as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres engine
fi
echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=engine"
