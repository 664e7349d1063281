"""Uploaded PDFs are kept without what they could do (issue 14, finding 5): JavaScript,
actions, embedded files, rich media and XFA are removed; a PDF that inflates to a
gigabyte is refused with a message in the applicant's language."""

import io
import zlib

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

from app.models import Upload, db
from app.uploads.service import path_for

from .test_uploads import slot_error

EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")


def hostile_pdf() -> bytes:
    """One page that shows a line of text, and everything a PDF can carry that acts."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    page = pdf.pages[0]
    page.obj["/Contents"] = pdf.make_stream(b"BT /F1 12 Tf 72 720 Td (Passport page) Tj ET")
    page.obj["/Resources"] = Dictionary(Font=Dictionary(F1=Dictionary(
        Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)))
    script = Dictionary(S=Name.JavaScript, JS=pikepdf.String("app.alert('owned')"))
    pdf.Root["/OpenAction"] = pdf.make_indirect(script)
    pdf.Root["/AA"] = Dictionary(WC=Dictionary(S=Name.JavaScript, JS=pikepdf.String("1")))
    page.obj["/AA"] = Dictionary(O=Dictionary(S=Name.Launch, F=pikepdf.String("calc.exe")))
    attachment = pdf.make_stream(EICAR)
    attachment["/Type"] = Name.EmbeddedFile
    spec = Dictionary(Type=Name.Filespec, F=pikepdf.String("eicar.com"),
                      EF=Dictionary(F=attachment))
    pdf.Root["/Names"] = Dictionary(
        JavaScript=Dictionary(Names=Array([pikepdf.String("x"), script])),
        EmbeddedFiles=Dictionary(Names=Array([pikepdf.String("eicar.com"), spec])))
    page.obj["/Annots"] = Array([
        pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Link,
                                     Rect=Array([0, 0, 100, 100]),
                                     A=Dictionary(S=Name.URI, URI=pikepdf.String(
                                         "https://evil.example/")))),
        pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.FileAttachment,
                                     Rect=Array([0, 0, 10, 10]), FS=spec)),
    ])
    pdf.Root["/AcroForm"] = Dictionary(Fields=Array([]), XFA=pdf.make_stream(b"<xdp/>"))
    out = io.BytesIO()
    pdf.save(out, compress_streams=False)
    return out.getvalue()


def bomb_pdf(inflated=1024 * 1024 * 1024) -> bytes:
    """A one-page PDF whose one stream inflates to ``inflated`` bytes (1 GB)."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    squeeze = zlib.compressobj(9)
    chunk = b"\0" * (16 * 1024 * 1024)
    packed = b"".join(squeeze.compress(chunk) for _ in range(inflated // len(chunk)))
    packed += squeeze.flush()
    bomb = Stream(pdf, packed)
    bomb["/Filter"] = Name.FlateDecode
    pdf.pages[0].obj["/Contents"] = pdf.make_indirect(bomb)
    out = io.BytesIO()
    pdf.save(out, compress_streams=False)
    return out.getvalue()


def test_active_content_is_removed_and_the_page_kept(app, client, journey):
    data = hostile_pdf()
    assert EICAR in data and b"JavaScript" in data
    journey.start()
    assert journey.upload("passport_page", data, "passport.pdf").status == 303
    with app.app_context(), db.connection_context():
        upload = Upload.get(Upload.material_key == "passport_page")
        kept = path_for(upload.stored_name).read_bytes()
    assert upload.pages == 1
    with pikepdf.open(io.BytesIO(kept)) as pdf:
        decoded = b"".join(obj.read_bytes() for obj in pdf.objects if isinstance(obj, Stream))
        assert EICAR not in decoded, "the embedded file is gone, bytes and all"
        everything = repr([repr(obj) for obj in pdf.objects])
        for word in ("/JavaScript", "/JS", "/OpenAction", "/AA", "/Launch", "/EmbeddedFile",
                     "/FileAttachment", "/XFA", "evil.example"):
            assert word not in everything, word
        text = pdf.pages[0].obj.Contents.read_bytes()
    assert b"(Passport page) Tj" in text, "what the page shows is kept"
    # The applicant downloads the cleaned file, not the one sent.
    assert client.get(f"{journey.base}/files/{upload.id}").data == kept


def test_a_pdf_that_inflates_to_a_gigabyte_is_refused_in_the_applicants_language(app, client):
    from ..conftest import Journey
    data = bomb_pdf()
    assert len(data) < 2 * 1024 * 1024, "small on the wire"
    journey = Journey(client, lang="fr")
    journey.start(language="fr")
    page = journey.upload("passport_page", data, "scan.pdf")
    assert page.status == 422
    assert "ne peut pas être ouvert sans risque" in slot_error(page, "passport_page")
    with app.app_context(), db.connection_context():
        assert not Upload.select().where(Upload.material_key == "passport_page").exists()
