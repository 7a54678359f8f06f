#!/usr/bin/env bash
# Times every report endpoint for a 30-day range against a database seeded by
#   dotnet tools/Simulator/bin/Release/net10.0/Simulator.dll seed --postgres "$CONN" --conversations 1000000
# Usage: scripts/report-bench.sh "Host=…;Database=engine_scale" [runs=7]
# Prints the median and the slowest of the runs per endpoint, in milliseconds (after one warm-up call).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
conn="${1:?connection string of the seeded database}"
runs="${2:-7}"
port=$((18000 + RANDOM % 1000))
dotnet build "$root/src/Api/Api.csproj" -c Release -v quiet -nologo >/dev/null
cd "$root/src/Api"
ConnectionStrings__Postgres="$conn" Engine__ReportExactLimit="${ENGINE_REPORT_EXACT_LIMIT:-20000}" Engine__BootstrapAdminKey=bench-admin-key Engine__Workers=true Logging__LogLevel__Default=Warning \
  dotnet bin/Release/net10.0/Api.dll --urls "http://127.0.0.1:$port" >/tmp/report-bench-engine.log 2>&1 &
engine=$!
trap 'kill $engine 2>/dev/null || true' EXIT
for _ in $(seq 1 3000); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.3; done
# Let the node fold the rollup deltas (the migration's backfill arrives as deltas).
field() { echo "$conn" | tr ';' '\n' | sed -n "s/^$1=//Ip" | head -n 1; }
export PGHOST="$(field Host)" PGPORT="$(field Port)" PGUSER="$(field Username)" PGDATABASE="$(field Database)" PGPASSWORD="$(field Password)"
for _ in $(seq 1 600); do
  [ "$(psql -Atc 'select count(*) from report_rollup_delta')" -lt 100 ] && [ "$(psql -Atc 'select count(*) from report_hist_delta')" -lt 100 ] && break
  sleep 1
done
echo "conversations: $(psql -Atc 'select count(*) from conversations'), messages: $(psql -Atc 'select count(*) from messages'), rollup rows: $(psql -Atc 'select count(*) from report_rollup') + $(psql -Atc 'select count(*) from report_hist') histogram rows"
to="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
from="$(date -u -d '30 days ago' +%Y-%m-%dT%H:%M:%SZ)"
q="from=$from&to=$to"
team="$(psql -Atc "select id from teams order by name limit 1")"
agent="$(psql -Atc "select id from users where role = 'Agent' order by name limit 1")"
for path in "reports/summary?$q" "reports/summary?$q&teamId=$team" "reports/summary?$q&agentId=$agent" "reports/summary?$q&language=th" \
            "reports/summary?$q&label=Returns" "reports/csat?$q" "reports/agents?$q" "reports/heatmap" "reports/daily?days=30" "reports/weekly" \
            "reports/summary?$q&format=csv" "alerts" "usage" "labels/usage?$q" "quick-replies/usage?$q"; do
  url="http://127.0.0.1:$port/api/v1/$path"
  curl -sf -H "Authorization: Bearer bench-admin-key" -o /dev/null "$url" || { echo "$path: failed"; continue; }
  times=()
  for _ in $(seq 1 "$runs"); do
    times+=("$(curl -sf -H "Authorization: Bearer bench-admin-key" -o /dev/null -w '%{time_total}' "$url")")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v p="$path" '{ a[NR] = $1 * 1000 } END { printf "%-60s median %6.0f ms   max %6.0f ms\n", p, a[int((NR + 1) / 2)], a[NR] }'
done
