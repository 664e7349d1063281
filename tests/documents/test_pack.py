"""Print pack, blank batches and access slips: rendered for real, read back with pdftotext and pypdf."""

import io
import re
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.cases.access import secret_hash
from app.documents import pack, render
from app.documents import service
from app.documents.context import TITLES, slip_context
from app.documents.service import issue
from app.documents.templates import Bilingual, render_html
from app.models import Case, IssuedDocument, Item, Material, db

from ..conftest import make_point, submitted_case

A4 = (595, 842)
LETTER = (612, 792)


def pdf_text(data: bytes) -> str:
    """Text of a PDF in reading order (pages separated by form feeds)."""
    result = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return result.stdout.decode()


def squash(text: str) -> str:
    """Text without any whitespace, so wrapped lines (and Chinese) compare reliably."""
    return re.sub(r"\s+", "", text)


def pages_of(data: bytes) -> list[str]:
    return pdf_text(data).split("\f")


def pdf_fonts(data: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdffonts", str(path)], capture_output=True, check=True,
                          text=True).stdout


def page_boxes(data: bytes) -> list[tuple[float, float]]:
    reader = PdfReader(io.BytesIO(data))
    return [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]


def outline_titles(data: bytes) -> list[str]:
    return [entry.title for entry in PdfReader(io.BytesIO(data)).outline]


def both(pair: dict) -> list[str]:
    return [pair["zh"], pair["x"]]


def dir_listing(app) -> set:
    root = Path(app.config["DOCUMENT_DIR"])
    return {(str(p.relative_to(root)), p.stat().st_size) for p in root.rglob("*")} if root.exists() else set()


@pytest.fixture
def full_case(app):
    """An Italian driving-licence case with an agent at home and a deferred medical certificate."""
    return submitted_case(app, lang="it", defer=True, entrust=True)


def test_print_pack_is_cover_form_entrustment_commitment(app, full_case, tmp_path):
    bi = Bilingual("it")
    with app.app_context(), db.connection_context():
        case = Case.get(Case.reference == full_case.reference)
        data = pack.print_pack(case, "a4")
        issued = {t: issue(case, t, "a4") for t in ("form", "entrustment", "commitment")}
        sizes = {t: len(PdfReader(service.document_path(d)).pages) for t, d in issued.items()}
        contents = pack.pack_contents(case, "a4")
        cover = pack.render_cover(case, contents, "a4")
        assert IssuedDocument.select().count() == 3   # the cover is not an issued document
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1 + sizes["form"] + sizes["entrustment"] + sizes["commitment"]
    assert cover["pages"] == 1 and cover["missing_glyphs"] == []
    assert len(cover["pdf"]) < 80 * 1024
    assert "WenQuanYi" in pdf_fonts(cover["pdf"], tmp_path)

    pages = pages_of(data)
    front = squash(pages[0])
    assert full_case.reference in front
    for pair in (bi.pair(TITLES["cover"]), bi.pair(TITLES["form"]), bi.pair(TITLES["entrustment"]),
                 bi.pair(TITLES["commitment"])):
        for text in both(pair):
            assert squash(text) in front, text
    for literal in ("申请表", "Modulo di domanda", "委托书", "承诺书"):   # Chinese and Italian titles
        assert squash(literal) in front
    for message in ("What to sign", "What to bring back or send back",
                    "The applicant signs the declaration at the end of the form.",
                    "The applicant (principal) signs; the agent signs later, at home in China.",
                    "The applicant signs the promise to supply the materials by the due date.",
                    "The signed pages: scan them at the service point, or upload photos of them "
                    "to the application.",
                    "The originals of the materials listed on the form, to show in the video "
                    "identity check.",
                    "Materials to be supplied later"):
        for text in both(bi.pair(message)):
            assert squash(text) in front, text
    assert "身体条件证明" in front                    # the deferred material, with its due date
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", front)
    assert front.count("☐") == 3 + 3               # three to sign, three to bring back
    # Page numbers in the pack: form from page 2, then the letters.
    last = 1
    for entry in contents:
        assert entry["first"] == last + 1
        last = entry["last"]
    assert last == len(reader.pages)
    # The form inside is the issued form, with its verification code.
    code = issued["form"].code
    dashed = f"{code[:5]}-{code[5:]}"
    form_pages = "".join(pages[1:1 + sizes["form"]])
    assert dashed in form_pages and dashed in front
    entrust_code = issued["entrustment"].code
    assert f"{entrust_code[:5]}-{entrust_code[5:]}" in pages[1 + sizes["form"]]
    assert outline_titles(data)[0].startswith(bi.pair(TITLES["cover"])["zh"])
    assert len(outline_titles(data)) == 4
    assert all(box == pytest.approx(A4, abs=1) for box in page_boxes(data))


