#!/usr/bin/env bash
# Builds and starts one engine node. Without ConnectionStrings__Postgres it
# provisions a private local PostgreSQL (scripts/postgres.sh). Migrations run at start-up.
# Usage: scripts/run.sh [--urls http://127.0.0.1:8080]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if [ -z "${ConnectionStrings__Postgres:-}" ]; then
  ConnectionStrings__Postgres="$("$root/scripts/postgres.sh")"
  export ConnectionStrings__Postgres
fi
urls="${ENGINE_URLS:-http://127.0.0.1:8080}"
dotnet build "$root/src/Api/Api.csproj" -c Release -v quiet -nologo
# Run from the project folder so its appsettings.json is the content root's.
cd "$root/src/Api"
exec dotnet "bin/Release/net10.0/Api.dll" --urls "$urls" "$@"
