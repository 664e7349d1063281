"""The Milan volunteer works in Italian, in a real browser, from sign-in to booking a
video check and printing the pack (issue 15).

The volunteer's browser speaks Italian (locale it-IT, Europe/Rome): the staff pages
follow it, the walk-in applicant's language is Italian too, so the journey pages the
volunteer fills in with the applicant are the Italian ones (/it/cases/…). The interface
texts the test looks for come from the real Italian catalog (translations/it) and the
time zones' names from Babel's locale data, never typed here by hand.
"""

import io
import re
import shutil
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import get_timezone_location
from babel.support import Translations
from playwright.sync_api import expect
from pypdf import PdfReader

from app.models import Item, Staff, db
from app.points.seed import load_service_points

from ..conftest import AGENT, APPLICANT, LICENCE, make_staff, totp_now
from .test_journey_browser import TIMEOUT_MS, make_photo

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "translations" / "it" / "LC_MESSAGES" / "messages.po"
SHOTS = Path("/tmp/shots")
PHOTO_SLOTS = ("passport_page", "driving_licence", "id_photo")
LATER_SLOT = "medical_certificate"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@cache
def _catalog(lang):
    return Translations.load(str(ROOT / "translations"), [lang])


@cache
def _po_ids():
    from babel.messages.pofile import read_po
    with CATALOG.open("rb") as po:
        return {message.id for message in read_po(po) if message.id}


def t(msgid, lang="it"):
    """``msgid`` as the real catalog translates it (the message must be in the Italian
    catalog, translated: an English text left on an Italian page is a bug)."""
    assert msgid in _po_ids(), f"not in the Italian catalog: {msgid!r}"
    text = _catalog(lang).gettext(msgid)
    assert text != msgid or lang == "en", f"not translated to {lang}: {msgid!r}"
    return text


def new_page(browser, **options):
    context = browser.new_context(locale="it-IT", timezone_id="Europe/Rome",
                                  viewport={"width": 1280, "height": 900}, **options)
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


def shot(page, tmp_path, name):
    """A full-page screenshot in ``tmp_path``, copied to /tmp/shots/volunteer-it-<name>.png."""
    path = tmp_path / f"volunteer-it-{name}.png"
    # caret="initial": Playwright's caret hiding leaves style="" on inputs, which htmx
    # would later copy during a swap and trip the CSP (style-src 'self').
    page.screenshot(path=str(path), full_page=True, caret="initial")
    assert path.stat().st_size > 5_000
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, SHOTS / path.name)
    return path


def expect_italian(page):
    """A staff page in Italian, with the header's switch to the six languages."""
    expect(page.locator("html")).to_have_attribute("lang", "it")
    switch = page.locator(f"form[aria-label=\"{t('Language of the staff pages')}\"]")
    expect(switch.locator("[lang]")).to_have_count(6)
    expect(switch.locator("[aria-current=true]")).to_have_text("Italiano")


