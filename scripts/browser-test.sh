#!/usr/bin/env bash
# The console in a real headless Chromium against a live `wrpc-gateway demo`
# (Tests/Browser). Arguments go to pytest, e.g. -k hello.
set -euo pipefail
source "$(dirname "$0")/browser-env.sh"
cd Tests/Browser
exec "../../$venv/bin/pytest" -p no:cacheprovider -q "$@"
