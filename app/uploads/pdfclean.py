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

import io
import zlib

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

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


def _inflated_size(stream: Stream, budget: int) -> int:
    """What ``stream`` inflates to, counted without holding it (stops past ``budget``)."""
    filters = stream.get("/Filter")
    if isinstance(filters, Array):
        filters = list(filters)
    else:
        filters = [filters] if filters is not None else []
    raw = stream.read_raw_bytes()
    if not filters:
        return len(raw)
    if filters[0] == Name.FlateDecode and len(filters) == 1:
        inflate, total, pending = zlib.decompressobj(), 0, raw
        try:
            while pending and total <= budget:
                total += len(inflate.decompress(pending, 1 << 20))
                pending = inflate.unconsumed_tail
        except zlib.error:
            return len(raw)  # qpdf keeps what it can; a broken stream is not a bomb
        return total
    if str(filters[0]) in ("/DCTDecode", "/JPXDecode", "/CCITTFaxDecode", "/JBIG2Decode"):
        return len(raw)  # images, decoded only when drawn
    try:
        return len(stream.read_bytes())
    except pikepdf.PdfError:
        return len(raw)


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
