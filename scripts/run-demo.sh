#!/usr/bin/env bash
# Command 1: install, migrate the embedded SQLite database, load the demo chain, serve the API.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

# Payment platform simulators (WeChat Pay :8101, Alipay :8102) beside the API, with merchant
# accounts for the demo brand pointing at them. QIANDIAN_SIMULATORS=0 skips them.
if [ "${QIANDIAN_SIMULATORS:-1}" = "1" ]; then
  export QIANDIAN_PAYMENT_PROVIDERS="${QIANDIAN_PAYMENT_PROVIDERS:-WECHATPAY,ALIPAY}"
  .venv/bin/qiandian migrate && .venv/bin/qiandian seed-demo  # the brand must exist before its accounts
  .venv/bin/python -m payments.simulators.run --api "http://${HOST:-127.0.0.1}:${PORT:-8000}" &
  SIMULATORS_PID=$!
  trap 'kill "$SIMULATORS_PID" 2>/dev/null || true' EXIT INT TERM
fi

.venv/bin/qiandian serve --demo --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
