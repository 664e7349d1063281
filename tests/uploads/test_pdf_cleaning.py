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


def _one_stream_pdf(raw: bytes, filters: list, parms=None) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    stream = Stream(pdf, raw)
    stream["/Filter"] = Array([Name(f) for f in filters])
    if parms is not None:
        stream["/DecodeParms"] = Array(parms)
    pdf.pages[0].obj["/Contents"] = pdf.make_indirect(stream)
    out = io.BytesIO()
    pdf.save(out, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.none)
    return out.getvalue()


def _deflated_twice(size: int) -> bytes:
    """``size`` zero bytes, deflated, and the result deflated again (a few kilobytes)."""
    inner, outer = zlib.compressobj(9), zlib.compressobj(9)
    chunk, packed = b"\0" * (16 * 1024 * 1024), []
    for _ in range(size // len(chunk)):
        packed.append(outer.compress(inner.compress(chunk)))
    packed.append(outer.compress(inner.flush()))
    packed.append(outer.flush())
    return b"".join(packed)


def _lzw_encode(data: bytes) -> bytes:
    """PDF's LZW (early change), written here to check the decoder against."""
    table = {bytes([i]): i for i in range(256)}
    width, codes, current = 9, [256], b""
    sizes = []
    for byte in data:
        candidate = current + bytes([byte])
        if candidate in table:
            current = candidate
            continue
        codes.append(table[current])
        sizes.append(width)
        table[candidate] = len(table) + 2
        if len(table) + 2 >= 4093:  # full: start a new table
            codes.append(256)
            sizes.append(width)
            table, width = {bytes([i]): i for i in range(256)}, 9
        elif len(table) + 2 >= (1 << width) and width < 12:  # the decoder lags one code
            width += 1
        current = bytes([byte])
    codes.append(table[current])
    sizes.append(width)
    codes.append(257)
    sizes.append(width)
    buffer, bits, out = 0, 0, bytearray()
    for code, size in zip(codes, [9] + sizes):
        buffer, bits = (buffer << size) | code, bits + size
        while bits >= 8:
            bits -= 8
            out.append((buffer >> bits) & 0xFF)
    if bits:
        out.append((buffer << (8 - bits)) & 0xFF)
    return bytes(out)


def test_a_stream_deflated_twice_is_counted_without_inflating_it_whole():
    """A 5 KB PDF whose stream is deflated twice over 300 MB of zeros: each step is
    decoded under the budget, so it is refused without a worker holding 300 MB."""
    import subprocess
    import sys
    data = _one_stream_pdf(_deflated_twice(300 * 1024 * 1024), ["/FlateDecode", "/FlateDecode"])
    assert len(data) < 64 * 1024
    # In a process of its own, so that its peak memory is this PDF's alone.
    probe = ("import resource, sys\n"
             "from app.uploads.pdfclean import PdfRefused, clean\n"
             "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
             "try:\n    clean(sys.stdin.buffer.read()); print('kept')\n"
             "except PdfRefused as refused:\n    print(refused.reason)\n"
             "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024)\n")
    done = subprocess.run([sys.executable, "-c", probe], input=data, capture_output=True,
                          timeout=120, check=True)
    verdict, grown_mb = done.stdout.decode().split()
    assert verdict == "inflates"
    assert int(grown_mb) < 250, f"the worker grew by {grown_mb} MB"


def test_text_through_every_filter_qpdf_decodes_is_kept():
    import base64
    from app.uploads.pdfclean import clean
    text = b"BT /F1 12 Tf 72 720 Td (Passport page) Tj ET " * 40
    run_length = b"".join(bytes([len(text[i:i + 100]) - 1]) + text[i:i + 100]
                          for i in range(0, len(text), 100)) + b"\x80"
    chains = [
        (zlib.compress(text).hex().encode() + b">", ["/ASCIIHexDecode", "/FlateDecode"]),
        (base64.a85encode(zlib.compress(text)) + b"~>",
         ["/ASCII85Decode", "/FlateDecode"]),
        (zlib.compress(run_length), ["/FlateDecode", "/RunLengthDecode"]),
        (_lzw_encode(text), ["/LZWDecode"]),
    ]
    for raw, filters in chains:
        kept, pages = clean(_one_stream_pdf(raw, filters))
        with pikepdf.open(io.BytesIO(kept)) as pdf:
            assert pdf.pages[0].obj.Contents.read_bytes(
                pikepdf.StreamDecodeLevel.specialized) == text, filters
        assert pages == 1


def test_the_lzw_decoder_reads_what_qpdf_reads_and_stops_at_the_budget():
    from app.uploads.pdfclean import _lzw, _Over
    text = bytes(range(256)) * 30 + b"abcabcabcabc" * 500
    encoded = _lzw_encode(text)
    with pikepdf.open(io.BytesIO(_one_stream_pdf(encoded, ["/LZWDecode"]))) as pdf:
        assert pdf.pages[0].obj.Contents.read_bytes() == text, "the test's encoder is right"
    assert _lzw(encoded, 10**9, 1) == text
    try:
        _lzw(_lzw_encode(b"\0" * 200_000), 100_000, 1)
    except _Over:
        pass
    else:
        raise AssertionError("past the budget")
