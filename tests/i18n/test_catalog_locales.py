"""Catalog content exists in all six locales (item names, guidance, fields, materials)."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
LOCALES = ("zh", "en", "it", "fr", "es", "pt")


def walk(node, path="$"):
    if isinstance(node, dict):
        if "zh" in node and "en" in node:
            yield path, node
        else:
            for key, value in node.items():
                yield from walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from walk(value, f"{path}[{n}]")


def test_every_catalog_text_is_in_six_locales():
    gaps = []
    for file in sorted((ROOT / "app" / "catalog" / "data").rglob("*.yaml")):
        for where, mapping in walk(yaml.safe_load(file.read_text(encoding="utf-8"))):
            for locale in LOCALES:
                value = mapping.get(locale)
                if not value or (isinstance(value, str) and not value.strip()):
                    gaps.append(f"{file.name} {where} {locale}")
    assert not gaps, gaps[:20]
