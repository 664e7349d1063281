"""Back after a miss in htmx's history cache shows the whole page (issue 11).

The catalog's search and the clerks' queue filters swap their results in with
hx-push-url. Back to such a URL, once htmx's history cache no longer holds it,
makes htmx ask the server for it with ``HX-History-Restore-Request`` and put
the answer in place of the whole <body>: the server must answer with the
whole page (header, language switch, footer, the form and the results), not
with the fragment a live filter gets. Back from another document reloads the
URL, and the browser's cache must not hand back the fragment either (Vary).
"""

import re

from playwright.sync_api import expect

from tests.conftest import make_staff, submitted_case

from .test_journey_browser import ITEM_NAME
from .test_review_browser import new_page, staff_sign_in

#: htmx's history cache (sessionStorage since htmx 2.0.7, localStorage before). The
#: layouts set its size to 0, so it stays empty; it is emptied anyway, so that the
#: tests still miss it if the cache is switched on again.
CACHE_KEY = "htmx-history-cache"


def empty_history_cache(page):
    """Empty htmx's history cache, wherever this htmx keeps it."""
    page.evaluate("key => { sessionStorage.removeItem(key); localStorage.removeItem(key); }",
                  CACHE_KEY)


def back_with_restore(page, url_part):
    """Press Back to a URL htmx pushed in this document: htmx misses its cache and asks the
    server (``HX-History-Restore-Request``); return that request's answer."""
    with page.expect_response(lambda r: r.request.headers.get(
            "hx-history-restore-request") == "true") as restore:
        page.go_back()
    response = restore.value
    assert url_part in response.url, response.url
    assert response.status == 200
    assert "HX-History-Restore-Request" in response.headers.get("vary", "")
    return response


def expect_one_of_each(page, *selectors):
    for selector in selectors:
        expect(page.locator(selector)).to_have_count(1)


def search(page, words):
    """Type in the catalog's search box; htmx swaps the results in and pushes the URL."""
    with page.expect_request(lambda r: r.headers.get("hx-request") == "true"
                             and f"q={words}" in r.url):
        page.get_by_role("searchbox", name="Search by keyword").fill(words)
    expect(page).to_have_url(re.compile(rf"/en/services\?q={words}(&|$)"))
    expect(page.locator("#results .count")).to_contain_text(f"matching “{words}”")


def expect_whole_catalog(page, words):
    """The whole catalog page, searched for ``words``."""
    banner = page.get_by_role("banner")
    expect(banner.get_by_role("link", name="OneVisit")).to_be_visible()
    languages = banner.get_by_role("navigation", name="Language")
    expect(languages.locator("[aria-current=true]")).to_have_text("English")
    expect(languages.get_by_role("link", name="中文")).to_be_visible()
    footer = page.get_by_role("contentinfo")
    expect(footer.get_by_role("link", name="All services")).to_be_visible()
    expect(footer.get_by_role("link", name="Find my application")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Services")
    form = page.get_by_role("search")
    expect(form.get_by_role("searchbox")).to_have_value(words)
    expect(form.get_by_label("County or district")).to_be_visible()
    expect(form.get_by_label("Topic")).to_be_visible()
    expect(page.locator("#results .count")).to_contain_text(f"matching “{words}”")
    # One page, not a page inside a page.
    expect_one_of_each(page, "header.top", "main", "footer", "form.search", "#results")
    expect(page).to_have_title(f"Search: {words} · OneVisit")


def test_back_after_a_history_cache_miss_on_the_catalog(browser, live_server):
    context, page = new_page(browser)
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    try:
        page.goto(f"{live_server}/en/services")
        search(page, "driving")
        search(page, "passport")  # on to another page of this document
        empty_history_cache(page)
        back_with_restore(page, "q=driving")
        expect(page).to_have_url(re.compile(r"/en/services\?q=driving(&|$)"))
        expect_whole_catalog(page, "driving")
        expect(page.get_by_role("link", name=ITEM_NAME, exact=True)).to_be_visible()

        # The restored page works: htmx still searches in place (only the results change).
        search(page, "licence")
        expect_one_of_each(page, "header.top", "main", "footer", "form.search", "#results")

        # On to another document and Back: the URL is loaded again, whole.
        page.get_by_role("link", name=ITEM_NAME, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(ITEM_NAME)
        empty_history_cache(page)
        page.go_back()
        expect(page).to_have_url(re.compile(r"/en/services\?q=licence(&|$)"))
        expect_whole_catalog(page, "licence")
        assert problems == []
    finally:
        context.close()


def filter_queue(page, reference):
    """Type a reference in the queue's filter; htmx swaps the table in and pushes the URL."""
    with page.expect_request(lambda r: r.headers.get("hx-request") == "true"
                             and f"q={reference}" in r.url):
        page.get_by_label("Reference or applicant name").fill(reference)
    expect(page).to_have_url(re.compile(rf"/staff/queue\?.*q={reference}(&|$)"))
    expect(page.locator("#queue-table tbody tr")).to_have_count(1)
    expect(page.locator("#queue-table tbody").get_by_role("link")).to_have_text(reference)


def expect_whole_queue(page, reference):
    """The whole queue page, filtered on ``reference``."""
    banner = page.get_by_role("banner")
    expect(banner.get_by_role("link", name="OneVisit staff")).to_be_visible()
    expect(banner.get_by_role("link", name="Queue")).to_be_visible()
    expect(banner.get_by_role("button", name="Sign out")).to_be_visible()
    expect(banner.get_by_role("button", name="中文")).to_be_visible()  # the language switch
    expect(page.get_by_role("heading", level=1)).to_have_text("Queue")
    expect(page.get_by_role("list", name="Cases by status")).to_be_visible()
    filters = page.locator("form.qfilters")
    expect(filters.get_by_label("Reference or applicant name")).to_have_value(reference)
    expect(filters.get_by_role("button", name="Filter")).to_be_visible()
    rows = page.locator("#queue-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.get_by_role("link")).to_have_text(reference)
    expect_one_of_each(page, "header.top", "main", "form.qfilters", "#queue-table",
                       "table.queue")
    expect(page).to_have_title("Queue · OneVisit staff")


def test_back_after_a_history_cache_miss_on_the_queue(browser, live_server):
    app = live_server.app
    make_staff(app, "clerk@test", "clerk", office="police-global-window")
    first, second = (submitted_case(app).reference for _ in range(2))
    context, page = new_page(browser)
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    try:
        staff_sign_in(page, live_server, app, "clerk@test")
        expect(page).to_have_url(re.compile(r"/staff/queue$"))
        filter_queue(page, first)
        filter_queue(page, second)  # on to another page of this document
        empty_history_cache(page)
        back_with_restore(page, f"q={first}")
        expect(page).to_have_url(re.compile(rf"/staff/queue\?.*q={first}(&|$)"))
        expect_whole_queue(page, first)

        # The restored page works: the filters still swap the table in place.
        filter_queue(page, second)
        expect_one_of_each(page, "header.top", "main", "form.qfilters", "#queue-table")

        # On to the case (another document) and Back: the queue is loaded again, whole.
        page.get_by_role("link", name=second).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(second)
        empty_history_cache(page)
        page.go_back()
        expect(page).to_have_url(re.compile(rf"/staff/queue\?.*q={second}(&|$)"))
        expect_whole_queue(page, second)
        assert problems == []
    finally:
        context.close()
