#!/usr/bin/env bash
# Set everything up and start OneVisit under gunicorn on the embedded defaults:
# SQLite in instance/, uploads in instance/uploads, mail to instance/outbox.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export FLASK_APP=wsgi.py
# The demo: staff accounts printed below, enrolled in two-step sign-in (see demo-code).
export ONEVISIT_DEMO="${ONEVISIT_DEMO:-true}"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
export ONEVISIT_PUBLIC_URL="${ONEVISIT_PUBLIC_URL:-http://$HOST:$PORT}"
# Uploads are scanned by ClamAV when its daemon runs here (Debian's clamav-daemon).
if [ -z "${ONEVISIT_CLAMD_SOCKET:-}${ONEVISIT_CLAMD_ADDRESS:-}" ] && [ -S /run/clamav/clamd.ctl ]; then
  export ONEVISIT_CLAMD_SOCKET=/run/clamav/clamd.ctl
fi
if [ -z "${ONEVISIT_CLAMD_SOCKET:-}${ONEVISIT_CLAMD_ADDRESS:-}" ]; then
  echo "NOTE: uploads are NOT scanned for malware (no clamd; see the README's Security section)."
fi
echo
# Commands run later in another terminal (send-reminders, demo-code) link to this server.
.venv/bin/flask public-url "$ONEVISIT_PUBLIC_URL"
.venv/bin/flask load-demo
echo
echo "OneVisit is starting at $ONEVISIT_PUBLIC_URL/  (health: $ONEVISIT_PUBLIC_URL/healthz)"
echo "Staff sign in at $ONEVISIT_PUBLIC_URL/staff/login; the code of the second step, in another"
echo "terminal: FLASK_APP=wsgi.py ONEVISIT_DEMO=true .venv/bin/flask demo-code clerk@demo.onevisit"
echo "Emails are written to instance/outbox/ unless ONEVISIT_SMTP_HOST is set. Stop with Ctrl-C."
# Background jobs (notification emails, daily reminders) run in one huey consumer.
.venv/bin/huey_consumer wsgi.huey --workers 1 --worker-type thread --quiet &
consumer=$!
trap 'kill "$consumer" 2>/dev/null || true' EXIT INT TERM
.venv/bin/gunicorn --config gunicorn.conf.py --workers "${WORKERS:-2}" --bind "$HOST:$PORT" wsgi:app
