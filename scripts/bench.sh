#!/usr/bin/env bash
# The ingest benchmark: raw Npgsql ceiling vs. the engine (1 and 2 nodes) on one fresh database.
# Usage: scripts/bench.sh [--messages 6000] [--customers 1000]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
cs="${ConnectionStrings__Postgres:-$("$root/scripts/postgres.sh")}"
dotnet build "$root/tools/Simulator/Simulator.csproj" -c Release -v quiet -nologo
exec dotnet "$root/tools/Simulator/bin/Release/net10.0/Simulator.dll" bench --postgres "$cs" "$@"
