"""The whole applicant journey for the driving-licence renewal, in a real browser.

Run once with JavaScript disabled (every step must work as plain HTML forms)
and once with it enabled (the material slots are swapped in place by htmx).
Both runs go from the home page to the status page of a sent application.
"""

import re

import pytest
from bs4 import BeautifulSoup
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from app.models import Case, db
from tests.conftest import APPLICANT, LICENCE

pytestmark = pytest.mark.browser

ITEM_CODE = "JJ-JZ-001"
ITEM_NAME = "Driving licence renewal for holders living abroad"
PHOTO_SLOTS = ("passport_page", "driving_licence", "id_photo")
LATER_SLOT = "medical_certificate"
REFERENCE_RE = re.compile(r"OV-\d{4}-\d{4}-\d{2}")
ACCESS_CODE_RE = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$")
TIMEOUT_MS = 10_000


def make_photo(path, tint):
    """A real 1600x1200 JPEG that looks a little like a photographed document."""
    image = Image.linear_gradient("L").resize((1600, 1200)).convert("RGB")
    image = Image.blend(image, Image.new("RGB", image.size, tint), 0.6)
    draw = ImageDraw.Draw(image)
    draw.rectangle((120, 100, 1480, 1100), outline=(30, 30, 30), width=8)
    for row in range(12):
        draw.line((200, 220 + row * 70, 1400, 220 + row * 70), fill=(60, 60, 90), width=6)
    image.save(path, "JPEG", quality=88)
    return path


@pytest.fixture
def photos(tmp_path):
    tints = {"passport_page": (120, 40, 60), "driving_licence": (40, 90, 140),
             "id_photo": (235, 235, 235)}
    return {key: make_photo(tmp_path / f"{key.replace('_', '-')}.jpg", tints[key])
            for key in PHOTO_SLOTS}


def open_guide_from_home(page, base_url):
    """Home → search → the item's guide page, the way an applicant finds it."""
    page.goto(f"{base_url}/en/")
    page.get_by_role("searchbox", name="What do you need to do?").fill("driving licence")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=ITEM_NAME, exact=True).click()
    expect(page).to_have_url(f"{base_url}/en/services/{ITEM_CODE}")
    expect(page.get_by_role("heading", level=1)).to_have_text(ITEM_NAME)


def fill_start(page):
    expect(page.get_by_role("heading", level=1)).to_have_text("How can we reach you?")
    page.get_by_label("Email address").fill("lin.mei@example.it")
    page.get_by_label("Phone number").fill("+39 312 345 6789")
    page.get_by_label("Language for letters and emails").select_option("en")
    page.get_by_label("Country where you live").select_option("IT")
    page.get_by_label("City").fill("Prato")
    page.get_by_role("button", name="Continue").click()


def save_step(page, title):
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    page.get_by_role("button", name="Save and continue").click()


#: The "About you" answers as the applicant types them: (label, field id, value).
ABOUT_YOU = (("Name in Chinese characters", "name_zh", APPLICANT["name_zh"]),
             ("Name as in your passport", "name_latin", APPLICANT["name_latin"]),
             ("Chinese ID card number", "cn_id", APPLICANT["cn_id"]),
             ("Passport number", "passport_number", APPLICANT["passport_number"]),
             (None, "date_of_birth", APPLICANT["date_of_birth"]),
             ("Your phone number abroad", "phone", APPLICANT["phone"]),
             ("Your address abroad", "address_abroad", APPLICANT["address_abroad"]))


def fill_about_you(page):
    """Answer every question of "About you" (the date by its id: a date control)."""
    expect(page.get_by_role("heading", level=1)).to_have_text("About you")
    for label, key, value in ABOUT_YOU:
        (page.get_by_label(label) if label else page.locator(f"#f-{key}")).fill(value)


def expect_about_you_kept(page):
    """Every answer of "About you" is still in its field."""
    for _label, key, value in ABOUT_YOU:
        expect(page.locator(f"#f-{key}")).to_have_value(value)


