#!/usr/bin/env bash
# Command 1: install, migrate the embedded SQLite database, load the demo chain, serve the API.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# Courier partners (delivery/couriers): a simulated Dada/Fengniao/SF/Shansong/UU/Uber/DoorDash/
# Lalamove/Meituan beside the API; it wires the demo brand once the API has seeded it.
COURIER_SIM_PORT="${COURIER_SIM_PORT:-8700}"
if [ -z "${QIANDIAN_COURIER_BASE_URLS:-}" ]; then
  for p in dada fengniao sf shansong uu uber doordash lalamove meituan; do
    QIANDIAN_COURIER_BASE_URLS="${QIANDIAN_COURIER_BASE_URLS:-}$p=http://127.0.0.1:$COURIER_SIM_PORT/$p,"
  done
  export QIANDIAN_COURIER_BASE_URLS
fi
export QIANDIAN_COURIER_CALLBACK_BASE_URL="${QIANDIAN_COURIER_CALLBACK_BASE_URL:-http://${HOST:-127.0.0.1}:${PORT:-8000}}"
.venv/bin/python -m demo.courier_simulator --demo --port "$COURIER_SIM_PORT" --api "$QIANDIAN_COURIER_CALLBACK_BASE_URL" &
COURIER_SIM_PID=$!

# Payment platform simulators (WeChat Pay :8101, Alipay :8102) beside the API, with merchant
# accounts for the demo brand pointing at them. QIANDIAN_SIMULATORS=0 skips them.
if [ "${QIANDIAN_SIMULATORS:-1}" = "1" ]; then
  export QIANDIAN_PAYMENT_PROVIDERS="${QIANDIAN_PAYMENT_PROVIDERS:-WECHATPAY,ALIPAY}"
  .venv/bin/qiandian migrate && .venv/bin/qiandian seed-demo  # the brand must exist before its accounts
  .venv/bin/python -m payments.simulators.run --api "http://${HOST:-127.0.0.1}:${PORT:-8000}" &
  SIMULATORS_PID=$!
fi
# Demo traffic for the staff console (/console): an order at 黄龙店 (HZ-XH-002) every ~15 s through
# the public API, and that store's riders on shift, riding and delivering. QIANDIAN_DEMO_TRAFFIC=0 turns it off;
# demo/traffic.py refuses to run at all with QIANDIAN_ENV=production.
export QIANDIAN_DEMO_TRAFFIC="${QIANDIAN_DEMO_TRAFFIC:-1}"
if [ "$QIANDIAN_DEMO_TRAFFIC" = "1" ]; then
  .venv/bin/python -m demo.traffic --api "http://${HOST:-127.0.0.1}:${PORT:-8000}" &
  TRAFFIC_PID=$!
fi
trap 'kill ${COURIER_SIM_PID:-} ${SIMULATORS_PID:-} ${TRAFFIC_PID:-} 2>/dev/null || true' EXIT INT TERM

.venv/bin/qiandian serve --demo --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
