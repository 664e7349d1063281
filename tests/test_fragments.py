"""Fragment or whole page (app/fragments.py): htmx's requests get what they ask for.

A partial htmx request (a live filter) gets the fragment; a plain visit, a
boosted navigation and a history restore get the whole page. Every such answer
names the htmx headers in ``Vary``. A boosted journey form that succeeds is
answered with the next page itself and ``HX-Push-Url`` (one round trip; a plain
form with a 303); a boosted language switch with ``HX-Redirect`` (a full load).
"""

import pytest

from .conftest import APPLICANT, Journey, sign_in, submitted_case
from .pages import Page

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

def test_a_boosted_step_that_succeeds_answers_with_the_next_page(client, journey):
    """One round trip: the POST's answer is the next step itself (200) and the URL the
    browser shows for it (HX-Push-Url), a page that a reload or Back can GET."""
    journey.start()
    url = f"/en/cases/{journey.reference}/steps/applicant"
    moved = client.submit(url, APPLICANT, status=200, headers=BOOSTED)
    next_url = f"/en/cases/{journey.reference}/steps/licence"
    assert moved.headers["HX-Push-Url"] == next_url
    assert "HX-Redirect" not in moved.headers
    assert "X-OneVisit-Follow" not in moved.headers
    assert moved.location is None
    assert_whole_page(moved)
    assert moved.one("h1").get_text(strip=True) == "Your driving licence"
    assert moved.title.startswith("Your driving licence")
    assert moved.one("form#journey-form")["action"] == next_url
    assert moved.field("licence_number") == ""
    assert journey.reference in moved.one(".refbox").get_text()
    assert varies_by_htmx(moved)
    assert moved.headers["Cache-Control"] == "private, no-store"
    again = client.page(next_url, headers=HISTORY_RESTORE)  # Back, reload
    assert again.one("h1").get_text(strip=True) == "Your driving licence"
    # The step was saved by the POST, once.
    assert client.page(url).field("name_latin") == "LIN Mei"


def test_a_plain_step_that_succeeds_answers_303(client, journey):
    journey.start()
    url = f"/en/cases/{journey.reference}/steps/applicant"
    moved = client.submit(url, APPLICANT)
    assert moved.location == f"/en/cases/{journey.reference}/steps/licence"
    assert moved.status == 303 and "About you" not in moved.html
    assert "X-OneVisit-Follow" not in moved.headers  # the mark stays inside
    assert "HX-Redirect" not in moved.headers
    assert "HX-Push-Url" not in moved.headers


def test_a_boosted_step_with_errors_shows_the_whole_page_again(client, journey):
    journey.start()
    url = f"/en/cases/{journey.reference}/steps/applicant"
    page = client.submit(url, dict(APPLICANT, date_of_birth="1968-02-30"), status=422,
                         headers=BOOSTED)
    assert "HX-Redirect" not in page.headers
    assert page.headers["HX-Push-Url"] == "false"  # the address stays, no new history entry
    assert_whole_page(page)
    assert page.field_error("date_of_birth")
    assert page.field("date_of_birth") == "1968-02-30"
    assert page.field("name_latin") == "LIN Mei"


def test_a_boosted_start_answers_with_the_first_step(app):
    """The case is created and granted to this browser by the POST; the page that comes
    back in the same answer already sees that access (the POST's session cookie)."""
    journey = Journey(app.test_client())
    url = "/en/services/JJ-JZ-001/apply"
    form = journey.client.page(url).form_data("#journey-form")
    data = dict(form, email="lin.mei@example.it", phone="+39 312 345 6789", language="en",
                country="IT", city="Prato", tz="Europe/Rome")
    moved = journey.client.submit(url, data, status=200, headers=BOOSTED)
    target = moved.headers["HX-Push-Url"]
    assert target.startswith("/en/cases/OV-") and target.endswith("/steps/applicant")
    assert moved.one("h1").get_text(strip=True) == "About you"
    code = moved.one(".refbox").get_text(" ", strip=True)
    assert "Access code" in code
    assert any(c.startswith("session=") for c in moved.headers.getlist("Set-Cookie"))
    assert journey.client.page(target).one("h1").get_text(strip=True) == "About you"


def test_a_boosted_language_switch_still_loads_the_whole_page(client, journey):
    """Another language needs another <html lang> and head: a full load (HX-Redirect)."""
    journey.start()
    url = f"/en/cases/{journey.reference}/steps/applicant"
    moved = client.submit(url, dict(APPLICANT, switch_lang="it"), status=200,
                          headers=BOOSTED)
    assert moved.headers["HX-Redirect"] == f"/it/cases/{journey.reference}/steps/applicant"
    assert "HX-Push-Url" not in moved.headers
    assert moved.html == ""


def test_boosted_materials_continue_and_send_answer_with_the_next_page(app):
    """The two other step POSTs: materials → check, declaration → confirmation."""
    from .conftest import fill_driving_licence, jpeg_bytes
    journey = Journey(app.test_client())
    journey.start()
    fill_driving_licence(journey)
    for key in ("passport_page", "driving_licence", "id_photo"):
        assert journey.upload(key, jpeg_bytes()).status == 303
    assert journey.defer("medical_certificate").status == 303
    check = journey.post(f"{journey.base}/materials/continue", {},
                         form_page=f"{journey.base}/materials", headers=BOOSTED)
    assert check.status == 200
    assert check.headers["HX-Push-Url"] == f"{journey.base}/check"
    assert check.one("h1").get_text(strip=True) == "Check your answers"
    form = journey.declaration_form()
    sent = journey.client.post(f"{journey.base}/declaration",
                               data=dict(form, declare="yes"), headers=BOOSTED)
    assert sent.status_code == 200
    assert sent.headers["HX-Push-Url"] == f"{journey.base}/confirmation"
    page = Page(sent)
    assert page.one("h1").get_text(strip=True) == "Application sent"
    assert journey.reference in page.text