def fill_steps(page, base_url):
    # About you
    expect(page).to_have_url(re.compile(rf"{re.escape(base_url)}/en/cases/OV-[\d-]+/steps/applicant$"))
    fill_about_you(page)
    save_step(page, "About you")

    # Your driving licence
    expect(page.get_by_role("heading", level=1)).to_have_text("Your driving licence")
    page.get_by_label("Licence number").fill(LICENCE["licence_number"])
    page.fill("#f-licence_expiry", LICENCE["licence_expiry"])
    # Nine classes: rendered as a <select>, not radios (radios only up to six choices).
    page.get_by_label("Licence class").select_option(LICENCE["licence_class"])
    page.get_by_label("Issued by").fill(LICENCE["issuing_authority"])
    save_step(page, "Your driving licence")

    # Fitness to drive
    expect(page.get_by_role("heading", level=1)).to_have_text("Medical certificate")
    page.get_by_role("radio", name="No").check()
    save_step(page, "Medical certificate")

    # Who does the formalities at home: a brother is entrusted.
    expect(page.get_by_role("heading", level=1)).to_have_text("Who will do the formalities in China?")
    page.get_by_role("radio", name="I entrust a relative at home").check()
    page.get_by_label("Your relative's name in Chinese characters").fill("林建国")
    page.get_by_label("Your relative's Chinese ID card number").fill("330328194501010010")
    page.get_by_label("How is this person related to you?").select_option("sibling")
    page.get_by_label("Your relative's phone number in China").fill("138 0013 8000")
    save_step(page, "Who will do the formalities in China?")


def slot(page, key):
    return page.locator(f"#m-{key}")


def upload_with_js(page, key, path):
    """Upload one photo with the upload client: tus to /files/, then the slot is refreshed."""
    url_before = page.url
    page.set_input_files(f"#file-{key}", str(path))
    with page.expect_response(lambda r: r.request.method == "POST"
                              and r.url.endswith("/files/")) as created:
        with page.expect_response(lambda r: r.request.method == "GET"
                                  and r.url.endswith(f"/materials/{key}/slot")) as refreshed:
            slot(page, key).get_by_role("button", name="Upload").click()
    assert created.value.status == 201
    # The refresh is the slot alone (a fragment), not a whole page.
    fragment = BeautifulSoup(refreshed.value.text(), "html.parser")
    assert fragment.find(["html", "head", "body", "header", "main", "footer"]) is None
    assert [slot["id"] for slot in fragment.select(".slot")] == [f"m-{key}"]
    expect(slot(page, key)).to_contain_text(path.stem)
    expect(slot(page, key).locator(".state")).to_contain_text("Received")
    assert page.url == url_before


def upload_plain(page, key, path):
    """Upload one photo as a plain multipart form post answered with 303."""
    page.set_input_files(f"#file-{key}", str(path))
    with page.expect_request(lambda r: r.method == "POST"
                             and r.url.endswith(f"/materials/{key}")) as info:
        with page.expect_navigation():
            slot(page, key).get_by_role("button", name="Upload").click()
    request = info.value
    assert "hx-request" not in request.headers
    assert request.headers.get("content-type", "").startswith("multipart/form-data")
    redirect = request.response()
    assert redirect.status == 303
    assert redirect.headers["location"].endswith(f"/materials#m-{key}")
    assert request.redirected_to is not None and request.redirected_to.method == "GET"
    expect(page).to_have_url(re.compile(rf"/materials#m-{key}$"))
    expect(slot(page, key)).to_contain_text(path.name)
    expect(slot(page, key).locator(".state")).to_contain_text("Received")


def defer_later(page, js):
    later = slot(page, LATER_SLOT).get_by_role("button", name="I will supply this later")
    if js:
        with page.expect_response(lambda r: r.request.method == "POST"
                                  and r.url.endswith(f"/materials/{LATER_SLOT}/later")) as info:
            later.click()
        assert info.value.request.headers.get("hx-request") == "true"
        assert info.value.status == 200
    else:
        with page.expect_navigation():
            later.click()
    expect(slot(page, LATER_SLOT).locator(".state")).to_contain_text("You will send this later")
    expect(slot(page, LATER_SLOT).get_by_role("button", name="Undo: I will send it now")).to_be_visible()


