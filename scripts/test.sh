#!/usr/bin/env bash
# Install what the tests need (Python dev packages, Chromium, fonts, poppler)
# and run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_DEV=1 bash scripts/setup.sh
export ONEVISIT_CHROMIUM="${ONEVISIT_CHROMIUM:-$(command -v chromium || true)}"
exec .venv/bin/python -m pytest -q "$@"
