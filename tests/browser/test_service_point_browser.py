"""A walk-in at the Milan service point, in real browsers: volunteer, clerk, agent at home.

The volunteer starts an assisted driving-licence case with an entrusted brother,
prints the pack, books the video check; the clerk records the check, accepts,
approves and records the result; the brother opens his own page with the
agent's code and sees the pickup code, and nothing of the applicant's files.
"""

import io
import re
from pathlib import Path

from playwright.sync_api import expect
from pypdf import PdfReader

from app.models import db
from app.points.seed import load_service_points

from ..conftest import make_staff, slot_started
from .test_journey_browser import check_and_send, do_materials, fill_steps, make_photo
from .test_review_browser import new_page, staff_sign_in as sign_in


def download_pdf(page, link):
    with page.expect_download() as info:
        link.click()
    data = Path(info.value.path()).read_bytes()
    return PdfReader(io.BytesIO(data))


def test_volunteer_in_milan_to_agent_pickup(browser, live_server, tmp_path):
    app = live_server.app
    with app.app_context(), db.connection_context():
        load_service_points()
    make_staff(app, "clerk@test", "clerk", office="police-global-window")
    make_staff(app, "volunteer@test", "volunteer", service_point="milan")
    photos = {key: make_photo(tmp_path / f"{key}.jpg", n)
              for n, key in enumerate(("passport_page", "driving_licence", "id_photo"))}

    volunteer_context, volunteer = new_page(browser, timezone_id="Europe/Rome",
                                            accept_downloads=True)
    clerk_context, clerk = new_page(browser, timezone_id="Asia/Shanghai")
    agent_context, agent = new_page(browser, timezone_id="Asia/Shanghai")
    try:
        # The volunteer at the Milan desk starts the case, with the applicant's consent.
        sign_in(volunteer, live_server, app, "volunteer@test", "Service point desk: Milan")
        start = volunteer.locator("#start")
        start.get_by_label("Service", exact=True).select_option("JJ-JZ-001")
        start.get_by_label("The applicant's language for letters and emails").select_option("en")
        start.locator("#f-email").fill("lin.mei@example.it")
        start.locator("#f-city").fill("Prato")
        start.get_by_role("button", name="Start the application").click()
        expect(start.locator(".error")).to_contain_text("Tick the box")
        expect(start.locator("#f-city")).to_have_value("Prato")  # kept
        start.locator("#f-consent").check()
        start.get_by_role("button", name="Start the application").click()

        # The same journey as an applicant's, in the volunteer's browser.
        fill_steps(volunteer, live_server)
        do_materials(volunteer, photos, js=True)
        check_and_send(volunteer)
        expect(volunteer.get_by_role("heading", level=1)).to_have_text("Application sent")
        reference = re.search(r"OV-[\d-]+", volunteer.url).group(0)
        expect(volunteer.get_by_role("link", name="Book the video check")).to_be_visible()

        # Back at the desk: the print pack (cover, form, letters) and the slip.
        volunteer.goto(f"{live_server}/staff/point/cases/{reference}")
        expect(volunteer.locator("main")).to_contain_text("Started with a volunteer")
        row = volunteer.locator("li", has_text="Print pack")
        pack = download_pdf(volunteer, row.get_by_role("link", name="A4"))
        assert len(pack.pages) >= 4
        cover = pack.pages[0].extract_text()
        assert reference in cover
        assert [round(float(v)) for v in pack.pages[0].mediabox.upper_right] == [595, 842]
        slip = download_pdf(volunteer, volunteer.locator("li", has_text="Slip").get_by_role(
            "link", name="US Letter"))
        code = volunteer.locator("strong.mono").inner_text().strip()
        assert code in slip.pages[0].extract_text()

        # The volunteer books the video check for a time shown in Milan and Beijing time.
        volunteer.get_by_role("button", name="Book the video check").click()
        expect(volunteer.get_by_role("heading", level=1)).to_have_text("Video identity check")
        label = volunteer.locator("label.choice").filter(
            has=volunteer.locator("input[name=slot]:not([disabled])")).first
        first = label.locator("input")
        expect(label).to_contain_text("Italy")
        expect(label).to_contain_text("Beijing time")
        first.check()
        volunteer.get_by_role("button", name="Book this time").click()
        expect(volunteer.locator(".flash")).to_contain_text("booked")
        expect(volunteer.locator(".notice.ok")).to_contain_text("meet.onevisit.example")
        volunteer.screenshot(path=str(tmp_path / "video-booked.png"), full_page=True,
                             caret="initial")

        # The clerk cannot accept before the check, then records it.
        sign_in(clerk, live_server, app, "clerk@test", "Queue")
        expect(clerk.locator("main")).to_contain_text("Video checks on")
        clerk.goto(f"{live_server}/staff/cases/{reference}")
        expect(clerk.locator("#video")).to_contain_text("Booked by volunteer volunteer")
        form = clerk.locator("form.decision", has=clerk.get_by_role(
            "heading", name="Accept (受理)"))
        form.get_by_role("button", name="Accept").click()
        # Up to SQLite's busy timeout (5 s) behind the previews' audit writes on a loaded
        # machine, and then the page: more than expect's default 5 s.
        expect(clerk.locator(".error-summary")).to_contain_text("video check", timeout=15_000)
        # Refused, the browser is at the case's address (a reload posts nothing again).
        expect(clerk).to_have_url(f"{live_server}/staff/cases/{reference}#error-summary")
        video = clerk.locator("form.decision", has=clerk.get_by_role(
            "heading", name="Record the video check"))
        video.get_by_label("Confirmed: the person matches the passport or ID card").check()
        video.get_by_label("The entrusted agent").check()
        video.get_by_label("A volunteer of the service point").check()
        video.get_by_label("The agent was identified and confirmed the entrustment").check()
        slot_started(app, reference)  # the call is on
        video.get_by_role("button", name="Save the outcome").click()
        flash = clerk.locator(".flash.code")
        expect(flash).to_contain_text("Agent's code")
        agent_code = re.search(r"[0-9A-Z]{5}-[0-9A-Z]{5}", flash.inner_text()).group(0)
        clerk.locator("form.decision", has=clerk.get_by_role(
            "heading", name="Accept (受理)")).get_by_role("button", name="Accept").click()
        expect(clerk.locator(".flash")).to_contain_text("Accepted")
        # The certificate promised for later arrives through the desk: nothing is approved
        # on a promise.
        volunteer.goto(f"{live_server}/en/cases/{reference}/materials")
        volunteer.set_input_files("#file-medical_certificate",
                                  str(make_photo(tmp_path / "certificate.jpg", 4)))
        volunteer.locator("#m-medical_certificate").get_by_role("button", name="Upload").click()
        expect(volunteer).to_have_url(f"{live_server}/en/cases/{reference}")
        clerk.reload()
        clerk.locator("form.decision", has=clerk.get_by_role("heading", name="Approve")) \
            .get_by_role("button", name="Approve").click()
        expect(clerk.locator(".flash")).to_contain_text("Approved")
        result = clerk.locator("form.decision", has=clerk.get_by_role(
            "heading", name="Record the result"))
        result.get_by_label("The result (document number, what was issued)").fill(
            "New licence No. 330328 ready at the window")
        result.get_by_role("button", name="Result is ready").click()
        expect(clerk.locator(".flash")).to_contain_text("Result recorded")

        # The brother at home opens his own page with the agent's code.
        agent.goto(f"{live_server}/en/agent")
        agent.get_by_label("Reference").fill(reference)
        agent.get_by_label("Agent's code").fill(agent_code.lower())
        agent.get_by_role("button", name="Open the application").click()
        main = agent.locator("main")
        expect(main).to_contain_text("林建国")
        expect(main).to_contain_text("New licence No. 330328 ready at the window")
        pickup = agent.locator("p.big strong").inner_text().strip()
        assert re.fullmatch(r"\d{6}", pickup)
        expect(main).not_to_contain_text("passport_page")
        agent.screenshot(path=str(tmp_path / "agent.png"), full_page=True, caret="initial")
        # His browser opens none of the applicant's pages.
        response = agent.goto(f"{live_server}/en/cases/{reference}/materials")
        assert response.status == 404

        # Delivery to the agent needs the code he shows.
        clerk.reload()
        deliver = clerk.locator("form.decision", has=clerk.get_by_role(
            "heading", name="Record the delivery"))
        deliver.get_by_label("How", exact=True).select_option("agent_pickup")
        deliver.get_by_label("Pickup code the agent shows").fill(pickup)
        deliver.get_by_role("button", name="Delivered").click()
        expect(clerk.locator(".flash")).to_contain_text("Delivery recorded")
    finally:
        for context in (volunteer_context, clerk_context, agent_context):
            context.close()
