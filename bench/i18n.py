"""Completeness of the six languages: interface messages and catalog content.

Reads every ``translations/<locale>/LC_MESSAGES/messages.po`` and counts the
messages, the untranslated and the fuzzy ones; then walks the catalog data
files and counts the items (plus departments, categories and shared steps)
with any text missing in any of the six locales. Prints one line per locale,
then exactly:

    i18n: locales=6 messages=N untranslated=0 fuzzy=0 catalog_items_missing=0

Exit status 1 if anything is missing. Run: .venv/bin/python bench/i18n.py
"""

import sys
from pathlib import Path

import yaml
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ("zh", "en", "it", "fr", "es", "pt")


def text_mappings(node):
    """Every locale→text mapping (a dict with zh and en) inside a YAML document."""
    if isinstance(node, dict):
        if "zh" in node and "en" in node:
            yield node
        else:
            for value in node.values():
                yield from text_mappings(value)
    elif isinstance(node, list):
        for value in node:
            yield from text_mappings(value)


def missing_locales(node) -> set:
    missing = set()
    for mapping in text_mappings(node):
        for locale in LOCALES:
            value = mapping.get(locale)
            if not value or (isinstance(value, str) and not value.strip()):
                missing.add(locale)
    return missing


def main() -> int:
    total_untranslated = total_fuzzy = 0
    messages = 0
    for locale in LOCALES:
        with (ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        entries = [m for m in catalog if m.id]
        untranslated = sum(1 for m in entries if not (
            all(m.string) if isinstance(m.string, tuple) else m.string))
        fuzzy = sum(1 for m in entries if m.fuzzy)
        messages = len(entries)
        total_untranslated += untranslated
        total_fuzzy += fuzzy
        print(f"locale={locale} messages={len(entries)} untranslated={untranslated} fuzzy={fuzzy}")
    data_dir = ROOT / "app" / "catalog" / "data"
    missing_items = 0
    for path in sorted(data_dir.rglob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        units = []
        if path.name == "departments.yaml":
            units = [("department", d) for d in document.get("departments", [])]
            units += [("category", c) for c in document.get("categories", [])]
            units += [("office", o) for o in document.get("offices", [])]
        elif path.name == "shared_steps.yaml":
            units = [("step", s) for s in document.get("steps", [])]
        else:
            units = [("item", document)]
        for kind, unit in units:
            gaps = missing_locales(unit)
            if gaps:
                missing_items += 1
                name = unit.get("code") or unit.get("key")
                print(f"catalog {kind} {name}: missing {','.join(sorted(gaps))}")
    print(f"i18n: locales={len(LOCALES)} messages={messages} untranslated={total_untranslated} "
          f"fuzzy={total_fuzzy} catalog_items_missing={missing_items}")
    return 1 if (total_untranslated or total_fuzzy or missing_items) else 0


if __name__ == "__main__":
    sys.exit(main())
