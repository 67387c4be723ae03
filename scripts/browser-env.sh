# Sourced by the scripts that drive the console in a browser: installs
# Debian's chromium and chromium-driver, and Selenium and pytest pinned from
# PyPI (Tests/Browser/requirements.txt) into .build-venv-browser; builds the
# gateway if needed. Sets $venv and exports WRPC_GATEWAY_BIN (absolute).
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-system-deps.sh browser
venv=.build-venv-browser
if ! cmp -s Tests/Browser/requirements.txt "$venv/requirements.txt"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r Tests/Browser/requirements.txt
  cp Tests/Browser/requirements.txt "$venv/requirements.txt"
fi
bin="${WRPC_GATEWAY_BIN:-.build/debug/wrpc-gateway}"
[ -x "$bin" ] || swift build --product wrpc-gateway
WRPC_GATEWAY_BIN="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
export WRPC_GATEWAY_BIN PYTHONDONTWRITEBYTECODE=1
