#!/usr/bin/env bash
# The whole test suite at several moments of the week: every test starts from the
# clock in ONEVISIT_TEST_CLOCK (tests/conftest.py), so this shows that none of them
# depends on the hour or the weekday it runs at. Extra arguments go to pytest
# (for instance --ignore=tests/browser for a quicker pass).
set -euo pipefail
cd "$(dirname "$0")/.."
MOMENTS=(
  2026-11-16T16:05:00+00:00   # Tuesday 00:05 in Beijing, just after midnight there
  2026-11-17T01:30:00+00:00   # Tuesday 09:30 in Beijing, before the window opens
  2026-11-17T11:45:00+00:00   # Tuesday 19:45 in Beijing, late in the window's day
  2026-11-17T13:55:00+00:00   # Tuesday 21:55 in Beijing, five minutes before it closes
  2026-11-20T15:30:00+00:00   # Friday 23:30 in Beijing: the next working day is Monday
  2026-11-21T09:00:00+00:00   # Saturday 17:00 in Beijing: the window is closed all day
)
for moment in "${MOMENTS[@]}"; do
  echo "==> the suite with the clock at $moment"
  ONEVISIT_TEST_CLOCK="$moment" bash scripts/test.sh "$@"
done
