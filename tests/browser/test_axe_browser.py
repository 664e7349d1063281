"""axe-core over the applicant's whole journey, in a real Chromium, in Chinese and Portuguese.

Every page from the home page to the booked video check is checked by axe-core
(npm ``axe-core``, pinned in tests/clients/package-lock.json; installed by
``WITH_DEV=1 scripts/setup.sh``, or named by ``ONEVISIT_AXE_JS``) with its default rules, after htmx has
run: 0 violations. Fields are found by their ids and names, so the walk is the same in
every language.
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import APPLICANT, LICENCE, jpeg_bytes

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ITEM = "JJ-JZ-001"
TIMEOUT_MS = 15_000
CASE_RE = r"/cases/OV-[\d-]+"


def axe_source() -> str:
    configured = os.environ.get("ONEVISIT_AXE_JS")
    path = Path(configured or ROOT / "tests/clients/node_modules/axe-core/axe.min.js")
    if not path.is_file():
        pytest.fail("axe-core not found: run WITH_DEV=1 scripts/setup.sh (npm ci in "
                    "tests/clients) or set ONEVISIT_AXE_JS", pytrace=False)
    return path.read_text(encoding="utf-8")


class Audit:
    """Runs axe on each page shown; keeps every violation by page."""

    def __init__(self, page, source):
        self.page, self.source = page, source
        self.checked, self.violations = [], {}

    def __call__(self, name):
        self.page.wait_for_load_state("load")
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.add_script_tag(content=self.source)
        result = self.page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        self.checked.append(name)
        for rule in result["violations"]:
            targets = [" ".join(map(str, node["target"])) for node in rule["nodes"]][:5]
            self.violations.setdefault(name, []).append(
                f"{rule['id']} ({rule['impact']}): {rule['help']} — {targets}")


def submit(page, form_css):
    page.locator(f"{form_css} button[type=submit]").first.click()


def journey(page, base, lang, audit, tmp_path):
    p = f"{base}/{lang}"
    for name, url in (("home", f"{p}/"), ("catalog", f"{p}/services"),
                      ("search", f"{p}/services?q=JJ"), ("guide", f"{p}/services/{ITEM}"),
                      ("points", f"{p}/service-points"), ("find", f"{p}/cases/find"),
                      ("404", f"{p}/no-such-page")):
        page.goto(url)
        audit(name)
    page.goto(f"{p}/services/{ITEM}/apply")
    audit("start")
    page.fill("#f-email", "lin.mei@example.it")
    page.fill("#f-phone", "+39 312 345 6789")
    page.select_option("#f-language", lang)
    page.select_option("#f-country", "IT")
    page.fill("#f-city", "Prato")
    submit(page, "#journey-form")
    expect(page).to_have_url(re.compile(rf"{CASE_RE}/steps/applicant$"))
    audit("step-applicant")
    submit(page, "#journey-form")                      # nothing filled: the errors shown
    expect(page.locator("#error-summary")).to_be_visible()
    audit("step-applicant-errors")
    for key in ("name_zh", "name_latin", "cn_id", "passport_number", "date_of_birth", "phone",
                "address_abroad"):
        page.fill(f"#f-{key}", APPLICANT[key])
    submit(page, "#journey-form")
    expect(page).to_have_url(re.compile(rf"{CASE_RE}/steps/licence$"))
    audit("step-licence")
    page.fill("#f-licence_number", LICENCE["licence_number"])
    page.fill("#f-licence_expiry", LICENCE["licence_expiry"])
    page.select_option("#f-licence_class", LICENCE["licence_class"])
    page.fill("#f-issuing_authority", LICENCE["issuing_authority"])
    submit(page, "#journey-form")
    expect(page).to_have_url(re.compile(rf"{CASE_RE}/steps/medical$"))
    audit("step-medical")
    page.check('input[name="needs_glasses"][value="no"]')
    submit(page, "#journey-form")
    expect(page).to_have_url(re.compile(rf"{CASE_RE}/entrustment$"))
    audit("entrustment")
    page.check('input[name="mode"][value="agent"]')
    page.fill("#f-agent_name_zh", "林建国")
    page.fill("#f-agent_cn_id", "330328194501010010")
    page.select_option("#f-agent_relationship", "sibling")
    page.fill("#f-agent_phone", "138 0013 8000")
    submit(page, "#journey-form")
    expect(page).to_have_url(re.compile(rf"{CASE_RE}/materials$"))
    audit("materials")
    for n, key in enumerate(("passport_page", "driving_licence", "id_photo")):
        photo = tmp_path / f"{lang}-{key}.jpg"
        photo.write_bytes(jpeg_bytes(color=(200, 150 + n * 20, 120)))
        page.set_input_files(f"#file-{key}", str(photo))
        page.locator(f"#m-{key} .upload-form button[type=submit]").click()
        expect(page.locator(f"#m-{key} .state")).to_have_class(re.compile(r"\bok\b"))
    page.locator("#m-medical_certificate form.later button[type=submit]").click()
    expect(page.locator("#m-medical_certificate .state")).to_have_class(re.compile(r"\blater\b"))
    audit("materials-filled")
    submit(page, 'form[action$="/materials/continue"]')
    expect(page).to_have_url(re.compile(rf"{CASE_RE}/check$"))
    audit("check")
    page.locator('main a[href$="/declaration"]').first.click()
    expect(page).to_have_url(re.compile(rf"{CASE_RE}/declaration$"))
    audit("declaration")
    page.check("#f-declare")
    submit(page, 'form[action$="/declaration"]')
    expect(page).to_have_url(re.compile(rf"{CASE_RE}/confirmation$"))
    audit("confirmation")
    case = re.search(CASE_RE, page.url).group(0)
    page.goto(f"{p}{case}")
    audit("status")
    page.goto(f"{p}{case}/video-check")
    audit("video-check")
    page.locator('input[name="slot"]:not([disabled])').first.check()
    submit(page, 'form:has(input[name="slot"])')
    expect(page.locator("main .notice.ok")).to_be_visible()      # the appointment booked
    audit("video-booked")
    page.goto(f"{p}{case}/withdraw")
    audit("withdraw")


@pytest.mark.markup
@pytest.mark.parametrize("lang", ["zh", "pt"])
def test_axe_finds_nothing_over_the_journey(browser, live_server, tmp_path, lang):
    source = axe_source()
    # Our CSP forbids inline scripts: the context lets the test put axe in (the pages'
    # own scripts and styles are what they are; axe's rules do not read the CSP).
    context = browser.new_context(locale=lang, viewport={"width": 412, "height": 915},
                                  bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    audit = Audit(page, source)
    try:
        journey(page, live_server, lang, audit, tmp_path)
    finally:
        context.close()
    assert len(audit.checked) >= 20, audit.checked
    assert not audit.violations, "\n".join(
        f"{name}: {v}" for name, found in audit.violations.items() for v in found)


def test_axe_reports_what_it_finds(browser):
    """The audit above would notice: a page with an unlabelled image and field fails."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    try:
        page.set_content('<!doctype html><html lang="en"><head><title>t</title></head><body>'
                         '<main><img src="data:,"><input type="text"></main></body></html>')
        audit = Audit(page, axe_source())
        audit("bad")
    finally:
        context.close()
    found = " ".join(audit.violations.get("bad", []))
    assert "image-alt" in found and "label" in found, audit.violations
