"""The live filters search once per change of what was asked (CI failure of 46cd48a).

The catalog's search box and the queue's reference box search as one types. When the
box then loses focus (the tap on a result does that), the browser fires ``change``: if
that searched again, the results were swapped in under the finger between the press
and the release, and the tap was lost. The selects and the checkbox still filter on
``change``.
"""

import re

from playwright.sync_api import expect

from tests.conftest import make_staff, submitted_case

from .test_journey_browser import ITEM_NAME
from .test_review_browser import new_page, staff_sign_in


def count_htmx_requests(page):
    requests = []
    page.on("request", lambda r: requests.append(r.url)
            if r.headers.get("hx-request") == "true" else None)
    return requests


def settle(page):
    """Long enough for any debounced trigger (400 and 500 ms) to have fired and answered."""
    page.wait_for_timeout(1200)
    page.wait_for_load_state("networkidle")


def test_leaving_the_catalog_search_box_does_not_search_again(browser, live_server):
    context, page = new_page(browser)
    try:
        page.goto(f"{live_server}/en/services")
        requests = count_htmx_requests(page)
        page.get_by_role("searchbox", name="Search by keyword").fill("driving")
        expect(page).to_have_url(re.compile(r"q=driving"))
        settle(page)
        assert len(requests) == 1, requests
        page.keyboard.press("Tab")  # the box loses focus: "change"
        settle(page)
        assert len(requests) == 1, requests

        page.get_by_label("Topic").select_option(index=1)  # a select still filters
        settle(page)
        assert len(requests) == 2, requests

        # The tap on a result lands on the result.
        page.get_by_role("searchbox", name="Search by keyword").fill("licence")
        settle(page)
        page.get_by_label("Topic").select_option(index=0)
        settle(page)
        page.get_by_role("searchbox", name="Search by keyword").focus()
        page.get_by_role("link", name=ITEM_NAME, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(ITEM_NAME)
    finally:
        context.close()


def test_leaving_the_queue_reference_box_does_not_filter_again(browser, live_server):
    app = live_server.app
    make_staff(app, "clerk@test", "clerk", office="police-global-window")
    reference = submitted_case(app).reference
    context, page = new_page(browser)
    try:
        staff_sign_in(page, live_server, app, "clerk@test")
        requests = count_htmx_requests(page)
        page.get_by_label("Reference or applicant name").fill(reference)
        settle(page)
        assert len(requests) == 1, requests
        page.keyboard.press("Tab")
        settle(page)
        assert len(requests) == 1, requests

        page.get_by_label("Materials still owed").check()  # the checkbox still filters
        settle(page)
        assert len(requests) == 2, requests
        page.get_by_label("Sort by").select_option("deadline")  # and so do the selects
        settle(page)
        assert len(requests) == 3, requests
    finally:
        context.close()
