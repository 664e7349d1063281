"""Documents: rendered for real with WeasyPrint, read back with pdftotext and pypdf."""

import hashlib
import io
import re
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader

from app.documents import render
from app.documents.context import case_context, commitment_due
from app.documents.templates import render_html
from app.models import Case, IssuedDocument, Item, Upload, db

from ..conftest import APPLICANT, LICENCE, Journey, agent_form, jpeg_bytes
from ..pages import facts

RARE = "王堃喆珺昇镕龑"


def pdf_text(data: bytes) -> str:
    """Text of a PDF as pdftotext extracts it (page breaks as form feeds)."""
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data,
                            capture_output=True, check=True)
    return result.stdout.decode()


def pdf_fonts(data: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdffonts", str(path)], capture_output=True, check=True,
                          text=True).stdout


def submitted_licence_case(app, lang="it", name_zh="林美", entrust=True):
    journey = Journey(app.test_client(), lang=lang)
    journey.start(language=lang)
    assert journey.step("applicant", dict(APPLICANT, name_zh=name_zh)).status_code == 303
    assert journey.step("licence", LICENCE).status_code == 303
    assert journey.step("medical", {"needs_glasses": "yes"}).status_code == 303
    assert journey.entrust(agent_form() if entrust else {"mode": "self"}).status_code == 303
    for key in ("passport_page", "driving_licence", "id_photo"):
        assert journey.upload(key, jpeg_bytes()).status_code == 303
    assert journey.defer("medical_certificate").status_code == 303
    assert journey.submit().status_code == 303
    return journey


def download(journey, doc, size="a4"):
    response = journey.client.get(
        f"/{journey.lang}/cases/{journey.reference}/documents/{doc}.pdf?size={size}")
    assert response.status_code == 200, (doc, response.status_code)
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    return response.data


@pytest.mark.parametrize("lang,title_x,glasses_x", [
    ("it", "Modulo di domanda", "Sì"), ("zh", "Application form", "Yes")])
def test_prefilled_form_is_bilingual(app, lang, title_x, glasses_x, tmp_path):
    journey = submitted_licence_case(app, lang=lang)
    data = download(journey, "form")
    text = pdf_text(data)
    assert "申请表" in text and title_x in text
    assert journey.reference in text and "JJ-JZ-001" in text
    for value in ("林美", "LIN Mei", APPLICANT["cn_id"], "EJ1234567", "+39 312 345 6789",
                  "Via Pistoiese 120", "2026-10-01", "林建国"):
        assert value in text, value
    assert "需要" in text and glasses_x in text     # a choice printed in both languages
    assert "护照资料页" in text                       # materials checklist
    assert "已收到" in text                           # received
    fonts = pdf_fonts(data, tmp_path)
    assert "WenQuanYi" in fonts and "DejaVu" in fonts
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 1
    assert re.search(r"\b1\s*/\s*%d\b" % len(reader.pages), text)


def test_every_document_type_renders_without_missing_glyphs(app):
    journey = submitted_licence_case(app, lang="fr", name_zh=RARE)
    with app.app_context(), db.connection_context():
        case = Case.get(Case.reference == journey.reference)
        for doc in ("form", "entrustment", "commitment", "receipt"):
            html = render_html(doc, case_context(doc, case, "ABCDE-FGHJK", "a4"), "fr")
            result = render.render_pdf(html)
            assert result["missing_glyphs"] == [], doc
            text = pdf_text(result["pdf"])
            assert RARE in text, doc
            assert len(result["pdf"]) < 80 * 1024, (doc, len(result["pdf"]))


def test_entrustment_letter_names_principal_agent_powers_and_validity(app):
    journey = submitted_licence_case(app, lang="es")
    text = pdf_text(download(journey, "entrustment"))
    assert "委托书" in text and "委托人" in text and "受托人" in text
    for value in ("林美", APPLICANT["cn_id"], "林建国", "330328194501010010", "+86 138 0013 8000"):
        assert value in text, value
    assert text.count("☑") == 3
    assert re.search(r"\d{4}-\d{2}-\d{2}", text)
    assert "firma" in text.lower()     # where to sign, in Spanish


