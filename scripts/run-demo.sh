#!/usr/bin/env bash
# Command 1: install, migrate the embedded SQLite database, load the demo chain, serve the API.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .venv/bin/qiandian serve --demo --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