def do_materials(page, photos, js):
    expect(page.get_by_role("heading", level=1)).to_have_text("Photos of your materials")
    # Nothing is uploaded yet: all four materials are missing.
    expect(page.locator("#missing-summary")).to_contain_text("Still missing: 4 items")
    navigations = []
    if js:
        page.evaluate("window.__ovSamePage = true")
        page.on("framenavigated",
                lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
    for key in PHOTO_SLOTS:
        (upload_with_js if js else upload_plain)(page, key, photos[key])
    defer_later(page, js)
    # The out-of-band summary (htmx) or the re-rendered page (no JS) is up to date.
    expect(page.locator("#missing-summary")).to_have_text("Nothing is missing.")
    if js:
        assert navigations == [], f"uploads navigated the page: {navigations}"
        assert page.evaluate("window.__ovSamePage") is True
    page.get_by_role("button", name="Continue to check your answers").click()


def check_and_send(page):
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    answers = page.locator("main")
    for text in (APPLICANT["name_zh"], APPLICANT["name_latin"], APPLICANT["cn_id"],
                 APPLICANT["passport_number"], LICENCE["issuing_authority"], "Prato"):
        expect(answers).to_contain_text(text)
    expect(page.get_by_text("Some things are still needed")).to_have_count(0)
    expect(answers.locator("dl.answers dd", has_text="1 file received")).to_have_count(3)
    expect(answers.locator("dl.answers dd", has_text="You will send this later")).to_have_count(1)
    page.get_by_role("link", name="Continue to the declaration").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Declaration and sending")
    page.locator("#f-declare").check()
    page.get_by_role("button", name="Send my application").click()


def confirmation(page, tmp_path, name):
    expect(page.get_by_role("heading", level=1)).to_have_text("Application sent")
    expect(page).to_have_url(re.compile(r"/en/cases/OV-[\d-]+/confirmation$"))
    values = page.locator(".panel strong.big")
    expect(values).to_have_count(2)
    reference = values.nth(0).inner_text().strip()
    access_code = values.nth(1).inner_text().strip()
    assert REFERENCE_RE.fullmatch(reference), reference
    assert ACCESS_CODE_RE.match(access_code), access_code
    assert reference in page.url
    shot = tmp_path / f"confirmation-{name}.png"
    # caret="initial": Playwright's caret hiding leaves style="" on inputs, which htmx
    # would later copy during a swap and trip the CSP (style-src 'self').
    page.screenshot(path=str(shot), full_page=True, caret="initial")
    assert shot.stat().st_size > 5_000
    return reference


def status_page(page, reference, photos):
    page.get_by_role("link", name="Follow your application").click()
    expect(page).to_have_url(re.compile(rf"/en/cases/{reference}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Application {reference}")
    expect(page.locator("p.status")).to_contain_text("Sent, waiting for review")
    timeline = page.locator("ol.timeline li")
    expect(timeline).to_have_count(2)
    expect(timeline.nth(0)).to_contain_text("You sent the application")
    expect(timeline.nth(1)).to_contain_text("You started the application")
    expect(page.locator("main")).to_contain_text("Medical certificate of fitness to drive")
    # Files by material, named by what they are (not the phone's file names).
    for key in photos:
        expect(page.locator(f"#files-{key} a")).to_have_count(1)
        expect(page.locator(f"#files-{key} a")).to_contain_text("Photo")
    expect(page.locator("main")).not_to_contain_text(photos["passport_page"].name)


@pytest.mark.parametrize("js", [False, True], ids=["no-js", "js"])
def test_driving_licence_journey(browser, live_server, photos, tmp_path, js):
    context = browser.new_context(java_script_enabled=js, locale="en-GB",
                                  timezone_id="Europe/Rome",
                                  viewport={"width": 412, "height": 915})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda message: problems.append(f"console: {message.text}")
            if "Content Security Policy" in message.text else None)
    try:
        open_guide_from_home(page, live_server)
        page.get_by_role("link", name="Start your application").first.click()
        fill_start(page)
        fill_steps(page, live_server)
        expect(page).to_have_url(re.compile(r"/en/cases/OV-[\d-]+/materials$"))
        do_materials(page, photos, js)
        check_and_send(page)
        reference = confirmation(page, tmp_path, "js" if js else "no-js")
        status_page(page, reference, photos)
        assert problems == []
    finally:
        context.close()


def expect_whole_page(page, lang, current):
    """One whole page in ``lang``: its header with the language switch, one <main>, the
    footer (not a page swapped inside a page, nor a bare fragment)."""
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.get_by_role("banner")).to_have_count(1)
    expect(page.locator("main")).to_have_count(1)
    expect(page.get_by_role("contentinfo")).to_have_count(1)
    expect(page.locator("nav.langs [aria-current=true]")).to_have_text(current)


