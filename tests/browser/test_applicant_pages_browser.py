"""The applicant's pages in a real browser on a 412 px wide phone screen: a second tap
on Send does no harm, ID numbers and codes do not wrap, a slot refresh trips no CSP
rule, and a large scan says how long it will take before it is sent."""

import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.conftest import APPLICANT

from .test_journey_browser import (do_materials, fill_start, fill_steps,  # noqa: F401
                                   open_guide_from_home, photos, upload_with_js)

pytestmark = pytest.mark.browser

PHONE = {"width": 412, "height": 915}
TIMEOUT_MS = 10_000
ACTIONABLE = "a, button, input, select, textarea, label, summary"


def _context(browser, js=True):
    context = browser.new_context(java_script_enabled=js, locale="en-GB",
                                  timezone_id="Europe/Rome", viewport=PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _csp_watch(page):
    """Every console message about the Content Security Policy, and page errors."""
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda m: problems.append(m.text)
            if "Content Security Policy" in m.text else None)
    return problems


def _to_materials(page, live_server):
    open_guide_from_home(page, live_server)
    page.get_by_role("link", name="Start your application").first.click()
    fill_start(page)
    fill_steps(page, live_server)
    expect(page).to_have_url(re.compile(r"/en/cases/OV-[\d-]+/materials$"))


def _actionable_at(page, x, y):
    """The tag of the link, button or field under the point, or None."""
    return page.evaluate("""([x, y, sel]) => {
        const hit = document.elementFromPoint(x, y);
        const act = hit && hit.closest(sel);
        return act ? act.outerHTML.slice(0, 120) : null;
    }""", [x, y, ACTIONABLE])


def test_a_second_tap_on_send_does_no_harm_and_the_code_stays_in_sight(browser, live_server,
                                                                        photos, tmp_path):  # noqa: F811
    context = _context(browser, js=False)
    page = context.new_page()
    try:
        _to_materials(page, live_server)
        do_materials(page, photos, js=False)
        expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
        page.get_by_role("link", name="Continue to the declaration").click()
        page.locator("#f-declare").check()
        send = page.get_by_role("button", name="Send my application")
        send.scroll_into_view_if_needed()
        box = send.bounding_box()  # in the viewport, where the finger is
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        scrolled = page.evaluate("window.scrollY")
        page.screenshot(path=str(tmp_path / "declaration-412.png"))
        page.mouse.click(x, y)
        expect(page.get_by_role("heading", level=1)).to_have_text("Application sent")
        page.evaluate(f"window.scrollTo(0, {scrolled})")  # as if the page kept the scroll
        page.screenshot(path=str(tmp_path / "confirmation-412.png"))
        # Nothing to press around that spot (a thumb is not a mouse pointer; the page
        # above may be longer or shorter in other languages): 150 px up and down.
        for at_y in range(int(y) - 150, int(y) + 151, 10):
            for at_x in (30, x, PHONE["width"] - 30):
                hit = _actionable_at(page, at_x, at_y)
                assert hit is None, (at_x, at_y, hit)
        page.evaluate("window.scrollTo(0, 0)")
        assert _actionable_at(page, x, y) is None
        # The second tap lands on text: still the confirmation, code in sight.
        url = page.url
        page.mouse.click(x, y)
        assert page.url == url
        code = page.locator(".panel strong.big").nth(1).inner_text().strip()
        assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code)
        expect(page.get_by_role("heading", level=1)).to_have_text("Application sent")
        # Every page that follows shows it: the booking, the status page.
        page.get_by_role("link", name="Book the video check").click()
        expect(page.locator("#refbox")).to_contain_text(code)
        page.go_back()
        page.get_by_role("link", name="Follow your application").click()
        expect(page.locator("#refbox")).to_contain_text(code)
        expect(page.locator("#documents a").first).to_be_visible()
        # The reference in the heading does not break at its dashes either.
        assert _lines(page, page.locator("h1 .nowrap")) == 1
        page.screenshot(path=str(tmp_path / "status-412.png"), full_page=True)
    finally:
        context.close()


def _lines(page, locator):
    """How many line boxes the element's text takes."""
    return locator.evaluate("e => e.getClientRects().length")


