#!/usr/bin/env bash
# Makes sure a private PostgreSQL cluster for this checkout is running and prints
# its connection string (superuser, database "engine") on stdout.
# Installs the Debian package when no PostgreSQL is present. The cluster lives
# under .pg/ (ignored by git) and listens on 127.0.0.1 on a free port. Every
# connection authenticates with a password (scram-sha-256); the password is
# generated once and kept in .pg/password (ignored by git, readable by its owner only).
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
mkdir -p "$pgdir" "$root/.pg"
[ "$(id -u)" = 0 ] && chown postgres "$pgdir"

secret="$root/.pg/password"
if [ ! -s "$secret" ]; then
  (umask 077; head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32 > "$secret")
fi
password="$(cat "$secret")"
export PGPASSWORD="$password"

if [ ! -f "$pgdir/data/PG_VERSION" ]; then
  pwfile="$(mktemp)"
  printf '%s\n' "$password" > "$pwfile"
  [ "$(id -u)" = 0 ] && chown postgres "$pwfile"
  as_pg "$bin/initdb" -D "$pgdir/data" -U postgres --auth=scram-sha-256 --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
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

# A cluster made by an older version of this script trusted every local account: give it the password and require it.
if grep -Eq '^[^#].*[[:space:]]trust[[:space:]]*$' "$pgdir/data/pg_hba.conf"; then
  as_pg "$bin/psql" -h "$pgdir/data" -p "$port" -U postgres -d postgres -qtAc "alter role postgres password '$password'" >/dev/null
  as_pg sed -i -E 's/[[:space:]]trust[[:space:]]*$/ scram-sha-256/' "$pgdir/data/pg_hba.conf"
  as_pg "$bin/pg_ctl" -D "$pgdir/data" reload >/dev/null
fi

if ! as_pg env PGPASSWORD="$password" "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc "select 1 from pg_database where datname='engine'" | grep -q 1; then
  as_pg env PGPASSWORD="$password" "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres engine
fi
echo "Host=127.0.0.1;Port=$port;Username=postgres;Password=$password;Database=engine"