def sign_in_in_italian(page, base, app, email, city):
    """Password, then the authenticator code, on Italian pages; lands on the desk."""
    with app.app_context(), db.connection_context():
        Staff.update(totp_last_step=0).where(Staff.email == email).execute()
    page.goto(f"{base}/staff/login")
    expect_italian(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Staff sign-in"))
    page.get_by_label(t("Email address")).fill(email)
    page.get_by_label("Password", exact=True).fill("correct horse battery")
    page.get_by_role("button", name=t("Sign in")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Two-step sign-in"))
    expect_italian(page)
    page.get_by_label(t("Code from your authenticator app")).fill(totp_now())
    page.get_by_role("button", name=t("Continue")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t("Service point desk: %(city)s") % {"city": city})
    expect_italian(page)


def save_step(page):
    page.locator("#journey-form").get_by_role("button", name=t("Save and continue")).click()


def fill_steps(page, base):
    """The driving-licence steps, filled by the fields' ids and the choices' values."""
    expect(page).to_have_url(re.compile(
        rf"{re.escape(base)}/it/cases/OV-[\d-]+/steps/applicant$"))
    expect(page.locator("html")).to_have_attribute("lang", "it")
    for key, value in APPLICANT.items():
        page.locator(f"#f-{key}").fill(value)
    save_step(page)

    expect(page).to_have_url(re.compile(r"/it/cases/OV-[\d-]+/steps/licence$"))
    page.locator("#f-licence_number").fill(LICENCE["licence_number"])
    page.locator("#f-licence_expiry").fill(LICENCE["licence_expiry"])
    page.locator("#f-licence_class").select_option(LICENCE["licence_class"])
    page.locator("#f-issuing_authority").fill(LICENCE["issuing_authority"])
    save_step(page)

    expect(page).to_have_url(re.compile(r"/it/cases/OV-[\d-]+/steps/medical$"))
    page.locator("input[name=needs_glasses][value=no]").check()
    save_step(page)

    # A brother at home is entrusted.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t("Who will do the formalities in China?"))
    page.locator(f"input[name=mode][value={AGENT['mode']}]").check()
    for key in ("agent_name_zh", "agent_cn_id", "agent_phone"):
        page.locator(f"#f-{key}").fill(AGENT[key])
    page.locator("#f-agent_relationship").select_option(AGENT["agent_relationship"])
    for power in AGENT["powers"]:
        page.locator(f"input[name=powers][value={power}]").check()
    save_step(page)


def slot(page, key):
    return page.locator(f"#m-{key}")


def upload(page, key, path):
    """One photo through the upload client (tus, then the slot refreshed in place)."""
    page.set_input_files(f"#file-{key}", str(path))
    with page.expect_response(lambda r: r.request.method == "GET"
                              and r.url.endswith(f"/materials/{key}/slot")):
        slot(page, key).get_by_role("button", name=t("Upload")).click()
    expect(slot(page, key)).to_contain_text(path.stem)
    expect(slot(page, key).locator(".state")).to_contain_text(t("Received"))


def do_materials(page, photos):
    expect(page).to_have_url(re.compile(r"/it/cases/OV-[\d-]+/materials$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Photos of your materials"))
    for key in PHOTO_SLOTS:
        upload(page, key, photos[key])
    later = slot(page, LATER_SLOT).get_by_role("button", name=t("I will supply this later"))
    with page.expect_response(lambda r: r.request.method == "POST"
                              and r.url.endswith(f"/materials/{LATER_SLOT}/later")):
        later.click()
    expect(slot(page, LATER_SLOT).locator(".state")).to_contain_text(
        t("You will send this later"))
    expect(page.locator("#missing-summary")).to_have_text(t("Nothing is missing."))
    page.get_by_role("button", name=t("Continue to check your answers")).click()


def check_and_send(page):
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Check your answers"))
    answers = page.locator("main")
    for text in (APPLICANT["name_zh"], APPLICANT["name_latin"], APPLICANT["cn_id"],
                 LICENCE["issuing_authority"], AGENT["agent_name_zh"], "Prato"):
        expect(answers).to_contain_text(text)
    expect(answers.locator("dl.answers dd", has_text=t("You will send this later"))) \
        .to_have_count(1)
    page.get_by_role("link", name=t("Continue to the declaration")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Declaration and sending"))
    page.locator("#f-declare").check()
    page.get_by_role("button", name=t("Send my application")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Application sent"))
    expect(page).to_have_url(re.compile(r"/it/cases/OV-[\d-]+/confirmation$"))


def download_pdf(page, link, keep=None):
    """The PDF the link downloads (a copy kept as ``keep``, and in /tmp/shots, if given)."""
    with page.expect_download() as info:
        link.click()
    data = Path(info.value.path()).read_bytes()
    if keep is not None:
        keep.write_bytes(data)
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(keep, SHOTS / keep.name)
    return PdfReader(io.BytesIO(data))


def english_left(page):
    """English interface texts still on the page (words of the English catalog that an
    Italian page must not show)."""
    text = page.locator("body").inner_text()
    return [w for w in ("Print pack", "Slip with", "Video identity check", "Timeline",
                        "Book the video check", "Service point desk", "Sign out",
                        "Started with a volunteer") if w in text]


def test_milan_volunteer_in_italian(browser, live_server, tmp_path):
    app = live_server.app
    with app.app_context(), db.connection_context():
        load_service_points()
    make_staff(app, "volontaria@test", "volunteer", service_point="milan")
    with app.app_context(), db.connection_context():
        item_name = Item.active_by_code("JJ-JZ-001").names["it"]  # the catalog's Italian
    photos = {key: make_photo(tmp_path / f"{key}.jpg", n) for n, key in enumerate(PHOTO_SLOTS)}
    context, page = new_page(browser, accept_downloads=True)
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda message: problems.append(f"console: {message.text}")
            if "Content Security Policy" in message.text else None)
    try:
        # Sign-in: the browser asks for Italian, the staff pages answer in Italian.
        sign_in_in_italian(page, live_server, app, "volontaria@test", "Milano")
        header = page.get_by_role("banner")
        expect(header).to_contain_text(t("Service point desk"))
        expect(header.get_by_role("button", name=t("Sign out"))).to_be_visible()
        start = page.locator("#start")
        expect(start.get_by_role("heading", level=2)).to_have_text(
            t("Start an application for a walk-in applicant"))
        assert english_left(page) == [], english_left(page)
        shot(page, tmp_path, "desk")

        # The walk-in applicant speaks Italian; the form insists on the consent.
        start.get_by_label(t("Service"), exact=True).select_option("JJ-JZ-001")
        start.get_by_label(t("The applicant's language for letters and emails")) \
            .select_option("it")
        start.locator("#f-email").fill("lin.mei@example.it")
        start.locator("#f-city").fill("Prato")
        expect(start.locator("label[for=f-city]")).to_contain_text(t("City"))
        start.get_by_role("button", name=t("Start the application")).click()
        expect(start.locator(".error")).to_contain_text(t(
            "Tick the box once the applicant has agreed that you fill in the application "
            "with them."))
        expect_italian(page)
        expect(start.locator("#f-city")).to_have_value("Prato")
        start.locator("#f-consent").check()
        start.get_by_role("button", name=t("Start the application")).click()

        # The applicant's own pages, in Italian, filled in together at the desk.
        fill_steps(page, live_server)
        do_materials(page, photos)
        check_and_send(page)
        reference = re.search(r"OV-[\d-]+", page.url).group(0)
        expect(page.get_by_role("link", name=t("Book the video check"))).to_be_visible()

        # Back at the desk's page of the case, in Italian.
        page.goto(f"{live_server}/staff/point/cases/{reference}")
        expect_italian(page)
        main = page.locator("main")
        expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
        expect(main.locator("p.caption")).to_contain_text(item_name)
        expect(main).to_contain_text(t("Started with a volunteer at a service point"))
        expect(main.get_by_role("heading", name=t("Print"), exact=True)).to_be_visible()
        # The case is in Italian like the volunteer: no "show it in their language" link.
        expect(page.locator("p.show-for")).to_have_count(0)
        expect(page.locator("p.shown-for")).to_have_count(0)
        assert english_left(page) == [], english_left(page)
        shot(page, tmp_path, "desk-case")

        # The print pack (A4): cover with the reference, the form in Chinese and Italian.
        pack_label = t("Print pack: cover sheet, form and letters to sign")
        row = page.locator("li", has_text=pack_label)
        pack = download_pdf(page, row.get_by_role("link", name="A4"),
                            keep=tmp_path / "volunteer-it-pack.pdf")
        assert len(pack.pages) >= 4
        assert [round(float(v)) for v in pack.pages[0].mediabox.upper_right] == [595, 842]
        text = "\n".join(p.extract_text() or "" for p in pack.pages)
        assert reference in pack.pages[0].extract_text()
        assert CHINESE.search(text), "no Chinese in the print pack"
        assert APPLICANT["name_zh"] in text
        for italian in (t("Reference"), t("Applicant"), t("Passport number"), item_name):
            assert italian in text, f"not in the print pack: {italian!r}"
        # The slip with the access code.
        code = page.locator("strong.mono").inner_text().strip()
        slip = download_pdf(page, page.locator(
            "li", has_text=t("Slip with the access code, for the applicant")).get_by_role(
                "link", name="A4"))
        assert code in slip.pages[0].extract_text()

        # The video check, booked on the applicant's page in Italian: Italy and Beijing time.
        page.get_by_role("button", name=t("Book the video check")).click()
        expect(page).to_have_url(re.compile(rf"/it/cases/{reference}/video-check"))
        expect(page.locator("html")).to_have_attribute("lang", "it")
        expect(page.get_by_role("heading", level=1)).to_have_text(t("Video identity check"))
        label = page.locator("label.choice").filter(
            has=page.locator("input[name=slot]:not([disabled])")).first
        expect(label).to_contain_text(get_timezone_location(ZoneInfo("Europe/Rome"),
                                                            locale="it"))  # Ora Italia
        expect(label).to_contain_text(t("Beijing time"))
        expect(label).to_contain_text("Pechino")
        label.locator("input").check()
        page.get_by_role("button", name=t("Book this time")).click()
        expect(page.locator(".flash")).to_contain_text(
            t("Your video identity check is booked. We sent the details by email."))
        booked = page.locator(".notice.ok")
        expect(booked).to_contain_text(t("Your appointment"))
        expect(booked).to_contain_text("meet.onevisit.example")
        shot(page, tmp_path, "booking")

        # The desk shows the booking in Milan's time and Beijing's.
        page.goto(f"{live_server}/staff/point/cases/{reference}")
        expect_italian(page)
        expect(main).to_contain_text("Pechino")
        expect(page.get_by_role("button", name=t("Change the video check"))).to_be_visible()

        # The header's switch: to Chinese (the case is Italian: now the link to show the
        # page to the applicant in Italian appears), and back to Italian.
        page.get_by_role("banner").get_by_role("button", name="中文").click()
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
        expect(page).to_have_url(f"{live_server}/staff/point/cases/{reference}")
        expect(main).to_contain_text(t("Print", lang="zh"))
        show = page.locator("p.show-for")
        expect(show).to_have_text(t("Show this page to the applicant in %(language)s",
                                    lang="zh") % {"language": "Italiano"})
        show.get_by_role("link").click()
        expect(page.locator("html")).to_have_attribute("lang", "it")
        shown = page.locator("p.shown-for")
        expect(shown).to_be_visible()
        shown.get_by_role("link", name="中文").click()
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
        page.get_by_role("banner").get_by_role("button", name="Italiano").click()
        expect_italian(page)
        expect(page).to_have_url(f"{live_server}/staff/point/cases/{reference}")
        expect(page.locator("p.show-for")).to_have_count(0)
        expect(page.locator("p.shown-for")).to_have_count(0)
        assert problems == []
    finally:
        context.close()