def test_entrustment_needs_an_agent(app):
    journey = submitted_licence_case(app, lang="en", entrust=False)
    response = journey.client.get(f"/en/cases/{journey.reference}/documents/entrustment.pdf")
    assert response.status_code == 404


def test_commitment_letter_lists_deferred_materials_with_working_day_due_date(app):
    app.config["COMMITMENT_WORKING_DAYS"] = 10
    journey = submitted_licence_case(app, lang="pt")
    with app.app_context(), db.connection_context():
        case = Case.get(Case.reference == journey.reference)
        due, exact, final = commitment_due(case)
        assert final
    text = pdf_text(download(journey, "commitment"))
    assert "承诺书" in text and "身体条件证明" in text
    assert f"{due.year}年{due.month}月{due.day}日" in text
    assert "10" in text


def test_receipt_shows_times_and_file_hashes(app):
    journey = submitted_licence_case(app, lang="it")
    text = pdf_text(download(journey, "receipt"))
    assert "(北京时间)" in text and "(ora di Pechino)" in text     # the window's time
    assert "(意大利时间)" in text and "(Ora Italia)" in text        # and the applicant's
    with app.app_context(), db.connection_context():
        shas = [u.sha256[:12] for u in Upload.select()]
    assert shas and all(sha in text for sha in shas)
    assert journey.reference in text


def test_receipt_only_after_submission(app):
    journey = Journey(app.test_client())
    journey.start()
    response = journey.client.get(f"/en/cases/{journey.reference}/documents/receipt.pdf")
    assert response.status_code == 404
    assert journey.client.get(f"/en/cases/{journey.reference}/documents/form.pdf").status_code == 200


def test_same_case_state_gives_the_same_document(app):
    journey = submitted_licence_case(app, lang="en")
    first = download(journey, "form")
    second = download(journey, "form")
    assert first == second
    with app.app_context(), db.connection_context():
        assert IssuedDocument.select().where(IssuedDocument.doc_type == "form").count() == 1


def test_verification_page_shows_hash_and_only_initials(app):
    journey = submitted_licence_case(app, lang="en")
    data = download(journey, "entrustment")
    code = re.search(r"Verification code: ([0-9A-Z]{5}-[0-9A-Z]{5})", pdf_text(data)).group(1)
    page = app.test_client().page(f"/verify/{code}", headers={"Accept-Language": "en"})
    shown = facts(page)
    assert shown["SHA-256"] == hashlib.sha256(data).hexdigest()
    assert shown["Reference"] == journey.reference
    assert shown["Applicant's initials"] == "L. M."
    assert shown["Document"] == "Entrustment letter"
    assert page.one(".notice.ok").get_text(strip=True) == "This document was issued by OneVisit."
    # Nothing personal anywhere in the answer: not in its text, not in an attribute.
    everything = page.soup.get_text(" ") + " ".join(
        str(value) for element in page.soup.find_all(True) for value in element.attrs.values())
    for personal in ("LIN Mei", "林美", APPLICANT["cn_id"], "EJ1234567", "Pistoiese"):
        assert personal not in everything, personal
    unknown = app.test_client().page("/verify/ZZZZZ-ZZZZZ", status=404,
                                     headers={"Accept-Language": "en"})
    assert unknown.one(".notice.warn strong").get_text(strip=True) == (
        "No document has this verification code.")
    assert not unknown.select("dl.facts")
    app.test_client().page("/verify/" + "x" * 300, status=404)


def test_documents_of_another_case_are_404(app):
    journey = submitted_licence_case(app, lang="en")
    other = Journey(app.test_client())
    other.start()
    for doc in ("form", "entrustment", "commitment", "receipt", "nothing"):
        url = f"/en/cases/{journey.reference}/documents/{doc}.pdf"
        assert other.client.get(url).status_code == 404
        assert app.test_client().get(url).status_code == 404


