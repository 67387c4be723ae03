#!/usr/bin/env bash
# The whole test suite on a fresh machine: system packages, then swift test.
# The tests read the shared spec and corpus from ../shared (or $WRPC_SHARED_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-deps.sh
swift test "$@"