@pytest.mark.parametrize("js", [False, True], ids=["no-js", "js"])
def test_language_switch_keeps_the_answers(browser, live_server, js):
    """The header's language buttons post the journey form: the same step comes back in
    the other language with everything typed, also after the step was refused once.

    With JavaScript the post is boosted (htmx) and answered with HX-Redirect, so the
    page is loaded whole: <html lang>, the head and its scripts are the new page's."""
    context = browser.new_context(java_script_enabled=js, locale="en-GB",
                                  timezone_id="Europe/Rome",
                                  viewport={"width": 412, "height": 915})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    step_url = re.compile(r"/(en|it)/cases/OV-[\d-]+/steps/applicant$")

    def posted(action):
        """Do ``action``; return the answer to the step's POST it makes."""
        with page.expect_response(lambda r: r.request.method == "POST"
                                  and step_url.search(r.url) is not None) as info:
            action()
        response = info.value
        boosted = response.request.headers.get("hx-boosted")
        assert boosted == ("true" if js else None), boosted
        return response

    def switched_to(lang, response):
        if js:
            assert response.status == 200
            assert re.search(rf"/{lang}/cases/OV-[\d-]+/steps/applicant$",
                             response.headers["hx-redirect"])
        else:
            assert response.status == 303
            assert re.search(rf"/{lang}/cases/OV-[\d-]+/steps/applicant$",
                             response.headers["location"])
        expect(page).to_have_url(re.compile(rf"/{lang}/cases/OV-[\d-]+/steps/applicant$"))

    try:
        open_guide_from_home(page, live_server)
        page.get_by_role("link", name="Start your application").first.click()
        fill_start(page)
        fill_about_you(page)
        page.get_by_label("Passport number").fill("")  # left for later

        switched_to("it", posted(lambda: page.get_by_role("button", name="Italiano").click()))
        expect(page.get_by_role("heading", level=1)).to_have_text("I Suoi dati")
        expect_whole_page(page, "it", "Italiano")
        expect(page.get_by_label("Nome come sul passaporto")).to_have_value(APPLICANT["name_latin"])
        for _label, key, value in ABOUT_YOU:
            expect(page.locator(f"#f-{key}")).to_have_value("" if key == "passport_number"
                                                          else value)
        if js:
            assert page.evaluate("typeof window.htmx") == "object"

        # Refused (the passport number is missing): the step again, in Italian, with its
        # errors; with JavaScript swapped in place (422), without leaving the page.
        refused = posted(lambda: page.locator("#journey-form").get_by_role(
            "button", name="Salva e continua").click())
        assert refused.status == 422
        expect(page.locator("#error-summary")).to_be_visible()
        expect(page.locator("#f-passport_number")).to_have_attribute("aria-invalid", "true")
        expect(page).to_have_url(re.compile(r"/it/cases/OV-[\d-]+/steps/applicant$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("I Suoi dati")
        expect_whole_page(page, "it", "Italiano")
        expect(page.locator("#f-name_zh")).to_have_value(APPLICANT["name_zh"])

        # The switch still works from the refused page, and keeps what was typed there.
        page.locator("#f-passport_number").fill(APPLICANT["passport_number"])
        switched_to("en", posted(lambda: page.get_by_role("button", name="English").click()))
        expect(page.get_by_role("heading", level=1)).to_have_text("About you")
        expect_whole_page(page, "en", "English")
        expect_about_you_kept(page)
        save_step(page, "About you")
        expect(page.get_by_role("heading", level=1)).to_have_text("Your driving licence")
        reference = re.search(r"OV-[\d-]+", page.url).group(0)
        with live_server.app.app_context(), db.connection_context():
            answers = Case.by_reference(reference).answers
        for key in ("name_zh", "name_latin", "cn_id", "passport_number", "address_abroad"):
            assert answers[key] == APPLICANT[key], key
        assert problems == []
    finally:
        context.close()


def test_js_steps_take_one_request_each_and_back_works(browser, live_server):
    """With JavaScript a step's POST is answered with the next page (htmx swaps it in and
    pushes its URL): one request per step, no page load, no other request. Back shows the
    step before (asked from the server), and a reload the page the address bar names."""
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Rome",
                                  viewport={"width": 412, "height": 915})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems, requests = [], []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda message: problems.append(f"console: {message.text}")
            if message.type == "error" and "422" not in message.text else None)
    page.on("request", lambda r: requests.append((r.method, r.resource_type, r.url)))

    def one_request_to(title, action):
        """Do ``action`` (a step's submit); exactly one request, the POST, brings ``title``."""
        page.evaluate("window.__ovSamePage = true")  # gone if the document is replaced
        requests.clear()
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            action()
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        response = posted.value
        assert response.status == 200
        assert response.request.headers.get("hx-boosted") == "true"
        pushed = response.headers["hx-push-url"]
        expect(page).to_have_url(f"{live_server}{pushed}")
        page.wait_for_timeout(300)  # anything the swapped page would fetch starts by then
        assert requests == [("POST", "xhr", response.url)], requests
        assert page.evaluate("window.__ovSamePage") is True
        assert page.title().startswith(title)
        # Read from the new page's heading, as after a page load.
        assert page.evaluate("document.activeElement.tagName") == "H1"
        return pushed

    try:
        open_guide_from_home(page, live_server)
        page.get_by_role("link", name="Start your application").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("How can we reach you?")
        applicant = one_request_to("About you", lambda: fill_start(page))
        expect(page.locator(".refbox")).to_contain_text("Access code")
        fill_about_you(page)
        licence = one_request_to("Your driving licence", lambda: save_step(page, "About you"))
        # Refused (nothing filled in): the errors, in place, at the same address (no new
        # history entry), the error summary read first.
        with page.expect_response(lambda r: r.request.method == "POST") as refused:
            save_step(page, "Your driving licence")
        assert refused.value.status == 422
        expect(page.locator("#error-summary")).to_be_focused()
        expect(page).to_have_url(f"{live_server}{licence}")
        page.get_by_label("Licence number").fill(LICENCE["licence_number"])
        page.fill("#f-licence_expiry", LICENCE["licence_expiry"])
        page.get_by_label("Licence class").select_option(LICENCE["licence_class"])
        page.get_by_label("Issued by").fill(LICENCE["issuing_authority"])
        one_request_to("Medical certificate", lambda: save_step(page, "Your driving licence"))

        # Back: the step before, from the server, with what was saved.
        page.go_back()
        expect(page).to_have_url(f"{live_server}{licence}")
        expect(page.get_by_role("heading", level=1)).to_have_text("Your driving licence")
        expect(page.get_by_label("Licence number")).to_have_value(LICENCE["licence_number"])
        page.go_back()
        expect(page).to_have_url(f"{live_server}{applicant}")
        expect(page.get_by_role("heading", level=1)).to_have_text("About you")
        saved = ("name_zh", "name_latin", "cn_id", "passport_number", "date_of_birth")
        for key in saved:  # as saved (the phone comes back written the standard way)
            expect(page.locator(f"#f-{key}")).to_have_value(APPLICANT[key])
        # Reload: the same page, loaded whole.
        page.reload()
        expect(page.get_by_role("heading", level=1)).to_have_text("About you")
        for key in saved:
            expect(page.locator(f"#f-{key}")).to_have_value(APPLICANT[key])
        assert problems == []
    finally:
        context.close()
