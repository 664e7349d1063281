"""A case's status page is kept in memory for the browser that holds the case, until
something happens to the case (app/pagecache.py ``personal``)."""

from flask import template_rendered

from app.cases import lifecycle
from app.models import Case

from ..conftest import Journey, submitted_case
from ..pages import Page


def renders(app):
    seen = []
    template_rendered.connect(lambda sender, template, context, **extra: seen.append(
        template.name), app, weak=False)
    return seen


def test_the_status_page_is_kept_until_something_happens_to_the_case(app):
    journey = submitted_case(app)
    seen = renders(app)
    first = journey.client.get(journey.base)
    assert first.status_code == 200 and "cases/status.html" in seen
    seen.clear()
    again = journey.client.get(journey.base)
    assert again.status_code == 200 and seen == [], "served from memory"
    assert again.data == first.data
    assert again.headers["Cache-Control"] == first.headers["Cache-Control"]

    # An event that changes nothing of the case (a reminder sent) shows at once.
    case = Case.by_reference(journey.reference)
    lifecycle.record(case, "reminder", data={"overdue": False, "deferred_due": "2030-01-01",
                                             "deferred": ["medical_certificate"]},
                     notify=["applicant"])
    reminded = journey.client.get(journey.base)
    assert "cases/status.html" in seen and reminded.data != first.data
    assert Case.by_reference(journey.reference).version == case.version, \
        "a reminder does not make a clerk's decision stale"

    # So does a change (a clerk asks to call back: a new version of the case).
    seen.clear()
    assert journey.client.get(journey.base).data == reminded.data and seen == []
    lifecycle.change(Case.by_reference(journey.reference), "note", actor="staff",
                     note="Please call the window.")
    journey.client.get(journey.base)
    assert "cases/status.html" in seen


def test_each_browser_gets_its_own_page_and_access_is_checked_first(app):
    journey = submitted_case(app)
    mine = Page(journey.client.get(journey.base))
    # Another phone that opened the case with its access code: a page of its own (its
    # own form token), not the first phone's from memory.
    code = Page(journey.client.get(f"{journey.base}/confirmation")).texts(".panel strong.big")[1]
    other = Journey(app.test_client())
    opened = Page(other.client.post("/en/cases/find", data={
        "csrf_token": Page(other.client.get("/en/cases/find")).csrf(),
        "reference": journey.reference, "code": code}))
    assert opened.status == 303
    theirs = Page(other.client.get(journey.base))
    assert theirs.status == 200
    assert theirs.csrf() != mine.csrf()
    # A browser that does not hold the case gets nothing from memory either.
    assert app.test_client().get(journey.base).status_code == 404
    # Nor does the first phone once it forgot the case.
    forgot = journey.client.post(f"{journey.base}/forget", data={"csrf_token": mine.csrf()})
    assert forgot.status_code == 303
    assert journey.client.get(journey.base).status_code == 404
