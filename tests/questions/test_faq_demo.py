"""The demo's FAQ: published in six languages for the demo counties, loaded again
without duplicates."""

from app.models import FaqEntry
from app.questions.faqdemo import DEMO_FAQ, load_demo_faq

from .faqdata import ctx


def test_the_demo_publishes_its_entries_once(app, client):
    with ctx(app):
        assert load_demo_faq() == len(DEMO_FAQ)
        assert load_demo_faq() == len(DEMO_FAQ)
        rows = list(FaqEntry.select())
        assert len(rows) == len(DEMO_FAQ)
        assert all(row.demo and row.status == "published" for row in rows)
    page = client.page("/zh/faq")
    assert len(page.select("main ul.items a")) == len(DEMO_FAQ)
    assert len(page.select("main h2")) == 3  # Wencheng, Qingtian, Liandu
    assert client.page("/it/faq?q=apostille").links("main ul.items a")
    assert client.page("/zh/faq?q=养老金").links("main ul.items a")
    assert client.page("/en/services/QT-GZ-QS-001").select("#asked")
