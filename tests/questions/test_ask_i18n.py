"""The asker's pages and emails in the five other languages: no English left.

Uses the English texts of the translation catalogs (tests/i18n/test_no_english_leaks.py):
the new texts of the questions are checked once their translations are in the catalogs.
"""

import pytest
from flask import Response

from tests.i18n.test_no_english_leaks import LOCALES, english_messages, leaks, visible_text
from tests.pages import Page
from tests.test_html_valid import Collector, question_pages

from .test_question_mail import answer, ask, body
from tests.conftest import smtp


@pytest.mark.parametrize("lang", LOCALES)
def test_asker_pages_and_emails_have_no_english(staff_app, smtp_server, lang):
    sources = english_messages(lang)
    pages = Collector(lang)
    question_pages(staff_app, lang, pages)
    assert not pages.problems, pages.problems
    found = {}
    for name, html in pages.pages.items():
        page = Page(Response(html))
        hits = leaks(visible_text(page), sources)
        if hits:
            found[name] = hits
    collector = smtp(staff_app, smtp_server)
    asker, _page = ask(staff_app, lang, text="我想换驾驶证")
    answer(staff_app, asker.reference, "需要护照。", "zh" if lang != "zh" else "it")
    for _to, message in collector.messages:
        hits = leaks(f"{message['Subject']} {body(message)}", sources)
        if hits:
            found[message["Subject"]] = hits
    assert not found, found
