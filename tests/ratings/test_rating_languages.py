"""The rating's pages and emails in the five languages besides English: no untranslated
English (as tests/i18n/test_no_english_leaks.py does for the rest of the applicant's side),
and the refusals in the page's language."""

from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext

from app import clock
from app.cases.notify import messages
from app.models import Case, Event, FollowUp, Staff, db
from app.ratings import invitations, service
from tests.i18n.test_no_english_leaks import (LOCALES, english_catalog_texts, english_messages,
                                              leaks, visible_text)

from .helpers import delivered_case


@pytest.mark.parametrize("lang", LOCALES)
def test_rating_pages_and_emails_have_no_english(staff_app, lang):
    sources = english_messages(lang) | english_catalog_texts()
    journey, _clerk = delivered_case(staff_app, lang=lang)
    client, url = journey.client, f"{journey.base}/rating/delivered"
    problems = {}

    def read(name, page):
        found = leaks(visible_text(page), sources)
        if found:
            problems[name] = found

    read("status, to rate", client.page(journey.base))
    form = client.page(url)
    read("rating page", form)
    refused = client.submit(url, {"csrf_token": form.csrf(), "level": "9", "visits": "-1",
                                  "comment": "x" * 2001}, status=422)
    with staff_app.test_request_context(f"/{lang}/"):
        with force_locale(lang):
            wanted = gettext("Choose how satisfied you are overall.")
    assert refused.field_error("level").endswith(wanted)
    read("rating refused", refused)
    client.submit(url, {"csrf_token": form.csrf(), "level": "2", "visits": "1", "guide": "no",
                        "speed": "1", "service": "2", "website": "3", "comment": "—"})
    with staff_app.test_request_context(f"/{lang}/"), db.connection_context():
        supervisor = Staff.get(Staff.email == "supervisor@test")
        service.reply(FollowUp.get(), supervisor, "—", "zh" if lang != "zh" else "it")
    read("status, rated and answered", client.page(journey.base))
    read("rating page, to change", client.page(url))
    with clock.clock_at(clock.now() + timedelta(days=8)):
        read("rating page, closed", client.page(url))
        late = client.submit(url, {"csrf_token": form.csrf(), "level": "1", "visits": "0"},
                             status=409)
        read("rating refused after the week", late)
    with staff_app.test_request_context(f"/{lang}/"), db.connection_context():
        case = Case.by_reference(journey.reference)
        for kind in ("rating_invited", "follow_up_reply"):
            event = Event(case=case, kind=kind, actor="system", note="—",
                          data={"stage": "delivered", "lang": "zh"})
            for message in messages(event, case, "applicant"):
                text = message["Subject"] + " " + message.get_body(("plain",)).get_content()
                found = leaks(text, sources)
                if found:
                    problems[f"email {kind}"] = found
        assert invitations.due_cases() == []
    assert not problems, problems


@pytest.mark.parametrize("lang", LOCALES)
def test_a_rating_owned_by_the_agent_has_no_english(staff_app, lang):
    """What the applicant reads of their entrusted agent's rating: the block, the
    timeline, the rating page they may no longer change, and its refusal (409)."""
    sources = english_messages(lang) | english_catalog_texts()
    journey, _clerk = delivered_case(staff_app, lang=lang, entrust=True)
    url = f"{journey.base}/rating/delivered"
    form = journey.client.page(url)
    with staff_app.test_request_context(f"/{lang}/"), db.connection_context():
        service.rate(Case.by_reference(journey.reference), "delivered", service.Answers(
            level=1, visits=0, comment="—"), locale=lang, by="agent")
    problems = {}
    for name, page in (("status", journey.client.page(journey.base)),
                       ("rating page", journey.client.page(url)),
                       ("refused", journey.client.submit(url, {
                           "csrf_token": form.csrf(), "level": "5", "visits": "0"},
                           status=409))):
        found = leaks(visible_text(page), sources)
        if found:
            problems[name] = found
    assert not problems, problems
