#!/usr/bin/env bash
# Make sure the local PostgreSQL can CREATE EXTENSION postgis; install it with apt if not.
set -euo pipefail
PG_HOST="${PGHOST:-127.0.0.1}"
PG_USER="${PGUSER:-postgres}"
available() {
  psql -h "$PG_HOST" -U "$PG_USER" -d postgres -Atqc \
    "select count(*) from pg_available_extensions where name = 'postgis'" 2>/dev/null | grep -qx 1
}
if available; then
  exit 0
fi
major=$(psql -h "$PG_HOST" -U "$PG_USER" -d postgres -Atqc "show server_version_num" 2>/dev/null | cut -c1-2 || true)
major="${major:-15}"
echo "PostGIS missing for PostgreSQL $major: installing postgresql-$major-postgis-3" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "postgresql-$major-postgis-3" >/dev/null
available || { echo "PostGIS still not available after install" >&2; exit 1; }
