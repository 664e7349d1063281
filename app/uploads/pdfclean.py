"""Uploaded PDFs are cleaned before they are kept: what a PDF can *do* is removed, what
it shows is kept, and a PDF that inflates beyond reason is refused (pikepdf, on qpdf).

Removed: JavaScript (the JavaScript name tree, any ``/JS``), every action (automatic
ones, ``/OpenAction`` and ``/AA``, and those of links, fields and bookmarks: JavaScript,
launch, form submit, web links; links within the document keep their ``/Dest``),
embedded files and portfolios, rich media, 3D, sound, movie and file-attachment
annotations, XFA forms. A file that needs a password to open, or that qpdf cannot read, is refused;
one with only an owner password (printing restrictions) is kept without it. The stored
file is the cleaned one, written by qpdf: objects nothing refers to any more (the
embedded file's bytes) are not written at all.
"""

import base64
import binascii
import io
import zlib

import pikepdf
from pikepdf import Array, Dictionary, Stream

#: Pages a material's PDF may have.
MAX_PAGES = 50
#: Bytes all of a PDF's streams may inflate to, together.
MAX_INFLATED = 100 * 1024 * 1024

#: Annotations that carry files, media or scripts of their own.
ACTIVE_ANNOTATIONS = {"/FileAttachment", "/RichMedia", "/Movie", "/Sound", "/Screen", "/3D"}
#: Keys removed from every dictionary, wherever they are.
ACTIVE_KEYS = ("/JS", "/JavaScript", "/AA", "/OpenAction", "/EmbeddedFiles", "/EmbeddedFile",
               "/RichMediaContent", "/RichMediaSettings", "/XFA", "/Collection")


