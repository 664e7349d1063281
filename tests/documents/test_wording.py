"""The PDFs read as documents (issue 16, item 7): labels written for a document, in
Chinese and in the applicant's language, never the web questions; every label
translated; the brand once. Every kind is rendered for real and read back with pdftotext."""

import re
import subprocess

import pytest
from babel.messages.pofile import read_po

from app.documents.context import (DOC_TYPES, blank_context, case_context, cover_context,
                                   slip_context)
from app.documents.pack import pack_contents
from app.documents.render import PDFS_DIR, render_pdf
from app.documents.templates import (TRANSLATIONS_DIR, Bilingual, render_html, second_locale,
                                     translations)
from app.i18n import on_record
from app.models import Case, Item, db

from ..conftest import submitted_case

KINDS = (*DOC_TYPES, "cover", "slip", "blank-form")
# An item whose web questions differ most from what a document should say
# ("What was your relationship to the deceased?").
INHERITANCE = "BDC-JC-001"


def pdf_text(data: bytes) -> str:
    """The PDF's text in reading order, whitespace runs made single spaces."""
    result = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return " ".join(result.stdout.decode().split())


def squash(text: str) -> str:
    """Without any whitespace: wrapped cells (and Chinese) compare reliably."""
    return re.sub(r"\s+", "", text)


def recorded(spec) -> list:
    """``(applicant's wording, record name)`` of each step, field and material that has a
    record name, as ``{locale: text}`` dicts."""
    pairs = []
    for step in spec.steps:
        if step.get("record"):
            pairs.append((step["title"], on_record(step, "title")))
        pairs += [(field["label"], on_record(field)) for field in step["fields"]
                  if field.get("record")]
    pairs += [(material.names, on_record(material, "names"))
              for material in spec.ordered_materials() if material.record]
    return pairs


def label_messages() -> set:
    """Every message the document templates print through ``bi``/``pair_of``."""
    found = set()
    for path in PDFS_DIR.rglob("*.html"):
        found |= set(re.findall(r'(?:bi|pair_of)\("((?:[^"\\]|\\.)*)"', path.read_text()))
    return {message for message in found if "%(" not in message}


_made = {}


@pytest.fixture(params=["pt", "it", "zh"])
def documents(request):
    """Every kind of PDF of one applicant (agent at home, one material deferred) in one
    language, and a blank form of the inheritance item; with the items' record pairs.
    Plain text and data, so made once per language for the tests below."""
    lang = request.param
    if lang not in _made:
        _made[lang] = make_documents(request.getfixturevalue("app"), lang)
    return _made[lang]


def make_documents(app, lang):
    journey = submitted_case(app, lang=lang, defer=True, entrust=True)
    second = second_locale(lang)
    with app.test_request_context(f"/{lang}/"), db.connection_context():
        case = Case.get(Case.reference == journey.reference)
        html = {kind: render_html(kind, case_context(kind, case, "ABCDE-FGHJK", "a4"), second)
                for kind in DOC_TYPES}
        html["cover"] = render_html("cover", cover_context(case, pack_contents(case), "a4"),
                                    second)
        html["slip"] = render_html("slip", slip_context(case, "K7QD-M2XA", "a4"), second)
        inheritance = Item.get(Item.code == INHERITANCE)
        html["blank-form"] = render_html("form", blank_context("form", inheritance, lang, "a4"),
                                         second)
        pairs = {"form": recorded(case.spec), "blank-form": recorded(inheritance)}
    rendered = {kind: render_pdf(page) for kind, page in html.items()}
    return {"lang": lang, "second": second, "pairs": pairs,
            "missing": {kind: r["missing_glyphs"] for kind, r in rendered.items()},
            "text": {kind: pdf_text(r["pdf"]) for kind, r in rendered.items()}}


def test_forms_print_the_record_names_not_the_web_questions(documents):
    second = documents["second"]
    for kind in ("form", "blank-form"):
        text = squash(documents["text"][kind])
        assert documents["pairs"][kind], kind
        for asked, record in documents["pairs"][kind]:
            for locale in ("zh", second):
                assert squash(record[locale]) in text, (kind, record[locale])
                if asked.get(locale) and squash(asked[locale]) != squash(record[locale]):
                    assert squash(asked[locale]) not in text, (kind, asked[locale])
    web_titles = {"pt": "Os seus dados", "it": "I Suoi dati", "en": "About you"}
    assert squash(web_titles[second]) not in squash(documents["text"]["form"])
    deceased = {"pt": "Parentesco com o falecido", "it": "Rapporto di parentela con il defunto",
                "en": "Relationship to the deceased"}
    assert squash(deceased[second]) in squash(documents["text"]["blank-form"])
    assert "?" not in documents["text"]["blank-form"] + documents["text"]["form"]


def test_every_document_shows_the_brand_once_and_no_missing_glyph(documents):
    service = Bilingual(documents["second"]).pair("Overseas service")
    for kind in KINDS:
        text = documents["text"][kind]
        assert documents["missing"][kind] == [], kind
        if kind == "slip":      # a cut-out slip: title, codes, instructions only
            assert "OneVisit" not in text
            continue
        assert text.count("OneVisit") == 1, (kind, text.count("OneVisit"))
        assert squash(f"{service['zh']} · {service['x']} · OneVisit") in squash(text), kind


def test_labels_are_written_for_a_document_and_translated(documents):
    lang, second = documents["lang"], documents["second"]
    entrustment = squash(documents["text"]["entrustment"])
    bi = Bilingual(second)
    for message in ("Name as in the passport", "Relationship to the applicant",
                    "Agent (relative in China)", "Principal (the applicant abroad)",
                    "Signature of the principal", "Signature of the agent"):
        for text in bi.pair(message).values():
            assert squash(text) in entrustment, (message, text)
    everything = " ".join(documents["text"].values())
    for web in ("Name as in your passport", "Submitted (your local time)",
                "Entrusted relative at home", "relative at home"):
        assert web not in everything, web
    if lang == "zh":
        return
    catalog = translations(lang)
    untranslated = [message for message in label_messages()
                    if catalog.gettext(message) != message
                    and re.search(r"(?<!\w)%s(?!\w)" % re.escape(message), everything)]
    assert untranslated == [], untranslated


@pytest.mark.parametrize("lang", ["zh", "it", "fr", "es", "pt"])
def test_every_document_label_has_a_translation(lang):
    with open(TRANSLATIONS_DIR / lang / "LC_MESSAGES" / "messages.po", "rb") as po:
        catalog = read_po(po)
    missing = [message for message in sorted(label_messages())
               if catalog.get(message) is None or not catalog.get(message).string
               or catalog.get(message).fuzzy]
    assert missing == [], missing
