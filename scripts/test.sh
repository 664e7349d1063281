#!/usr/bin/env bash
# Install what the tests need (Python dev packages, Chromium, fonts, poppler,
# PostgreSQL, Redis, nginx, ApacheBench) and run the whole test suite, on SQLite and
# on PostgreSQL. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_DEV=1 bash scripts/setup.sh
export ONEVISIT_CHROMIUM="${ONEVISIT_CHROMIUM:-$(command -v chromium || true)}"
# The whole suite twice, side by side: on SQLite files (the embedded default), and on a
# throwaway PostgreSQL cluster the tests start and stop themselves (tests/pgcluster.py;
# Redis and nginx likewise, for the tests that need them). Each run has its own ports,
# temporary directories and databases; the PostgreSQL run's report follows SQLite's.
# Each run ends with its 25 slowest tests (--durations), to see where the time goes.
status=0
pg_log=$(mktemp)
trap 'rm -f "$pg_log"' EXIT
ONEVISIT_TEST_DATABASE=postgresql .venv/bin/python -m pytest -q -p no:cacheprovider --durations=25 "$@" \
  >"$pg_log" 2>&1 &
pg_run=$!
echo "==> Tests on SQLite"
.venv/bin/python -m pytest -q --durations=25 "$@" || status=$?
wait "$pg_run" || status=$?
echo "==> Tests on PostgreSQL"
cat "$pg_log"
exit $status
