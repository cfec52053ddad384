#!/usr/bin/env bash
# Command 2: install, make sure PostGIS is there, run the whole suite on SQLite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/ensure-postgis.sh
./scripts/ensure-chromium.sh  # the staff console's browser tests (tests/console)
exec .venv/bin/python -m pytest "$@"
