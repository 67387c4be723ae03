#!/usr/bin/env bash
# Regenerates docs/console.png (shown in the README): the console in headless
# Chromium against a live demo, after a call through its form.
set -euo pipefail
source "$(dirname "$0")/browser-env.sh"
"$venv/bin/python" Tests/Browser/screenshot.py "$(pwd)/docs/console.png"
