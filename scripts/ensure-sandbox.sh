#!/usr/bin/env bash
# Builds run in a bubblewrap sandbox with slirp4netns networking (docs/security.md). Installs Debian's
# packages when a program is missing and this runs as root; otherwise prints the command to run and fails.
set -euo pipefail
missing=()
for program in bwrap slirp4netns prlimit setpriv nsenter ip mkfs.ext4 e2fsck zstd; do
  command -v "$program" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "$program" >/dev/null 2>&1 || missing+=("$program")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
packages="bubblewrap slirp4netns util-linux iproute2 e2fsprogs zstd"
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "The build sandbox needs ${missing[*]}; installing $packages with apt-get." >&2
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086
  apt-get install -y $packages >&2 || { apt-get update >&2 && apt-get install -y $packages >&2; }
  exit 0
fi
echo "The build sandbox needs ${missing[*]}. Install them with:  sudo apt-get install -y $packages" >&2
echo "(or set MIAOBU_UNSAFE_NO_SANDBOX=1 to build without a sandbox, only for repositories you trust)" >&2
exit 1
