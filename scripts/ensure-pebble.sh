#!/usr/bin/env bash
# The ACME and DNS tests run Debian's pebble (a real ACME server) and pebble-challtestsrv (its DNS server).
# Installs the package with apt-get when missing and running as root; otherwise prints the command to run.
set -euo pipefail
if command -v pebble >/dev/null 2>&1 && command -v pebble-challtestsrv >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "pebble is missing; installing it with apt-get." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y pebble >&2 || { apt-get update >&2 && apt-get install -y pebble >&2; }
  exit 0
fi
echo "pebble is missing. Install it with:  sudo apt-get install -y pebble" >&2
exit 1
