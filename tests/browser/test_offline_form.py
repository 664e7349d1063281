"""A step posted while the connection is down (or the server fails) is not lost.

The journey forms are boosted by htmx: when the POST never reaches the server
(htmx:sendError) or the server answers 5xx (htmx:responseError), static/app.js
puts a note at the top of the form and leaves the page as it is; pressing the
button again sends the same answers.
"""

import re

from playwright.sync_api import expect

from app.models import Case, db
from tests.conftest import APPLICANT

from .test_journey_browser import (TIMEOUT_MS, expect_about_you_kept, expect_whole_page,
                                   fill_about_you, fill_start, open_guide_from_home)

OFFLINE_NOTE = ("Not sent: the connection dropped. Your answers are still here; "
                "please try again.")


def test_step_posted_offline_keeps_answers_and_retries(browser, live_server):
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Rome",
                                  viewport={"width": 412, "height": 915})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    posts = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    try:
        open_guide_from_home(page, live_server)
        page.get_by_role("link", name="Start your application").first.click()
        fill_start(page)
        expect(page).to_have_url(re.compile(r"/en/cases/OV-[\d-]+/steps/applicant$"))
        step_url = page.url
        reference = re.search(r"OV-[\d-]+", step_url).group(0)
        fill_about_you(page)

        context.set_offline(True)
        posts.clear()
        with page.expect_event("requestfailed") as failed:
            page.get_by_role("button", name="Save and continue").click()
        assert failed.value.method == "POST" and failed.value.url == step_url
        assert failed.value.headers.get("hx-boosted") == "true"
        form = page.locator("#journey-form")
        note = form.locator(".offline-note")
        expect(note).to_have_text(OFFLINE_NOTE)
        expect(note).to_have_attribute("role", "alert")
        # Inside the form, at its top; not somewhere else on the page.
        expect(page.locator(".offline-note")).to_have_count(1)
        assert note.evaluate("n => n.parentElement.firstElementChild === n")
        # Still the same page, whole, with every answer.
        expect(page).to_have_url(step_url)
        expect(page.get_by_role("heading", level=1)).to_have_text("About you")
        expect_whole_page(page, "en", "English")
        expect_about_you_kept(page)

        # Pressing again while still offline: one note, not two.
        with page.expect_event("requestfailed"):
            page.get_by_role("button", name="Save and continue").click()
        expect(page.locator(".offline-note")).to_have_count(1)
        expect_about_you_kept(page)
        assert len(posts) == 2 and all(r.failure for r in posts)  # none reached the server
        with live_server.app.app_context(), db.connection_context():
            assert not Case.by_reference(reference).answers  # nothing saved yet

        # Back online, the same button sends the same answers: on to the next step.
        context.set_offline(False)
        with page.expect_response(lambda r: r.request.method == "POST"
                                  and r.url == step_url) as sent:
            page.get_by_role("button", name="Save and continue").click()
        assert sent.value.status == 200 and sent.value.headers["hx-push-url"].endswith(
            f"/en/cases/{reference}/steps/licence")
        expect(page).to_have_url(re.compile(rf"/en/cases/{reference}/steps/licence$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Your driving licence")
        expect(page.locator(".offline-note")).to_have_count(0)
        with live_server.app.app_context(), db.connection_context():
            answers = Case.by_reference(reference).answers
        for key in ("name_zh", "name_latin", "cn_id", "passport_number", "address_abroad"):
            assert answers[key] == APPLICANT[key], key
        assert problems == []
    finally:
        context.close()


#: What a server error looks like from the outside (the app's 500 page, or a proxy's).
ERROR_PAGE = ("<!doctype html><html lang=\"en\"><head><title>Something went wrong on our side"
              " · OneVisit</title></head><body><main><h1>Something went wrong on our side</h1>"
              "<p>Please try again in a few minutes.</p></main></body></html>")


def test_step_answered_with_a_server_error_keeps_answers_and_retries(browser, live_server):
    """A 5xx is not swapped in by htmx: the page says so in the form, keeps every answer,
    and the same button sends them again."""
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Rome",
                                  viewport={"width": 412, "height": 915})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    try:
        open_guide_from_home(page, live_server)
        page.get_by_role("link", name="Start your application").first.click()
        fill_start(page)
        expect(page).to_have_url(re.compile(r"/en/cases/OV-[\d-]+/steps/applicant$"))
        step_url = page.url
        reference = re.search(r"OV-[\d-]+", step_url).group(0)
        fill_about_you(page)

        def fail(route):
            if route.request.method != "POST":
                return route.continue_()
            return route.fulfill(status=503, content_type="text/html; charset=utf-8",
                                 body=ERROR_PAGE)

        page.route(step_url, fail)
        with page.expect_response(lambda r: r.url == step_url) as answer:
            page.get_by_role("button", name="Save and continue").click()
        assert answer.value.status == 503
        note = page.locator("#journey-form .offline-note")
        expect(note).to_have_text("Something went wrong on our side")
        expect(note).to_have_attribute("role", "alert")
        expect(page.locator(".offline-note")).to_have_count(1)
        expect(page).to_have_url(step_url)
        expect(page.get_by_role("heading", level=1)).to_have_text("About you")
        expect_whole_page(page, "en", "English")
        expect_about_you_kept(page)

        page.unroute(step_url)
        page.get_by_role("button", name="Save and continue").click()
        expect(page).to_have_url(re.compile(rf"/en/cases/{reference}/steps/licence$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Your driving licence")
        with live_server.app.app_context(), db.connection_context():
            assert Case.by_reference(reference).answers["name_latin"] == APPLICANT["name_latin"]
        assert problems == []
    finally:
        context.close()
