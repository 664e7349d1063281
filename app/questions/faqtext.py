"""The text an FAQ entry is found by: its question and answer in every language."""

from ..catalog.loader import normalize


def search_text_of(texts: dict) -> str:
    """Normalised (case-folded, accents stripped) text of every language of an entry's
    ``texts`` (``{locale: {"question": …, "answer": …}}``), for substring search."""
    parts = []
    for locale in sorted(texts or {}):
        entry = texts[locale] or {}
        parts += [entry.get("question") or "", entry.get("answer") or ""]
    return normalize(" \n ".join(p for p in parts if p))
