"""Issuing documents: render once per state of the case, keep the PDF, verify it later."""

import hashlib
import json
import secrets
import threading
from pathlib import Path

from flask import current_app
from peewee import fn

from ..cases.journey import material_states
from ..cases.reference import CODE_ALPHABET
from ..models import IssuedDocument, Upload
from ..storage import document_file, write_atomically
from .context import BLANK_TYPES, DOC_TYPES, PAGE_SIZES, blank_context, case_context, initials
from .render import PDFS_DIR, RenderError, render_pdf, warm_up as start_render_worker
from .templates import prepare, render_html, second_locale


class NotAvailable(Exception):
    """This document does not exist for this case (yet)."""


def available(case, states=None) -> list[str]:
    """The document types this case has now (``states``: its material states, when the
    caller has them already). None once the retention period deleted the case's files."""
    if case.files_deleted_at:
        return []
    docs = ["form"]
    if case.spec.agent_allowed and case.is_entrusted:
        docs.append("entrustment")
    if any(state.deferred for state in (material_states(case) if states is None else states)):
        docs.append("commitment")
    if case.is_sent:
        docs.append("receipt")
    return docs


def new_code() -> str:
    """A 10-character verification code (50 random bits), e.g. ``7K2QD-M9XAT``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def fingerprint(case, doc_type: str) -> str:
    """What a document depends on; a new value means a new document."""
    uploads = [(u.id, u.sha256) for u in Upload.select(Upload.id, Upload.sha256)
               .where((Upload.case == case) & (Upload.removed == False)  # noqa: E712
                      # Files kept beside the case (signed scans, recordings, the result)
                      # do not change what the documents print.
                      & (fn.SUBSTR(Upload.material_key, 1, 1) != "_"))
               .order_by(Upload.id)]
    material = {"answers": case.answers, "deferred": case.deferred, "agent": case.entrustment,
                "status": case.status, "submitted": str(case.submitted_at), "uploads": uploads,
                "item": [case.item_id, case.item_version], "templates": templates_digest(),
                "due_days": current_app.config["COMMITMENT_WORKING_DAYS"]}
    blob = json.dumps(material, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


_templates_digest = None


def templates_digest() -> str:
    """A digest of every file under ``pdfs/`` (a changed layout reissues documents)."""
    global _templates_digest
    if _templates_digest is None or current_app.debug:
        digest = hashlib.sha256()
        for path in sorted(PDFS_DIR.rglob("*")):
            if path.is_file():
                digest.update(path.relative_to(PDFS_DIR).as_posix().encode())
                digest.update(path.read_bytes())
        _templates_digest = digest.hexdigest()[:16]
    return _templates_digest


def _store(data: bytes, name: str) -> Path:
    return write_atomically(Path(current_app.config["DOCUMENT_DIR"]) / name, data)


def document_path(issued: IssuedDocument) -> Path:
    """Where an issued PDF is kept."""
    return document_file(issued.stored_name)


def _render(html: str) -> dict:
    config = current_app.config
    return render_pdf(html, timeout=config["RENDER_TIMEOUT_S"], memory_mb=config["RENDER_MEMORY_MB"])


def issued(case, doc_type: str, page_size: str = "a4") -> IssuedDocument:
    """The PDF of ``doc_type`` already made for the case as it is now, without making one
    (for readers who change nothing); :class:`NotAvailable` when there is none."""
    if doc_type not in DOC_TYPES or page_size not in PAGE_SIZES:
        raise NotAvailable(doc_type)
    if doc_type not in available(case):
        raise NotAvailable(doc_type)
    existing = (IssuedDocument.select()
                .where((IssuedDocument.case == case) & (IssuedDocument.doc_type == doc_type)
                       & (IssuedDocument.fingerprint == fingerprint(case, doc_type))
                       & (IssuedDocument.locale == case.locale)
                       & (IssuedDocument.page_size == page_size))
                .order_by(IssuedDocument.id.desc()).first())
    if existing is None or not document_path(existing).exists():
        raise NotAvailable(doc_type)
    return existing


def issue(case, doc_type: str, page_size: str = "a4") -> IssuedDocument:
    """The PDF of ``doc_type`` for the case as it is now (made once, then reused)."""
    try:
        return issued(case, doc_type, page_size)
    except NotAvailable:
        if doc_type not in DOC_TYPES or page_size not in PAGE_SIZES:
            raise
        if doc_type not in available(case):
            raise
    mark = fingerprint(case, doc_type)
    code = new_code()
    context = case_context(doc_type, case, code, page_size)
    result = _render(render_html(doc_type, context, second_locale(case.locale)))
    if result["missing_glyphs"]:
        current_app.logger.warning("document %s has %d missing glyphs", doc_type,
                                   len(result["missing_glyphs"]))
    stored_name = f"{secrets.token_hex(16)}.pdf"
    _store(result["pdf"], stored_name)
    return IssuedDocument.create(
        case=case, doc_type=doc_type, code=code.replace("-", ""), fingerprint=mark,
        locale=case.locale, page_size=page_size, stored_name=stored_name,
        sha256=hashlib.sha256(result["pdf"]).hexdigest(), size=len(result["pdf"]),
        pages=result["pages"], initials=initials(case.answers))


def blank(item, doc_type: str, locale: str, page_size: str) -> Path:
    """A blank document of an item for handwriting, made once per layout and kept."""
    if doc_type not in BLANK_TYPES or page_size not in PAGE_SIZES:
        raise NotAvailable(doc_type)
    if doc_type == "entrustment" and not item.agent_allowed:
        raise NotAvailable(doc_type)
    if doc_type == "commitment" and all(m.essential for m in item.ordered_materials()):
        raise NotAvailable(doc_type)
    name = (f"blank-{item.code}-v{item.version}-{doc_type}-{second_locale(locale)}-{page_size}-"
            f"{templates_digest()}.pdf")
    path = Path(current_app.config["DOCUMENT_DIR"]) / "blank" / name
    if path.exists():
        return path
    context = blank_context(doc_type, item, locale, page_size)
    result = _render(render_html(doc_type, context, second_locale(locale)))
    return write_atomically(path, result["pdf"])


def warm_up(config) -> bool:
    """At the start of an app process: start the render worker (it loads WeasyPrint,
    the fonts and the stylesheets in its own process) and compile the document
    templates in a background thread. Returns at once; ``False`` if the worker was
    already running."""
    threading.Thread(target=prepare, name="pdf-templates", daemon=True).start()
    return start_render_worker(config["RENDER_MEMORY_MB"])


def find_issued(code: str) -> IssuedDocument | None:
    """The issued document with this verification code (dashes and case ignored)."""
    cleaned = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    if len(cleaned) != 10:
        return None
    return IssuedDocument.get_or_none(IssuedDocument.code == cleaned)


__all__ = ["available", "issue", "blank", "find_issued", "warm_up", "document_path", "NotAvailable",
           "RenderError"]
