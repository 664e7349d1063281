#!/usr/bin/env bash
# The translator's workflow in one command: extract every message from the
# code and templates, merge it into each locale's messages.po, and compile.
# English is the source language: its catalog copies each msgid.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=.venv/bin/pybabel
$PYBABEL extract -F babel.cfg --ignore-dirs ".*" -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k bi -k pair_of --no-location \
  --sort-output --project OneVisit --copyright-holder OneVisit -o translations/messages.pot . >/dev/null
for locale in zh en it fr es pt; do
  if [ -f "translations/$locale/LC_MESSAGES/messages.po" ]; then
    $PYBABEL update -i translations/messages.pot -d translations -l "$locale" --no-fuzzy-matching --ignore-obsolete >/dev/null
  else
    $PYBABEL init -i translations/messages.pot -d translations -l "$locale" >/dev/null
  fi
done
.venv/bin/python scripts/fill_source_locale.py translations/en/LC_MESSAGES/messages.po
$PYBABEL compile -d translations -D messages --statistics 2>&1 | grep -v "^compiling" || true
