"""The FAQ search and the answers suggested before a question is sent."""

import pytest

from app.models import FaqEntry, FaqItem, Item, Jurisdiction
from app.questions.faqtext import search_text_of
from app.questions.search import search_faq, suggest, terms_of

TEXTS = {
    "zh": {"question": "在意大利可以换领驾驶证吗？", "answer": "可以，在线申请换领机动车驾驶证。"},
    "en": {"question": "Can I renew my driving licence from Italy?", "answer": "Yes, online."},
    "it": {"question": "Posso rinnovare la patente di guida dall'Italia?", "answer": "Sì, online."},
    "fr": {"question": "Puis-je renouveler mon permis de conduire depuis l'Italie ?",
           "answer": "Oui, en ligne."},
    "es": {"question": "¿Puedo renovar mi permiso de conducir desde Italia?",
           "answer": "Sí, en línea."},
    "pt": {"question": "Posso renovar a carta de condução a partir de Itália?",
           "answer": "Sim, online."},
}


def entry(county, texts=TEXTS, status="published", items=()):
    row = FaqEntry.create(jurisdiction=county.id, texts=texts, status=status,
                          locale_status={k: "ready" for k in texts},
                          search_text=search_text_of(texts))
    for item in items:
        FaqItem.create(entry=row.id, item=item.id)
    return row


@pytest.fixture
def place(app):
    with app.app_context():
        yield Jurisdiction.local_by_key("wencheng")


def test_terms_leave_out_what_every_question_says():
    assert terms_of("我想问一下怎么换驾驶证") == ["换驾", "驾驶", "驶证"]
    assert terms_of("Vorrei sapere come rinnovare la patente, grazie") == [
        "rinnov", "paten"]
    assert terms_of("<script>") == ["scrip"]
    assert terms_of("   ") == []


def test_search_finds_an_entry_in_any_language_and_keeps_drafts_out(place):
    published = entry(place)
    entry(place, status="draft")
    for query in ("驾驶证", "PATENTE", "permis de conduire", "condução"):
        rows, total = search_faq(query)
        assert [r.id for r in rows] == [published.id] and total == 1, query
    assert search_faq("护照")[1] == 0
    assert search_faq("")[1] == 1
    assert search_faq("%_\\")[1] == 0
    # PostgreSQL refuses NUL in a string: control characters separate words instead.
    assert search_faq("\x00patente\x01")[1] == 1
    assert terms_of("patente\x00rinnovo") == ["paten", "rinno"]


def test_search_narrows_to_a_county_and_an_item(place):
    other = Jurisdiction.local_by_key("qingtian") or next(
        c for c in Jurisdiction.counties() if c.id != place.id)
    item = Item.select().where(Item.active == True).first()  # noqa: E712
    mine = entry(place, items=[item])
    entry(other)
    assert [r.id for r in search_faq("patente", county=place)[0]] == [mine.id]
    assert [r.id for r in search_faq("", item=item)[0]] == [mine.id]


def test_a_whole_question_is_matched_with_the_faq_and_the_catalog(place):
    faq = entry(place)
    found = suggest("您好，我在米兰，驾驶证快到期了，怎么换领？", "zh", county=place)
    assert found[0].kind == "faq" and found[0].key == str(faq.id)
    assert any(s.kind == "item" for s in found)
    italian = suggest("Ciao, come posso rinnovare la mia patente di guida da Milano?", "it")
    assert italian and italian[0].kind == "faq"
    assert italian[0].title == TEXTS["it"]["question"]
    # A term every candidate holds counts for little, the matter's own for much.
    vague = suggest("Ciao, la mia patente cinese scade: come posso rinnovarla?", "it")
    assert "faq" in [s.kind for s in vague]
    assert suggest("asdfgh qwerty", "it") == []
