#!/usr/bin/env bash
# The staff console's browser tests (tests/console) drive Debian's chromium through Playwright's
# Python client; no browser is ever downloaded by Playwright. Install the package if it is missing.
# Outside CI a machine where apt is not possible only gets a message (the tests then skip);
# in CI (CI=true) the tests themselves fail when the browser is missing.
set -uo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO="none"; fi
fi
if [ "$SUDO" = "none" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: /usr/bin/chromium is missing and apt-get is not usable here; the browser tests (tests/console) will skip (in CI they fail)" >&2
  exit 0
fi
echo "ensure-chromium: installing Debian's chromium (and CJK fonts for the console's Chinese labels)" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null || true
if ! $SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; then
  echo "ensure-chromium: apt-get install chromium failed; the browser tests (tests/console) will skip (in CI they fail)" >&2
fi
exit 0
