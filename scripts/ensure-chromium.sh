#!/usr/bin/env bash
# The browser suite drives the system Chromium through playwright-core (browser downloads do not work
# here, so never `npx playwright install`). Installs it with apt-get when missing and running as root;
# otherwise prints the command to run and fails.
set -euo pipefail
chromium="${MIAOBU_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Chromium is missing at $chromium; installing it with apt-get." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y chromium >&2 || { apt-get update >&2 && apt-get install -y chromium >&2; }
  exit 0
fi
echo "Chromium is missing at $chromium. Install it with:  sudo apt-get install -y chromium" >&2
echo "(or point MIAOBU_CHROMIUM at a Chromium binary)" >&2
exit 1
