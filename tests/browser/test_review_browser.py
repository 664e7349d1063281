"""The whole lifecycle in real browsers: applicant, clerk and department officer."""

import re
from datetime import timedelta

from playwright.sync_api import expect

from app.models import Staff, db

from ..conftest import confirm_video, make_staff, today, totp_now
from .test_journey_browser import (TIMEOUT_MS, check_and_send, confirmation, do_materials,
                                   fill_start, fill_steps, make_photo, open_guide_from_home)


def new_page(browser, **options):
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900},
                                  **options)
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


def staff_sign_in(page, base, app, email, landing="Queue"):
    with app.app_context(), db.connection_context():
        Staff.update(totp_last_step=0).where(Staff.email == email).execute()
    page.goto(f"{base}/staff/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step sign-in")
    page.get_by_label("Code from your authenticator app").fill(totp_now())
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(landing)


def decide(page, title, button, fields=None):
    """Fill the decision form titled ``title`` ({label: value}) and press ``button``.
    A label may carry the "(optional)" mark after it."""
    form = page.locator("form.decision", has=page.get_by_role("heading", name=title))
    for label, value in (fields or {}).items():
        control = form.get_by_label(re.compile(rf"^{re.escape(label)}( \(optional\))?$"))
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    form.get_by_role("button", name=button).click()


def test_return_fix_accept_transfer_approve_deliver(browser, live_server, tmp_path):
    app = live_server.app
    make_staff(app, "clerk@test", "clerk", office="police-global-window")
    make_staff(app, "officer@test", "officer", department="traffic-vehicle-office")
    photos = {key: make_photo(tmp_path / f"{key}.jpg", n)
              for n, key in enumerate(("passport_page", "driving_licence", "id_photo"))}
    fixed = make_photo(tmp_path / "id_photo_sharp.jpg", 7)

    applicant_context, applicant = new_page(browser, timezone_id="Europe/Rome")
    clerk_context, clerk = new_page(browser)
    officer_context, officer = new_page(browser)
    try:
        # The applicant sends the driving-licence application.
        open_guide_from_home(applicant, live_server)
        applicant.get_by_role("link", name="Start your application").first.click()
        fill_start(applicant)
        fill_steps(applicant, live_server)
        do_materials(applicant, photos, js=True)
        check_and_send(applicant)
        reference = confirmation(applicant, tmp_path, "review")
        applicant.get_by_role("link", name="Follow your application").click()

        # The clerk returns it for one blurry photo.
        staff_sign_in(clerk, live_server, app, "clerk@test")
        clerk.get_by_role("link", name=reference).click()
        expect(clerk.get_by_role("heading", level=1)).to_contain_text(reference)
        form = clerk.locator("form.decision", has=clerk.get_by_role("heading", name="Return for corrections (补正)"))
        form.get_by_role("checkbox", name="Recent ID photo (white background)").check()
        form.get_by_label("What is wrong: Recent ID photo (white background)").fill(
            "The photo is blurry; take it again in daylight")
        form.get_by_label("Due date").fill((today() + timedelta(days=10)).isoformat())
        form.get_by_role("button", name="Return to the applicant").click()
        expect(clerk.locator(".flash")).to_contain_text("went back to the applicant")

        # The applicant sees what to fix, replaces the photo and sends again.
        applicant.reload()
        expect(applicant.locator("p.status")).to_contain_text("Needs your corrections")
        expect(applicant.locator("main")).to_contain_text("take it again in daylight")
        applicant.get_by_role("link", name="Correct and send again").click()
        slot = applicant.locator("#m-id_photo")
        slot.get_by_role("button", name=re.compile("^Remove")).click()
        expect(slot.get_by_role("button", name="Upload")).to_be_visible()
        applicant.set_input_files("#file-id_photo", str(fixed))
        slot.get_by_role("button", name="Upload").click()
        expect(slot).to_contain_text(fixed.name)
        applicant.get_by_role("button", name="Continue to check your answers").click()
        check_and_send(applicant)
        expect(applicant.get_by_role("heading", level=1)).to_have_text("Application sent")

        # The video check confirmed the applicant and the entrusted brother (its own browser
        # test is test_service_point_browser); then the clerk accepts with the medical
        # certificate deferred, and passes it on.
        confirm_video(app, reference)
        clerk.reload()
        expect(clerk.locator("h1 .badge").first).to_have_text("Waiting for review")
        decide(clerk, "Accept (受理)", "Accept")
        expect(clerk.locator(".flash")).to_contain_text("Accepted")
        decide(clerk, "Pass to the responsible department (流转)", "Pass on",
               {"Note for the department": "Please check the licence record"})
        expect(clerk.locator(".flash")).to_contain_text("Passed to the department")

        # The applicant sends the certificate promised for later: nothing is approved on a
        # promise.
        applicant.goto(f"{live_server}/en/cases/{reference}")
        applicant.get_by_role("link", name="Send the materials you owe").click()
        owed = applicant.locator("#m-medical_certificate")
        applicant.set_input_files("#file-medical_certificate", str(fixed))
        owed.get_by_role("button", name="Upload").click()
        # Nothing more is owed: the page moves on to the status page (not inside the slot).
        expect(applicant).to_have_url(f"{live_server}/en/cases/{reference}")
        expect(applicant.locator("header")).to_have_count(1)
        expect(applicant.locator("ol.timeline")).to_contain_text(
            "You sent a material you had promised")
        expect(applicant.get_by_role("link", name="Send the materials you owe")).to_have_count(0)

        # The department officer sees it at the top of their queue, not opened yet, and
        # approves.
        staff_sign_in(officer, live_server, app, "officer@test")
        officer.locator("section.fresh").get_by_role("link", name=reference).click()
        expect(officer.locator("main")).to_contain_text("Please check the licence record")
        decide(officer, "Approve", "Approve")
        expect(officer.locator(".flash")).to_contain_text("Approved")

        # The clerk records the result and the courier delivery.
        clerk.reload()
        decide(clerk, "Record the result", "Result is ready",
               {"The result (document number, what was issued)": "New licence issued"})
        expect(clerk.locator(".flash")).to_contain_text("Result recorded")
        decide(clerk, "Record the delivery", "Delivered",
               {"How": "courier", "Courier tracking number": "SF1234567890"})
        expect(clerk.locator(".flash")).to_contain_text("Delivery recorded")

        # The applicant's status page shows every step.
        applicant.goto(f"{live_server}/en/cases/{reference}")
        expect(applicant.locator("p.status")).to_contain_text("Delivered")
        timeline = applicant.locator("ol.timeline")
        for text in ("You started the application", "You sent the application",
                     "The office asked for corrections", "You sent your corrections",
                     "The office accepted the application", "Passed to the responsible department",
                     "Approved", "The result is ready", "The result was delivered"):
            expect(timeline).to_contain_text(text)
        expect(applicant.locator("main")).to_contain_text("SF1234567890")
        expect(applicant.locator("main")).not_to_contain_text("Please check the licence record")
        applicant.screenshot(path=str(tmp_path / "status-delivered.png"), full_page=True,
                             caret="initial")
    finally:
        for context in (applicant_context, clerk_context, officer_context):
            context.close()