@pytest.mark.parametrize("size,box", [("letter", LETTER), ("a4", A4)])
def test_every_page_of_the_pack_has_the_page_size(app, size, box):
    journey = submitted_case(app, lang="fr", defer=True, entrust=True)
    with app.app_context(), db.connection_context():
        case = Case.get(Case.reference == journey.reference)
        data = pack.print_pack(case, size)
        cover = pack.render_cover(case, pack.pack_contents(case, size), size)
    boxes = page_boxes(data)
    assert len(boxes) >= 4
    for width, height in boxes:
        assert width == pytest.approx(box[0], abs=1) and height == pytest.approx(box[1], abs=1)
    assert cover["pages"] == 1 and cover["missing_glyphs"] == []


@pytest.mark.parametrize("entrust,defer,expected", [
    (False, False, ["form"]),
    (True, False, ["form", "entrustment"]),
    (False, True, ["form", "commitment"]),
])
def test_pack_holds_only_the_letters_the_case_has(app, entrust, defer, expected):
    journey = submitted_case(app, lang="en", entrust=entrust, defer=defer)
    with app.app_context(), db.connection_context():
        case = Case.get(Case.reference == journey.reference)
        data = pack.print_pack(case)
        pages = {t: len(PdfReader(service.document_path(issue(case, t, "a4"))).pages)
                 for t in expected}
    assert len(PdfReader(io.BytesIO(data)).pages) == 1 + sum(pages.values())
    assert len(outline_titles(data)) == 1 + len(expected)
    front = squash(pages_of(data)[0])
    whole = squash(pdf_text(data))
    assert ("委托书" in whole) == ("entrustment" in expected)
    assert ("承诺书" in whole) == ("commitment" in expected)
    assert ("身体条件证明" in front) == defer       # owed materials listed only when deferred
    assert front.count("☐") == len(expected) + 2 + (1 if defer else 0)


def test_cover_names_the_service_point(app, full_case):
    point_id = make_point(app, "prato", "Prato")
    with app.app_context(), db.connection_context():
        case = Case.get(Case.reference == full_case.reference)
        without = squash(pages_of(pack.print_pack(case))[0])
        case.service_point_id = point_id
        case.save()
        case = Case.get_by_id(case.id)
        front = squash(pages_of(pack.print_pack(case))[0])
    assert "Pratoassociation" in front and "Prato同乡会" in front
    for text in both(Bilingual("it").pair("Service point")):
        assert squash(text) in front
    assert "同乡会" not in without


def test_cover_of_a_case_with_many_owed_materials_stays_on_one_page(app, full_case, monkeypatch):
    from app.documents import context as context_module
    original = context_module.cover_context

    def crowded(case, contents, page_size):
        context = original(case, contents, page_size)
        context["deferred"] = [dict(context["deferred"][0], name={
            "zh": f"居住国公证机构出具的第{n}份证明材料（含翻译件）",
            "x": f"Certificato numero {n} rilasciato dall'autorità del paese di residenza, con la "
                 f"sua traduzione giurata"}) for n in range(1, 6)]
        return context

    monkeypatch.setattr(pack, "cover_context", crowded)
    with app.app_context(), db.connection_context():
        case = Case.get(Case.reference == full_case.reference)
        cover = pack.render_cover(case, pack.pack_contents(case, "letter"), "letter")
    assert cover["pages"] == 1 and cover["missing_glyphs"] == []
    assert "numero 5" in pdf_text(cover["pdf"])


