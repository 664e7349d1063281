"""A step posted while the connection is down is not lost."""

import re

from playwright.sync_api import expect

from .test_journey_browser import TIMEOUT_MS, fill_start, open_guide_from_home


def test_step_posted_offline_keeps_answers_and_retries(browser, live_server):
    context = browser.new_context(locale="en-GB", viewport={"width": 412, "height": 915})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        open_guide_from_home(page, live_server)
        page.get_by_role("link", name="Start your application").first.click()
        fill_start(page)
        expect(page.get_by_role("heading", level=1)).to_have_text("About you")
        page.get_by_label("Name in Chinese characters").fill("林美")
        page.get_by_label("Name as in your passport").fill("LIN Mei")
        context.set_offline(True)
        page.get_by_role("button", name="Save and continue").click()
        note = page.locator(".offline-note")
        expect(note).to_contain_text("the connection dropped")
        expect(page.get_by_label("Name as in your passport")).to_have_value("LIN Mei")
        expect(page).to_have_url(re.compile(r"/steps/applicant$"))
        context.set_offline(False)
        page.get_by_role("button", name="Save and continue").click()
        # Back online, the same answers arrive: the page now lists what is still missing.
        expect(page.locator("#error-summary")).to_be_visible()
        expect(page.get_by_label("Name as in your passport")).to_have_value("LIN Mei")
        expect(page.locator(".offline-note")).to_have_count(0)
    finally:
        context.close()
