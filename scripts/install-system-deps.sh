#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, only if missing.
# With `browser`: also Chromium and its driver, for the console's browser tests.
set -euo pipefail
packages=(pkg-config libmicrohttpd-dev libgnutls28-dev libcurl4-openssl-dev libjemalloc-dev curl openssl python3-venv)
[ "${1:-}" = browser ] && packages+=(chromium chromium-driver)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