class PdfRefused(Exception):
    """The PDF is not kept; ``reason`` is ``encrypted``, ``damaged``, ``pages`` (none or
    too many), or ``inflates``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


#: Filters of image data, decoded only when a page is drawn (never here).
IMAGE_FILTERS = {"/DCTDecode", "/JPXDecode", "/CCITTFaxDecode", "/JBIG2Decode", "/DCT",
                 "/CCF"}


class _Over(Exception):
    """Decoding went past the budget."""


def _inflate(data: bytes, budget: int, keep: bool) -> bytes | int:
    """Flate-decode ``data``, a megabyte at a time; the bytes (``keep``) or their count."""
    inflate, total, pending, parts = zlib.decompressobj(), 0, data, []
    try:
        while pending:
            part = inflate.decompress(pending, 1 << 20)
            total += len(part)
            if total > budget:
                raise _Over()
            if keep:
                parts.append(part)
            pending = inflate.unconsumed_tail
            if not part and not pending:
                break
    except zlib.error:
        pass  # qpdf keeps what it can of a broken stream: what was inflated counts
    return b"".join(parts) if keep else total


def _hex(data: bytes) -> bytes:
    text = bytes(data).split(b">", 1)[0].translate(None, b" \t\r\n\f\x00")
    return binascii.unhexlify(text + b"0" * (len(text) % 2))


def _ascii85(data: bytes) -> bytes:
    text = bytes(data).split(b"~>", 1)[0].strip()
    return base64.a85decode(text[2:] if text.startswith(b"<~") else text)


def _run_length(data: bytes, budget: int) -> bytes:
    out, at = bytearray(), 0
    while at < len(data) and data[at] != 128:
        length = data[at]
        if length < 128:
            out += data[at + 1:at + 2 + length]
            at += 2 + length
        else:
            out += data[at + 1:at + 2] * (257 - length)
            at += 2
        if len(out) > budget:
            raise _Over()
    return bytes(out)


def _lzw(data: bytes, budget: int, early: int) -> bytes:
    """LZW as PDF writes it (MSB first, codes of 9 to 12 bits, 256 clears, 257 ends)."""
    out, table, previous = bytearray(), [bytes([i]) for i in range(256)] + [b"", b""], b""
    width, buffer, bits = 9, 0, 0
    for byte in data:
        buffer, bits = (buffer << 8) | byte, bits + 8
        while bits >= width:
            bits -= width
            code = (buffer >> bits) & ((1 << width) - 1)
            if code == 256:
                table, previous, width = table[:258], b"", 9
                continue
            if code == 257:
                return bytes(out)
            if code < len(table):
                entry = table[code]
                if previous:
                    table.append(previous + entry[:1])
            elif code == len(table) and previous:
                entry = previous + previous[:1]
                table.append(entry)
            else:
                return bytes(out)  # broken: what was decoded counts
            out += entry
            if len(out) > budget:
                raise _Over()
            previous = entry
            if len(table) + early >= (1 << width) and width < 12:
                width += 1
    return bytes(out)


def _inflated_size(stream: Stream, budget: int) -> int:
    """What ``stream`` decodes to, one filter at a time, never past ``budget`` (more
    than ``budget`` when it would go past): the last Flate step is counted without
    holding its output; image data counts as it is."""
    filters = stream.get("/Filter")
    filters = list(filters) if isinstance(filters, Array) else (
        [filters] if filters is not None else [])
    params = stream.get("/DecodeParms")
    params = list(params) if isinstance(params, Array) else [params] * len(filters)
    data = stream.read_raw_bytes()
    try:
        for number, name in enumerate(str(f) for f in filters):
            last = number == len(filters) - 1
            if name in IMAGE_FILTERS:
                break
            if name in ("/FlateDecode", "/Fl"):
                data = _inflate(data, budget, keep=not last)
                if last:
                    return data
            elif name in ("/ASCIIHexDecode", "/AHx"):
                data = _hex(data)
            elif name in ("/ASCII85Decode", "/A85"):
                data = _ascii85(data)
            elif name in ("/RunLengthDecode", "/RL"):
                data = _run_length(data, budget)
            elif name in ("/LZWDecode", "/LZW"):
                parms = params[number] if number < len(params) else None
                early = int(parms.get("/EarlyChange", 1)) if isinstance(parms, Dictionary) else 1
                data = _lzw(data, budget, early)
            else:
                break  # a filter qpdf does not decode either: kept as it is
    except _Over:
        return budget + 1
    except (ValueError, binascii.Error):
        pass  # a broken stream is kept as qpdf can; it is not a bomb
    return len(data)


def _strip(obj, seen: set) -> None:
    """Remove active keys, actions and annotations below ``obj`` (each object once)."""
    if isinstance(obj, (Dictionary, Stream)):
        if obj.is_indirect:
            if obj.objgen in seen:
                return
            seen.add(obj.objgen)
        for key in ACTIVE_KEYS:
            if key in obj:
                del obj[key]
        # Every action goes (a scan has no business opening a web page or a file):
        # links within the document keep their plain /Dest.
        action = obj.get("/A")
        if isinstance(action, Dictionary) and "/S" in action:
            del obj["/A"]
        annotations = obj.get("/Annots")
        if isinstance(annotations, Array):
            kept = [a for a in annotations
                    if not (isinstance(a, Dictionary) and str(a.get("/Subtype"))
                            in ACTIVE_ANNOTATIONS)]
            if len(kept) != len(annotations):
                obj["/Annots"] = Array(kept)
        for key in list(obj.keys()):
            if key != "/Parent":
                _strip(obj[key], seen)
    elif isinstance(obj, Array):
        for item in obj:
            _strip(item, seen)


def clean(data: bytes) -> tuple[bytes, int]:
    """The PDF without active content, and its page count; raises :class:`PdfRefused`."""
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        raise PdfRefused("encrypted") from None
    except (pikepdf.PdfError, ValueError, OSError):
        raise PdfRefused("damaged") from None
    with pdf:
        try:
            pages = len(pdf.pages)
            if not 1 <= pages <= MAX_PAGES:
                raise PdfRefused("pages")
            budget = MAX_INFLATED
            for obj in pdf.objects:
                if isinstance(obj, Stream):
                    budget -= _inflated_size(obj, budget)
                    if budget < 0:
                        raise PdfRefused("inflates")
            root = pdf.Root
            names = root.get("/Names")
            if isinstance(names, Dictionary):
                for key in ("/JavaScript", "/EmbeddedFiles"):
                    if key in names:
                        del names[key]
            acroform = root.get("/AcroForm")
            if isinstance(acroform, Dictionary) and "/XFA" in acroform:
                del acroform["/XFA"]
            _strip(pdf.trailer, set())
            out = io.BytesIO()
            pdf.save(out, fix_metadata_version=False, deterministic_id=True)
        except PdfRefused:
            raise
        except (pikepdf.PdfError, ValueError, KeyError, TypeError, RecursionError):
            raise PdfRefused("damaged") from None
    return out.getvalue(), pages
