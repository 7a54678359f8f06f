#!/usr/bin/env bash
# Restores a dump made by scripts/backup.sh into a fresh database on the server of ConnectionStrings__Postgres, and
# with --start starts a node on it (any further arguments go to the node, e.g. --urls http://127.0.0.1:8080).
# The restored database starts a new cluster: the old silos' membership rows are removed (reminders, the outbox and
# everything else are kept), so the node does not wait on silos that are gone.
# Usage: scripts/restore.sh FILE DATABASE [--start [node arguments…]]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -ge 2 ] || { echo "Usage: scripts/restore.sh FILE DATABASE [--start [node arguments...]]" >&2; exit 2; }
dump="$1"; database="$2"; shift 2
[ -f "$dump" ] || { echo "restore.sh: no dump at $dump" >&2; exit 2; }
[[ "$database" =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "restore.sh: database names are lower-case letters, digits, _" >&2; exit 2; }
source "$root/scripts/pgenv.sh"
export PGDATABASE=postgres
if [ -n "$(psql -Atc "select 1 from pg_database where datname = '$database'")" ]; then
  echo "restore.sh: database $database exists; restore into a fresh one" >&2
  exit 1
fi
createdb "$database"
if ! pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname "$database" "$dump"; then
  dropdb "$database"
  echo "restore.sh: the restore failed; nothing was left behind" >&2
  exit 1
fi
psql -q -d "$database" -c "delete from orleansmembershiptable"
echo "restored $dump into database $database" >&2

[ "${1:-}" = "--start" ] || exit 0
shift
export ConnectionStrings__Postgres
ConnectionStrings__Postgres="$(echo "$ConnectionStrings__Postgres" \
  | sed -E "s/(^|;)[[:space:]]*(Database|DB)=[^;]*/\1Database=$database/I")"
case "$ConnectionStrings__Postgres" in *atabase=*) ;; *) ConnectionStrings__Postgres="$ConnectionStrings__Postgres;Database=$database" ;; esac
api="$root/src/Api/bin/Release/net10.0/Api.dll"
[ -f "$api" ] || dotnet build "$root/src/Api/Api.csproj" -c Release -v quiet -nologo
cd "$root/src/Api"
exec dotnet "$api" "$@"
