"""Print-ready bundles for service points: the print pack, blank batches, access slips.

* :func:`print_pack` puts a cover sheet in front of a case's issued documents
  (the very PDFs :func:`~app.documents.service.issue` stores, verification
  codes and all), so a volunteer prints everything in one go.
* :func:`blank_batch` joins the cached blank forms and letters of several items.
* :func:`access_slip` prints the reference and access code for the applicant.

Cover sheets and slips are rendered through the same limited render process
as every document but are never stored: the cover is cheap to make again and
the slip carries the access code, which must not rest on disk.
"""

import io
import logging

from flask import current_app
from pypdf import PdfReader, PdfWriter

from ..cases.access import check_access_code
from ..cases.reference import normalize_access_code
from .context import PAGE_SIZES, TITLES, cover_context, slip_context
from .service import _render, available, blank, document_path, issue
from .templates import Bilingual, render_html, second_locale

log = logging.getLogger(__name__)

#: What follows the cover, in this order, when the case has it.
PACK_TYPES = ("form", "entrustment", "commitment")
MAX_BATCH = 20


def _check_size(page_size: str) -> None:
    if page_size not in PAGE_SIZES:
        raise ValueError(f"unknown page size {page_size!r}")


def _dashed(code: str) -> str:
    """A stored verification code as printed, ``7K2QDM9XAT`` → ``7K2QD-M9XAT``."""
    return f"{code[:5]}-{code[5:]}" if len(code) == 10 else code


def _outline_title(pair: dict) -> str:
    return pair["zh"] if pair["x"] in ("", pair["zh"]) else f"{pair['zh']} {pair['x']}"


def _render_one(doc_type: str, context: dict, second: str) -> dict:
    result = _render(render_html(doc_type, context, second))
    if result["missing_glyphs"]:
        current_app.logger.warning("document %s has %d missing glyphs", doc_type,
                                   len(result["missing_glyphs"]))
    return result


def _write(writer: PdfWriter) -> bytes:
    # Identical objects (shared images, repeated resources) are kept once.
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def render_cover(case, contents: list, page_size: str = "a4") -> dict:
    """The cover sheet of a print pack as a render result (``pdf``, ``pages``, ``missing_glyphs``).

    ``contents`` is what :func:`~app.documents.context.cover_context` expects.
    """
    _check_size(page_size)
    context = cover_context(case, contents, page_size)
    second = second_locale(case.locale)
    result = _render_one("cover", context, second)
    if result["pages"] > 1:
        # Rare (many deferred materials, long names): set it tighter rather than
        # print a second cover page.
        context["doc"]["compact"] = True
        result = _render_one("cover", context, second)
        if result["pages"] > 1:
            log.warning("print pack cover of %s runs to %d pages", case.reference,
                        result["pages"])
    return result


def _parts(case, page_size: str) -> list:
    """``(doc_type, reader, contents entry)`` for each issued document of the pack."""
    has = available(case)
    parts = []
    page = 2  # the cover is page 1
    for doc_type in PACK_TYPES:
        if doc_type not in has:
            continue
        issued = issue(case, doc_type, page_size)
        reader = PdfReader(document_path(issued))
        count = len(reader.pages)
        parts.append((doc_type, reader, {"type": doc_type, "first": page,
                                         "last": page + count - 1, "code": _dashed(issued.code)}))
        page += count
    return parts


def pack_contents(case, page_size: str = "a4") -> list:
    """What follows the cover of the case's print pack (issuing documents as needed).

    A list of ``{"type", "first", "last", "code"}``, pages counted from the cover.
    """
    _check_size(page_size)
    return [entry for _type, _reader, entry in _parts(case, page_size)]


def print_pack(case, page_size: str = "a4") -> bytes:
    """One PDF to print in one go: a cover sheet, then the form and the letters the case has.

    The form, the entrustment letter (when the applicant entrusts an agent) and
    the commitment letter (when materials are deferred) are the issued, stored
    documents with their verification codes; the cover is made anew each time.
    Every page has ``page_size`` (``"a4"`` or ``"letter"``). Raises
    :class:`~app.documents.service.RenderError` when rendering fails.
    """
    _check_size(page_size)
    parts = _parts(case, page_size)
    cover = render_cover(case, [entry for _t, _r, entry in parts], page_size)
    bilingual = Bilingual(second_locale(case.locale))
    cover_title = _outline_title(bilingual.pair(TITLES["cover"]))
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(cover["pdf"])), outline_item=cover_title,
                  import_outline=False)
    for doc_type, reader, _entry in parts:
        writer.append(reader, outline_item=_outline_title(bilingual.pair(TITLES[doc_type])),
                      import_outline=False)
    writer.add_metadata({"/Title": f"{cover_title} {case.reference}"})
    return _write(writer)


def blank_batch(items, locale: str, page_size: str = "a4") -> bytes:
    """One PDF of blank documents for several items, in the order given.

    For each item: its blank form, then the blank entrustment letter when the
    item allows an agent, then the blank commitment letter when it has
    materials that can be sent later. Uses the cached blanks (rendered only
    the first time). Raises ``ValueError`` for no items or more than 20.
    """
    items = list(items)
    if not items:
        raise ValueError("no items")
    if len(items) > MAX_BATCH:
        raise ValueError(f"at most {MAX_BATCH} items")
    _check_size(page_size)
    bilingual = Bilingual(second_locale(locale))
    writer = PdfWriter()
    for item in items:
        names = item.names or {}
        label = names.get("zh") or item.code
        types = ["form"]
        if item.agent_allowed:
            types.append("entrustment")
        if any(not m.essential for m in item.ordered_materials()):
            types.append("commitment")
        for doc_type in types:
            path = blank(item, doc_type, locale, page_size)
            title = _outline_title(bilingual.pair(TITLES[doc_type]))
            writer.append(str(path), outline_item=f"{item.code} {label} · {title}",
                          import_outline=False)
    return _write(writer)


def access_slip(case, access_code: str, page_size: str = "a4") -> bytes:
    """A slip for the applicant with the reference, the access code and how to use them.

    Rendered in memory and returned; never written to disk, never an issued
    document. ``access_code`` must be the case's current code (as typed or
    printed; it is normalised): a slip with a code that does not open the case
    would lock the applicant out, so that raises ``ValueError``.
    """
    _check_size(page_size)
    code = normalize_access_code(access_code)
    if not check_access_code(case, code):
        raise ValueError("the access code does not open this case")
    context = slip_context(case, code, page_size)
    return _render_one("slip", context, second_locale(case.locale))["pdf"]


__all__ = ["print_pack", "pack_contents", "blank_batch", "access_slip", "render_cover",
           "PACK_TYPES", "MAX_BATCH"]