def test_blank_batch_joins_the_blank_documents_of_each_item(app):
    with app.app_context(), db.connection_context():
        # An item whose materials are all essential has no blank commitment letter.
        marriage = Item.get(Item.code == "MZ-HY-001")
        Material.update(essential=True).where(Material.item == marriage).execute()
        items = [Item.get(Item.code == code) for code in ("JJ-JZ-001", "RS-YL-001", "MZ-HY-001")]
        expected = {"JJ-JZ-001": ["form", "entrustment", "commitment"],
                    "RS-YL-001": ["form", "commitment"],
                    "MZ-HY-001": ["form", "entrustment"]}
        data = pack.blank_batch(items, "fr", "letter")
        pages = sum(len(PdfReader(service.blank(item, doc, "fr", "letter")).pages)
                    for item in items for doc in expected[item.code])

        # Warm: the cached blanks are joined again, nothing is rendered (a render
        # would now fail: no document can be made in no time).
        app.config["RENDER_TIMEOUT_S"] = 0
        again = pack.blank_batch(items, "fr", "letter")
        with pytest.raises(render.RenderError):
            service.blank(items[0], "form", "it", "letter")   # not cached: it would render
        names = {item.code: item.names for item in items}
    assert len(PdfReader(io.BytesIO(again)).pages) == len(PdfReader(io.BytesIO(data)).pages)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == pages
    titles = outline_titles(data)
    assert len(titles) == 7
    assert [t.split(" ")[0] for t in titles] == [code for code in expected for _ in expected[code]]
    text = squash(pdf_text(data))
    for code, item_names in names.items():
        assert squash(item_names["zh"]) in text and squash(item_names["fr"]) in text
    bi = Bilingual("fr")
    counts = {doc: text.count(squash(bi.pair(TITLES[doc])["zh"])) for doc in
              ("form", "entrustment", "commitment")}
    assert counts["entrustment"] >= 2 and counts["commitment"] >= 2 and counts["form"] >= 3
    assert "OV-" not in text
    assert all(box == pytest.approx(LETTER, abs=1) for box in page_boxes(data))


def test_blank_batch_takes_one_to_twenty_items(app):
    with app.app_context(), db.connection_context():
        item = Item.get(Item.code == "RS-YL-001")
        with pytest.raises(ValueError):
            pack.blank_batch([], "en")
        with pytest.raises(ValueError):
            pack.blank_batch([item] * 21, "en")
        with pytest.raises(ValueError):
            pack.blank_batch([item], "en", "legal")
        assert PdfReader(io.BytesIO(pack.blank_batch([item] * 2, "en"))).pages


def test_access_slip_is_made_in_memory_only(app, full_case, tmp_path):
    code = "K7QD-M2XA"
    point_id = make_point(app, "prato", "Prato")
    with app.app_context(), db.connection_context():
        case = Case.get(Case.reference == full_case.reference)
        case.access_code_hash = secret_hash(code)
        case.service_point_id = point_id
        case.save()
        case = Case.get_by_id(case.id)
        issue(case, "form")                      # the directory exists and holds something
        before = dir_listing(app)
        issued_before = IssuedDocument.select().count()
        data = pack.access_slip(case, "k7qd m2xa")   # as typed: normalised
        letter = pack.access_slip(case, code, "letter")
        assert dir_listing(app) == before
        assert IssuedDocument.select().count() == issued_before
        with pytest.raises(ValueError):
            pack.access_slip(case, "AAAA-BBBB")   # a code that does not open the case
        context = slip_context(case, code, "a4")
        result = render.render_pdf(render_html("slip", context, "it"))
    assert code not in context["case"]["find_url"]
    assert result["missing_glyphs"] == [] and result["pages"] == 1
    assert len(data) < 80 * 1024
    assert "WenQuanYi" in pdf_fonts(data, tmp_path)
    text = squash(pdf_text(data))
    assert code in text and full_case.reference in text
    assert "/it/cases/find" in text
    bi = Bilingual("it")
    for message in ("Access code", "Reference", "How to open your application on your phone",
                    "Keep this code private, like a PIN: with the reference it opens your "
                    "application and your personal data. Do not send it in chat groups or show it "
                    "to strangers.", "Service point"):
        for part in both(bi.pair(message)):
            assert squash(part) in text, part
    assert "Prato同乡会" in text
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    assert page_boxes(data)[0] == pytest.approx(A4, abs=1)
    assert page_boxes(letter)[0] == pytest.approx(LETTER, abs=1)


def test_pack_of_a_draft_filled_in_at_a_service_point(app):
    from ..conftest import Journey, fill_driving_licence
    journey = Journey(app.test_client(), lang="es")
    journey.start(language="es")
    fill_driving_licence(journey, entrust=True)
    assert journey.defer("medical_certificate").status_code == 303
    with app.app_context(), db.connection_context():
        case = Case.get(Case.reference == journey.reference)
        assert case.status == "draft"
        data = pack.print_pack(case, "letter")
    assert len(outline_titles(data)) == 4            # cover, form, entrustment, commitment
    front = squash(pages_of(data)[0])
    assert journey.reference in front and "身体条件证明" in front