def test_id_numbers_and_codes_do_not_wrap_on_a_phone(browser, live_server, tmp_path):
    context = _context(browser)
    page = context.new_page()
    try:
        _to_materials(page, live_server)
        code = page.locator("#refbox .nowrap").nth(1)
        assert _lines(page, code) == 1
        page.goto(page.url.replace("/materials", "/check"))
        own = page.locator("dl.answers .nowrap", has_text=APPLICANT["cn_id"])
        relative = page.locator("dl.answers .nowrap", has_text="330328194501010010")
        for number in (own, relative):
            expect(number).to_be_visible()
            assert _lines(page, number) == 1
            box = number.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
            # One line high, as tall as a line of its own text.
            height = number.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
            assert box["height"] <= height * 1.2, (box, height)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        own.scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "check-412.png"))
    finally:
        context.close()


def test_refreshing_an_upload_slot_trips_no_csp_rule(browser, live_server, photos):  # noqa: F811
    context = _context(browser)
    page = context.new_page()
    problems = _csp_watch(page)
    try:
        _to_materials(page, live_server)
        # Something (the browser, an extension, a test tool) put a style attribute on the
        # slot and its file field; htmx must not copy it back as inline style on a swap.
        page.evaluate("""() => {
            document.querySelector('#m-passport_page').style.outline = '1px solid #ccc';
            document.querySelector('#file-passport_page').style.caretColor = 'transparent';
        }""")
        upload_with_js(page, "passport_page", photos["passport_page"])
        # And a refresh of the slot on its own (as after every upload).
        with page.expect_response(lambda r: r.url.endswith("/materials/passport_page/slot")):
            page.evaluate("""() => {
                const f = document.querySelector('#m-passport_page');
                f.style.outline = '1px solid #ccc';
                return htmx.ajax('GET', location.pathname + '/passport_page/slot',
                    {source: '#m-passport_page', target: '#m-passport_page', swap: 'outerHTML'});
            }""")
        expect(page.locator("#m-passport_page .state")).to_contain_text("Received")
        page.wait_for_timeout(300)  # settling is done 20 ms after the swap
        assert problems == []
    finally:
        context.close()


def _scanned_pdf(path, pages=2):
    """A scanned-looking PDF: each page a noisy greyscale photo (compresses badly)."""
    images = [Image.effect_noise((1700, 2200), 60 + 10 * n).convert("RGB")
              for n in range(pages)]
    images[0].save(path, "PDF", save_all=True, append_images=images[1:], quality=92,
                   resolution=200)
    return path


def test_a_large_scan_says_how_long_it_takes_and_offers_photos(browser, live_server,
                                                               tmp_path):
    context = browser.new_context(locale="pt-PT", timezone_id="Europe/Lisbon", viewport=PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        _to_materials(page, live_server)
        page.goto(page.url.replace("/en/", "/pt/"))
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        up = 750_000 / 8  # DevTools "3G": 1.6 Mbit/s down, 750 kbit/s up
        cdp.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": 300, "downloadThroughput": 1_600_000 / 8,
            "uploadThroughput": up})
        page.wait_for_function("navigator.connection && navigator.connection.downlink < 2")
        pdf = _scanned_pdf(tmp_path / "carta scan.pdf")
        size = pdf.stat().st_size
        assert size > 2_000_000, size
        form = page.locator("#m-driving_licence form.upload-form")
        page.set_input_files("#file-driving_licence", str(pdf))
        estimate = form.locator(".estimate p").first
        expect(estimate).to_be_visible()
        text = estimate.inner_text()
        # The size with a decimal comma (Portuguese), the time in Portuguese words.
        megabytes = f"{size / 1048576:.1f}".replace(".", ",")
        assert megabytes in text, (megabytes, text)
        found = re.search(r"(\d+) (minutos?|segundos?)", text)
        assert found, text
        secs = int(found.group(1)) * (60 if found.group(2).startswith("minuto") else 1)
        real = size / up
        assert real / 2 <= secs <= real * 2, (secs, real, text)
        template = form.get_attribute("data-msg-estimate")
        assert text.startswith(template.split("{size}")[0])
        # Photos of the two pages would be quicker: offered, and it opens the chooser
        # for photos (the PDF is not sent).
        offer = form.get_by_role("button", name=form.get_attribute("data-msg-photos-button"))
        expect(offer).to_be_visible()
        form.screenshot(path=str(tmp_path / "estimate-412.png"))
        assert re.search(r"\b2\b", form.locator(".estimate p").nth(1).inner_text())
        with page.expect_file_chooser() as chooser:
            offer.click()
        assert chooser.value.element.get_attribute("id") == "file-driving_licence"
        assert "image/jpeg" in page.locator("#file-driving_licence").get_attribute("accept")
        assert page.locator("#file-driving_licence").evaluate("e => e.files.length") == 0
    finally:
        context.close()