@pytest.mark.parametrize("size,box", [("a4", (595, 842)), ("letter", (612, 792))])
def test_blank_documents_in_a4_and_letter(client, size, box):
    for doc in ("form", "entrustment", "commitment"):
        response = client.get(f"/fr/services/JJ-JZ-001/blank/{doc}.pdf?size={size}")
        assert response.status_code == 200, doc
        reader = PdfReader(io.BytesIO(response.data))
        width, height = (round(float(v)) for v in reader.pages[0].mediabox[2:])
        assert (width, height) == box
        text = pdf_text(response.data)
        assert "OV-" not in text  # no case, no reference, no verification code
        assert "Verification" not in text
        assert len(response.data) < 80 * 1024
    form_text = pdf_text(client.get(f"/fr/services/JJ-JZ-001/blank/form.pdf?size={size}").data)
    assert "中文姓名" in form_text and "☐" in form_text   # labels and tick boxes to fill in


def test_blank_documents_only_where_they_apply(client):
    assert client.get("/en/services/RS-YL-001/blank/entrustment.pdf").status_code == 404
    assert client.get("/en/services/NOPE/blank/form.pdf").status_code == 404
    assert client.get("/en/services/JJ-JZ-001/blank/receipt.pdf").status_code == 404
    guide = client.page("/en/services/JJ-JZ-001")
    blanks = guide.links("ul.files a")
    assert "/en/services/JJ-JZ-001/blank/form.pdf?size=letter" in blanks
    assert "/en/services/JJ-JZ-001/blank/form.pdf" in blanks
    assert not [link for link in blanks if "receipt" in link]


@pytest.fixture
def web_server():
    """A local web server that records every request it is sent; yields (base URL, paths)."""
    asked = []

    class Recorder(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the name http.server calls
            asked.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", asked
    server.shutdown()
    server.server_close()


def test_hostile_text_prints_literally_and_fetches_nothing(app, web_server):
    base, asked = web_server
    journey = submitted_licence_case(app, lang="en")
    hostile = (f'<img src="file:///etc/passwd"> <img src="{base}/x.png"> '
               f'<link rel=stylesheet href="{base}/x.css">')
    long_address = hostile + " " + "Via Roma 1, Prato " * 30
    with app.app_context(), db.connection_context():
        case = Case.get(Case.reference == journey.reference)
        case.answers = dict(case.answers, address_abroad=long_address)
        case.save()
        case = Case.get(Case.reference == journey.reference)
        html = render_html("form", case_context("form", case, "ABCDE-FGHJK", "a4"), "en")
        result = render.render_pdf(html)
    # The typed markup is text in the document, not elements.
    markup = BeautifulSoup(html, "html.parser")
    assert not markup.select('img[src^="file:"]')
    assert not [e for e in markup.select("[src], [href]")
                if base in e.get("src", "") + e.get("href", "")]
    text = " ".join(pdf_text(result["pdf"]).split())
    assert '<img src="file:///etc/passwd">' in text
    assert f'<img src="{base}/x.png"> <link' in text
    assert text.count("Via Roma 1, Prato") == 30   # the long address wraps, nothing is cut
    assert asked == []                              # the renderer asked the network nothing


@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://example.com/a.css",
                                 "https://example.com/a.png", "ftp://example.com/x",
                                 "file:///work/../etc/hosts"])
def test_url_fetcher_refuses_files_elsewhere_and_the_network(url):
    with pytest.raises(render.FetchRefused):
        render.check_url(url)


def test_url_fetcher_allows_our_own_files():
    render.check_url((render.PDFS_DIR / "_base" / "print.css").as_uri())
    render.check_url("data:image/svg+xml;base64,PHN2Zy8+")


def test_render_time_and_memory_limits():
    slow = "<p>x</p>" * 200000
    with pytest.raises(render.RenderError) as error:
        render.render_pdf(slow, timeout=0.5)
    assert error.value.reason == "timeout"
    with pytest.raises(render.RenderError) as error:
        render.render_pdf("<p>hello</p>", memory_mb=64)
    assert error.value.reason in {"memory", "failed"}


