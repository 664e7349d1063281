"""Every message is translated in every locale, and the compiled catalogs are current."""

from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent.parent
LOCALES = ("zh", "en", "it", "fr", "es", "pt")


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_is_complete_and_compiled(locale):
    po_path = ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    pot = read_po((ROOT / "translations" / "messages.pot").open("rb"))
    missing_ids = {m.id if isinstance(m.id, str) else m.id[0] for m in pot if m.id} - {
        m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    assert not missing_ids, f"{locale}: run scripts/i18n.sh; not merged: {sorted(missing_ids)[:5]}"
    untranslated = [m.id for m in catalog if m.id and not (
        all(m.string) if isinstance(m.string, tuple) else m.string)]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not untranslated, f"{locale}: untranslated {untranslated[:5]}"
    assert not fuzzy, f"{locale}: fuzzy {fuzzy[:5]}"
    problems = [(m.id, errors) for m, errors in catalog.check()]
    assert not problems, f"{locale}: placeholder problems {problems[:3]}"
    with (po_path.with_suffix(".mo")).open("rb") as fh:
        compiled = read_mo(fh)
    def same(m):
        other = compiled.get(m.id)
        if other is None:
            return False
        normal = (lambda v: tuple(v) if isinstance(v, (list, tuple)) else v)
        return normal(other.string) == normal(m.string)
    stale = [m.id for m in catalog if m.id and not same(m)]
    assert not stale, f"{locale}: compiled catalog is stale; run pybabel compile"


def test_template_of_messages_is_current(tmp_path):
    """Every gettext call in the code and templates is in messages.pot."""
    import subprocess
    import sys
    out = tmp_path / "fresh.pot"
    subprocess.run([str(Path(sys.executable).with_name("pybabel")), "extract", "-F", "babel.cfg", "--ignore-dirs", ".*",
                    "-k", "_l", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2", "-k", "bi", "-k", "pair_of",
                    "--no-location",
                    "-o", str(out), "."], cwd=ROOT, check=True, capture_output=True)
    fresh = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(out.open("rb")) if m.id}
    known = {m.id if isinstance(m.id, str) else m.id[0]
             for m in read_po((ROOT / "translations" / "messages.pot").open("rb")) if m.id}
    assert fresh == known, f"run scripts/i18n.sh: new {sorted(fresh - known)[:5]}, gone {sorted(known - fresh)[:5]}"
