#!/usr/bin/env bash
# Set up everything OneVisit needs on a Debian machine, idempotently:
# Debian packages (when root), a virtualenv with the pinned Python packages,
# the pinned htmx file from the npm registry, compiled translations, and the
# database with the catalog. Safe to run again; it skips what is done.
set -euo pipefail
cd "$(dirname "$0")/.."

HTMX_VERSION="2.0.8"
HTMX_SHA256="22283ef68cb7545914f0a88a1bdedc7256a703d1d580c1d255217d0a50d31313"
# Fonts: WenQuanYi Micro Hei prints Chinese (rare name characters included) in
# small PDFs; DejaVu Sans prints Latin text with a real bold. Noto CJK serves
# the browser tests' screenshots.
APT_PACKAGES=(python3 python3-venv python3-dev gcc libharfbuzz-subset0 libpango-1.0-0
              libpangoft2-1.0-0 fonts-wqy-microhei fonts-dejavu-core fonts-noto-cjk
              chromium poppler-utils nodejs npm ca-certificates)
WITH_DEV="${WITH_DEV:-0}"
# The tests also run on a throwaway PostgreSQL cluster, Redis, nginx and clamd (Debian's servers;
# clamav brings sigtool, which builds the test signature database: without recommends it is not there).
# The HTML checker runs on Java 17.
[ "$WITH_DEV" = 1 ] && APT_PACKAGES+=(postgresql redis-server nginx-light apache2-utils clamav-daemon clamav
                                     openjdk-17-jre-headless)

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# 1. Debian packages, only what is missing, only when we can.
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# Node may come from elsewhere (nvm, NodeSource): then the Debian packages are not needed.
if command -v npm >/dev/null 2>&1; then
  filtered=(); for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi
if command -v python3 >/dev/null 2>&1 && python3 -c 'import venv, ensurepip' 2>/dev/null; then
  filtered=(); for p in "${missing[@]+"${missing[@]}"}"; do [[ "$p" == python3 || "$p" == python3-venv || "$p" == python3-dev ]] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    log "Installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Not root: please install these Debian packages: ${missing[*]}" >&2
  fi
fi

# 2. Python virtualenv with pinned packages (re-run pip only when requirements change).
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  log "Creating virtualenv .venv"
  "$PY" -m venv .venv
fi
req_files=(requirements.txt); [ "$WITH_DEV" = 1 ] && req_files=(requirements-dev.txt)
stamp=".venv/.req-$(cat requirements*.txt | sha256sum | cut -c1-16)-$WITH_DEV"
if [ ! -f "$stamp" ]; then
  log "Installing Python packages (${req_files[*]})"
  .venv/bin/pip install -q --disable-pip-version-check -r "${req_files[0]}"
  rm -f .venv/.req-*; touch "$stamp"
fi

# 3. htmx, pinned, from the npm registry, checked against its known digest.
target=static/vendor/htmx.min.js
if [ ! -f "$target" ] || ! echo "$HTMX_SHA256  $target" | sha256sum -c --quiet - 2>/dev/null; then
  log "Fetching htmx.org@$HTMX_VERSION from the npm registry"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "htmx.org@$HTMX_VERSION" >/dev/null)
  tar -xzf "$tmp"/htmx.org-"$HTMX_VERSION".tgz -C "$tmp" package/dist/htmx.min.js
  mkdir -p static/vendor
  echo "$HTMX_SHA256  $tmp/package/dist/htmx.min.js" | sha256sum -c --quiet -
  cp "$tmp/package/dist/htmx.min.js" "$target"
  rm -rf "$tmp"
fi

# 3b. Tests only: programs we did not write that the tests run against the app
#     (tus-js-client, the Nu HTML Checker, axe-core), pinned with their integrity in
#     tests/clients/package-lock.json.
lock_stamp="tests/clients/node_modules/.lock-$(sha256sum tests/clients/package-lock.json | cut -c1-16)"
if [ "$WITH_DEV" = 1 ] && [ ! -f "$lock_stamp" ]; then
  log "Installing test clients from the npm registry (tests/clients)"
  npm ci --prefix tests/clients --silent --no-audit --no-fund >/dev/null
  touch "$lock_stamp"
fi

# 4. Compiled translations (the .mo files are build output, not committed).
log "Compiling translations"
.venv/bin/pybabel compile -d translations -D messages >/dev/null

# 5. Database schema and catalog.
export FLASK_APP=wsgi.py
log "Database"
.venv/bin/flask db-upgrade
.venv/bin/flask load-catalog