def test_render_failure_is_a_clear_page_not_a_500(app):
    journey = submitted_licence_case(app, lang="en")
    app.config["RENDER_TIMEOUT_S"] = 0    # no document can be made in no time
    page = journey.client.page(f"/en/cases/{journey.reference}/documents/receipt.pdf",
                               status=503)
    assert page.one("html") and page.one("header")
    assert page.one("h1").get_text(strip=True) == "The document could not be made"
    assert "Your application and your answers are safe." in page.main
    with app.app_context(), db.connection_context():
        assert not IssuedDocument.select().where(IssuedDocument.doc_type == "receipt").exists()


def test_long_answers_flow_onto_more_pages_with_repeated_table_headers(app):
    journey = submitted_licence_case(app, lang="en")
    with app.app_context(), db.connection_context():
        case = Case.get(Case.reference == journey.reference)
        context = case_context("form", case, "ABCDE-FGHJK", "a4")
    many = [dict(context["materials"][0], name={"zh": f"材料{n}", "x": f"Material number {n}"})
            for n in range(1, 61)]
    context["materials"] = many
    result = render.render_pdf(render_html("form", context, "en"))
    assert result["pages"] >= 3
    pages = [p for p in pdf_text(result["pdf"]).split("\f") if p.strip()]
    with_materials = [p for p in pages if "Material number" in p]
    assert len(with_materials) >= 2
    assert all("Status" in p for p in with_materials)   # the header row repeats
    assert "Material number 60" in pages[-2] + pages[-1]
    assert re.search(r"\b%d\s*/\s*%d\b" % (result["pages"], result["pages"]), pages[-2] + pages[-1])


def test_documents_listed_on_the_status_page(app):
    journey = submitted_licence_case(app, lang="en")
    links = journey.client.page(f"/en/cases/{journey.reference}").links("main a[href]")
    for doc in ("form", "entrustment", "commitment", "receipt"):
        assert f"/en/cases/{journey.reference}/documents/{doc}.pdf" in links, doc


def auto_value(field):
    """A valid answer for any catalog field, by type."""
    kind = field["type"]
    return {
        "text": "Testo di prova 123", "textarea": "第一行说明 First line\nSecond line of the answer",
        "date": "2020-05-17" if field.get("constraint") != "future" else "2031-05-17",
        "choice": field.get("choices", [{}])[0].get("value", ""), "cn_id": APPLICANT["cn_id"],
        "phone": "+33 6 12 34 56 78", "phone_cn": "139 1234 5678", "email": "x@example.fr",
        "name_zh": "陈燕", "name_latin": "CHEN Yan", "passport": "EK7654321",
        "address_abroad": "12 rue de Belleville, 75020 Paris", "address_home": "浙江省文成县大峃镇建设路 8 号",
        "number": str(field.get("min") or 1),
    }[kind]


@pytest.mark.parametrize("code,lang", [("GA-HJ-003", "fr"), ("SF-TJ-001", "es"),
                                       ("BDC-JC-001", "pt"), ("RS-YL-001", "zh")])
def test_forms_of_other_items_in_other_languages(app, code, lang):
    with app.app_context(), db.connection_context():
        item = Item.get(Item.code == code)
        steps, agent = item.steps, item.agent_allowed
    journey = Journey(app.test_client(), lang=lang, code=code)
    journey.start(language=lang, country="FR", city="Paris", phone="+33 6 12 34 56 78")
    for step in steps:
        answers = {f["key"]: auto_value(f) for f in step["fields"]}
        response = journey.step(step["key"], answers)
        assert response.status_code == 303, (code, step["key"], response.errors())
    if agent:
        assert journey.entrust({"mode": "self"}).status_code == 303
    data = download(journey, "form")
    text = pdf_text(data)
    assert "申请表" in text and journey.reference in text and code in text
    assert "陈燕" in text and "12 rue de Belleville" in text
    labels = {"fr": "Formulaire", "es": "Formulario", "pt": "Formulário", "zh": "Application form"}
    assert labels[lang].lower() in text.lower()
