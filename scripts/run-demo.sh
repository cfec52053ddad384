#!/usr/bin/env bash
# Command 1: install, migrate the embedded SQLite database, load the demo chain, serve the API.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# Courier partners (delivery/couriers): a simulated Dada/Fengniao/SF/Shansong/UU/Uber/DoorDash/
# Lalamove beside the API; it wires the demo brand once the API has seeded it.
COURIER_SIM_PORT="${COURIER_SIM_PORT:-8700}"
if [ -z "${QIANDIAN_COURIER_BASE_URLS:-}" ]; then
  for p in dada fengniao sf shansong uu uber doordash lalamove; do
    QIANDIAN_COURIER_BASE_URLS="${QIANDIAN_COURIER_BASE_URLS:-}$p=http://127.0.0.1:$COURIER_SIM_PORT/$p,"
  done
  export QIANDIAN_COURIER_BASE_URLS
fi
export QIANDIAN_COURIER_CALLBACK_BASE_URL="${QIANDIAN_COURIER_CALLBACK_BASE_URL:-http://${HOST:-127.0.0.1}:${PORT:-8000}}"
.venv/bin/python -m demo.courier_simulator --demo --port "$COURIER_SIM_PORT" --api "$QIANDIAN_COURIER_CALLBACK_BASE_URL" &
exec .venv/bin/qiandian serve --demo --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
