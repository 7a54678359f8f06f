# Sourced by backup.sh and restore.sh: turns the engine's Npgsql connection string (ConnectionStrings__Postgres:
# "Host=…;Port=…;Username=…;Password=…;Database=…") into libpq's PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE.
if [ -z "${ConnectionStrings__Postgres:-}" ]; then
  echo "Set ConnectionStrings__Postgres (the engine's connection string) first." >&2
  exit 2
fi
IFS=';' read -r -a _pairs <<< "$ConnectionStrings__Postgres"
for _pair in "${_pairs[@]}"; do
  _key="$(echo "${_pair%%=*}" | tr '[:upper:]' '[:lower:]' | tr -d ' ')"
  _value="${_pair#*=}"
  case "$_key" in
    host|server) export PGHOST="$_value" ;;
    port) export PGPORT="$_value" ;;
    username|user|userid|"user id") export PGUSER="$_value" ;;
    password) export PGPASSWORD="$_value" ;;
    database|db) export PGDATABASE="$_value" ;;
  esac
done
unset _pairs _pair _key _value
