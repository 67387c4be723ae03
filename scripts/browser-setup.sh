#!/usr/bin/env bash
# What the console's browser tests and screenshot need: Debian's chromium
# and chromium-driver, and Selenium and pytest pinned from PyPI
# (Tests/Browser/requirements.txt) in .build-venv-browser. Prints the venv.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-deps.sh browser >&2
venv=.build-venv-browser
requirements=Tests/Browser/requirements.txt
if ! cmp -s "$requirements" "$venv/requirements.txt"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r "$requirements" >&2
  cp "$requirements" "$venv/requirements.txt"
fi
echo "$venv"
