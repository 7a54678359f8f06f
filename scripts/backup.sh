#!/usr/bin/env bash
# Backs up the engine's database (ConnectionStrings__Postgres) to one file in pg_dump's custom format: every table,
# the Data Protection key ring (data_protection_keys: the key that seals channel secrets and tokens) and Orleans'
# reminders included. Consistent while nodes run (one snapshot). Keep the file as secret as the keys it holds.
# Usage: scripts/backup.sh FILE
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -eq 1 ] || { echo "Usage: scripts/backup.sh FILE" >&2; exit 2; }
source "$root/scripts/pgenv.sh"
pg_dump --format=custom --no-owner --no-privileges --file "$1"
echo "backed up database ${PGDATABASE:-?} to $1" >&2
