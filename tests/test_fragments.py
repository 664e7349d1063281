"""Fragment or whole page (app/fragments.py): htmx's requests get what they ask for.

A partial htmx request (a live filter) gets the fragment; a plain visit, a
boosted navigation and a history restore get the whole page. Every such answer
names the htmx headers in ``Vary``. A boosted form that succeeds is sent on
with ``HX-Redirect`` (a plain form with a 303).
"""

import pytest

from .conftest import APPLICANT, Journey, sign_in, submitted_case

PLAIN = {}
BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}
HISTORY_RESTORE = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
PARTIAL = {"HX-Request": "true"}
WHOLE_PAGES = {"plain": PLAIN, "boosted": BOOSTED, "history restore": HISTORY_RESTORE}


def varies_by_htmx(page) -> bool:
    """Whether the answer's ``Vary`` names every htmx header it depends on."""
    named = {value.strip().lower() for value in page.headers.get("Vary", "").split(",")}
    return {"hx-request", "hx-boosted", "hx-history-restore-request"} <= named


def assert_whole_page(page):
    assert page.one("html")
    assert page.one("body > header")
    assert page.one("body > footer")
    assert page.one("main")


def assert_fragment(page):
    assert page.first("html") is None
    assert page.first("head") is None
    assert page.first("header") is None
    assert page.first("footer") is None
    assert page.first("main") is None


# -- The catalog's live search --------------------------------------------------------

@pytest.mark.parametrize("kind", WHOLE_PAGES)
def test_catalog_search_is_a_whole_page_unless_htmx_asks_for_part(client, kind):
    page = client.page("/en/services?q=licence", headers=WHOLE_PAGES[kind])
    assert_whole_page(page)
    assert page.one("h1").get_text(strip=True) == "Services"
    assert page.field("q") == "licence"               # the search form around the results
    assert "Driving licence renewal for holders living abroad" in page.texts(
        "#results ul.items > li > a")
    assert varies_by_htmx(page)


def test_catalog_search_fragment_for_a_partial_htmx_request(client):
    page = client.page("/en/services?q=licence", headers=PARTIAL)
    assert_fragment(page)
    assert page.first("form") is None                 # just the results, not the form
    found = page.texts("ul.items > li > a")
    assert "Driving licence renewal for holders living abroad" in found
    assert page.one("p.count").get_text(" ", strip=True) == (
        f"{len(found)} services · matching “licence”")
    assert found == client.page("/en/services?q=licence").texts("#results ul.items > li > a")
    assert varies_by_htmx(page)


def test_catalog_fragment_and_page_are_not_the_same_cached_answer(client):
    whole = client.page("/en/services?q=licence")
    part = client.page("/en/services?q=licence", headers=PARTIAL)
    assert whole.headers["ETag"] != part.headers["ETag"]
    # Asking again with the page's ETag, the fragment is not taken for "not modified".
    again = client.page("/en/services?q=licence", headers=dict(
        PARTIAL, **{"If-None-Match": whole.headers["ETag"]}))
    assert_fragment(again)


# -- The clerks' queue ----------------------------------------------------------------

@pytest.fixture
def clerk_with_a_case(staff_app):
    journey = submitted_case(staff_app)
    return sign_in(staff_app, "clerk@test"), journey.reference


@pytest.mark.parametrize("kind", WHOLE_PAGES)
def test_queue_is_a_whole_page_unless_htmx_asks_for_part(clerk_with_a_case, kind):
    clerk, reference = clerk_with_a_case
    page = clerk.page("/staff/queue", headers=WHOLE_PAGES[kind])
    assert page.one("html")
    assert page.one("body > header")
    assert page.one("main form.qfilters")              # the filters come with the page
    assert reference in page.texts("#queue-table table.queue td a")
    assert varies_by_htmx(page)


def test_queue_fragment_for_a_partial_htmx_request(clerk_with_a_case):
    clerk, reference = clerk_with_a_case
    page = clerk.page("/staff/queue", headers=PARTIAL)
    assert_fragment(page)
    assert page.first("form.qfilters") is None  # the filters are the page's
    assert page.first("form.bulk-form")  # the table's ticks go with it
    assert page.texts("table.queue td a") == [reference]
    assert varies_by_htmx(page)


# -- Boosted journey forms ------------------------------------------------------------

def test_a_boosted_step_that_succeeds_is_sent_on_with_hx_redirect(client, journey):
    journey.start()
    url = f"/en/cases/{journey.reference}/steps/applicant"
    moved = client.submit(url, APPLICANT, status=200, headers=BOOSTED)
    assert moved.headers["HX-Redirect"] == f"/en/cases/{journey.reference}/steps/licence"
    assert moved.location is None
    assert moved.html == ""
    assert varies_by_htmx(moved)
    assert client.page(moved.headers["HX-Redirect"]).field("licence_number") == ""


def test_a_plain_step_that_succeeds_answers_303(client, journey):
    journey.start()
    url = f"/en/cases/{journey.reference}/steps/applicant"
    moved = client.submit(url, APPLICANT)
    assert moved.location == f"/en/cases/{journey.reference}/steps/licence"
    assert "HX-Redirect" not in moved.headers


def test_a_boosted_step_with_errors_shows_the_whole_page_again(client, journey):
    journey.start()
    url = f"/en/cases/{journey.reference}/steps/applicant"
    page = client.submit(url, dict(APPLICANT, date_of_birth="1968-02-30"), status=422,
                         headers=BOOSTED)
    assert "HX-Redirect" not in page.headers
    assert_whole_page(page)
    assert page.field_error("date_of_birth")
    assert page.field("date_of_birth") == "1968-02-30"
    assert page.field("name_latin") == "LIN Mei"


def test_a_boosted_start_is_sent_on_with_hx_redirect(app):
    journey = Journey(app.test_client())
    url = "/en/services/JJ-JZ-001/apply"
    form = journey.client.page(url).form_data("#journey-form")
    data = dict(form, email="lin.mei@example.it", phone="+39 312 345 6789", language="en",
                country="IT", city="Prato", tz="Europe/Rome")
    moved = journey.client.submit(url, data, status=200, headers=BOOSTED)
    target = moved.headers["HX-Redirect"]
    assert target.startswith("/en/cases/OV-") and target.endswith("/steps/applicant")
    journey.client.page(target)
