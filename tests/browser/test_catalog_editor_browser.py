"""In real browsers: a county's catalog admin writes a new service in Chinese and Italian,
previews it, publishes it; an applicant applies in Italian; the admin publishes version 2;
the first application still shows version 1 on its pages and in its PDF."""

import re
import subprocess

from playwright.sync_api import expect

from ..conftest import make_staff
from .test_journey_browser import ABOUT_YOU, TIMEOUT_MS, make_photo
from .test_review_browser import new_page, staff_sign_in

CODE = "QT-BR-001"
NAME_ZH, NAME_IT = "海外居住证明开具", "Certificato di residenza all'estero"
MATERIAL_ZH, MATERIAL_IT = "居住国居留证明", "Permesso di soggiorno"
NAME_IT_V2 = "Certificato di residenza all'estero (nuova versione)"


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode()


def fill_texts(page, base, locale, texts, done=True):
    page.goto(f"{base}/staff/admin/catalog/{CODE}/draft/text?locale={locale}")
    for name, value in texts.items():
        page.locator(f"[name='{name}']").fill(value)
    if done:
        page.get_by_label("These texts are checked and done").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_have_text("Saved.")


def write_new_service(page, base):
    page.get_by_role("link", name="Catalog").click()
    page.get_by_role("link", name="New service").click()
    page.get_by_label("Item code", exact=True).fill(CODE)
    page.get_by_label("Name in Chinese").fill(NAME_ZH)
    page.get_by_label("Department").select_option("qingtian-psb-household")
    page.get_by_label("Topic").select_option("certificates")
    page.get_by_role("button", name="Create the draft").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(NAME_ZH)
    expect(page.locator("main")).to_contain_text("not yet published")

    page.get_by_role("link", name="Materials").click()
    page.get_by_label("Key", exact=True).fill("residence_permit")
    page.get_by_label("Name in Chinese").fill(MATERIAL_ZH)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("table.queue")).to_contain_text(MATERIAL_ZH)
    page.get_by_role("link", name="Back to the draft").click()

    page.get_by_role("link", name="Department, fee, time limit and flags").click()
    page.get_by_label("Fee").fill("20")
    page.get_by_label("Time limit in working days").fill("5")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_have_text("Saved.")

    fill_texts(page, base, "zh", {"summary": "为海外侨胞开具居住证明。",
                                  "guidance": "上传居留证明的照片。",
                                  "next_steps": "窗口审核后邮寄证明。"})
    fill_texts(page, base, "it", {"name": NAME_IT,
                                  "summary": "Un certificato di residenza per chi vive all'estero.",
                                  "guidance": "Carichi una foto del permesso di soggiorno.",
                                  "next_steps": "Lo sportello controlla e spedisce il certificato.",
                                  "m.residence_permit.name": MATERIAL_IT})


def preview_and_publish(page, base, version):
    page.goto(f"{base}/staff/admin/catalog/{CODE}/draft")
    row = page.locator("tr", has_text="Italiano")
    expect(row.locator(".badge")).to_have_text("Done")
    row.get_by_role("link", name="Preview in Italiano").click()
    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(page.locator("main")).to_contain_text(MATERIAL_IT)
    expect(page.locator("main .notice")).to_be_visible()  # a draft's preview says so
    heading = page.get_by_role("heading", level=1).inner_text()
    page.screenshot(path=f"/tmp/editor-preview-v{version}.png", full_page=True, caret="initial")
    page.goto(f"{base}/staff/admin/catalog/{CODE}/draft")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".flash")).to_contain_text(f"{CODE} is published as version {version}")
    return heading


def apply_in_italian(page, base, tmp_path) -> str:
    page.goto(f"{base}/it/services/{CODE}")
    expect(page.get_by_role("heading", level=1)).to_have_text(NAME_IT)
    page.locator("main a.button").first.click()
    page.locator("#f-email").fill("lin.mei@example.it")
    page.locator("#f-language").select_option("it")
    page.locator("#f-country").select_option("IT")
    page.locator("#f-city").fill("Prato")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/it/cases/OV-[\d-]+/steps/applicant$"))
    reference = re.search(r"/cases/(OV-[\d-]+)/", page.url).group(1)
    for _label, key, value in ABOUT_YOU:
        page.locator(f"#f-{key}").fill(value)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/materials$"))
    expect(page.locator("main")).to_contain_text(MATERIAL_IT)
    page.set_input_files("#file-residence_permit", str(make_photo(tmp_path / "permit.jpg", 3)))
    with page.expect_navigation():
        page.locator("#m-residence_permit button[type=submit]").first.click()
    page.goto(f"{base}/it/cases/{reference}/check")
    page.locator("main a.button[href$='/declaration']").click()
    page.locator("#f-declare").check()
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/it/cases/{reference}/confirmation$"))
    return reference


def test_admin_writes_publishes_and_versions_a_service_applicant_keeps_v1(browser, live_server,
                                                                            tmp_path):
    app, base = live_server.app, live_server
    make_staff(app, "qt.admin@test", "admin", jurisdiction="qingtian")
    admin_context, admin = new_page(browser)
    applicant_context = browser.new_context(locale="it-IT", java_script_enabled=False,
                                            viewport={"width": 412, "height": 900})
    applicant_context.set_default_timeout(TIMEOUT_MS)
    applicant = applicant_context.new_page()
    try:
        staff_sign_in(admin, base, app, "qt.admin@test", landing="")
        write_new_service(admin, base)
        assert preview_and_publish(admin, base, 1) == NAME_IT

        reference = apply_in_italian(applicant, base, tmp_path)

        admin.goto(f"{base}/staff/admin/catalog?q={CODE}")
        admin.get_by_role("button", name=f"Edit {CODE}").click()
        fill_texts(admin, base, "it", {"name": NAME_IT_V2})
        assert preview_and_publish(admin, base, 2) == NAME_IT_V2

        applicant.goto(f"{base}/it/services/{CODE}")
        expect(applicant.get_by_role("heading", level=1)).to_have_text(NAME_IT_V2)
        applicant.goto(f"{base}/it/cases/{reference}")
        main = applicant.locator("main")
        expect(main).to_contain_text(NAME_IT)
        expect(main).not_to_contain_text("nuova versione")
        response = applicant_context.request.get(
            f"{base}/it/cases/{reference}/documents/form.pdf")
        assert response.status == 200
        text = pdf_text(response.body())
        assert NAME_ZH in text and "nuova versione" not in text
        assert re.sub(r"\s+", " ", NAME_IT) in re.sub(r"\s+", " ", text)
    finally:
        admin_context.close()
        applicant_context.close()
