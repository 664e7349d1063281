#!/usr/bin/env bash
# Install what the tests need (Python dev packages, Chromium, fonts, poppler)
# and run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_DEV=1 bash scripts/setup.sh
export ONEVISIT_CHROMIUM="${ONEVISIT_CHROMIUM:-$(command -v chromium || true)}"
# The whole suite twice: on SQLite files (the embedded default), then on a throwaway
# PostgreSQL cluster the tests start and stop themselves (tests/pgcluster.py).
status=0
echo "==> Tests on SQLite"
.venv/bin/python -m pytest -q "$@" || status=$?
echo "==> Tests on PostgreSQL"
ONEVISIT_TEST_DATABASE=postgresql .venv/bin/python -m pytest -q "$@" || status=$?
exit $status
