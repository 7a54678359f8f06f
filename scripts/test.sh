#!/usr/bin/env bash
# Provisions the local PostgreSQL (scripts/postgres.sh), runs every test, and ends
# with the line "N passed, N failed". Extra arguments go to dotnet test
# (e.g. --filter "FullyQualifiedName~Webhooks").
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if [ -z "${ENGINE_TEST_POSTGRES:-}" ]; then
  ENGINE_TEST_POSTGRES="$("$root/scripts/postgres.sh")" || { echo "0 passed, 1 failed"; exit 1; }
  export ENGINE_TEST_POSTGRES
fi
# The web app's tests run in headless Chromium.
"$root/scripts/chromium.sh" || { echo "0 passed, 1 failed"; exit 1; }
results="$root/.artifacts/test-results"
export ENGINE_ARTIFACTS="$root/.artifacts"
rm -rf "$results"; mkdir -p "$results"
dotnet test "$root/orleans.sln" -c Release --logger "trx;LogFilePrefix=results" \
  --results-directory "$results" "$@"
status=$?
passed=0; failed=0
for f in "$results"/*.trx; do
  [ -f "$f" ] || continue
  counters="$(grep -o '<Counters [^>]*>' "$f" | head -n 1)"
  p="$(echo "$counters" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p')"
  x="$(echo "$counters" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p')"
  passed=$((passed + ${p:-0})); failed=$((failed + ${x:-0}))
done
# A build failure runs no test: count it as a failure so it cannot look green.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
exit "$status"
