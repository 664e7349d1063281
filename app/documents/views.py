"""Document downloads: a case's PDFs, blank forms, and the public verification page."""

from flask import Blueprint, abort, render_template, request, send_file
from flask_babel import gettext as _

from ..cases.access import load_applicant_case
from ..extensions import limiter
from ..i18n import negotiate_locale
from ..models import Item
from ..security import access
from . import service
from .context import BLANK_TYPES, DOC_TYPES, PAGE_SIZES, TITLES

bp = Blueprint("documents", __name__)


def _size() -> str:
    size = request.args.get("size", "a4").lower()
    return size if size in PAGE_SIZES else "a4"


def _render_failed(error):
    from flask import current_app
    current_app.logger.error("document rendering failed: %s", error)
    return render_template("documents/failed.html", reason=error.reason), 503


@bp.route("/<lang:lang>/cases/<reference>/documents/<doc_type>.pdf")
@access("applicant")
def case_document(reference, doc_type):
    """One of the case's documents as it is now (the same PDF until the case changes)."""
    case = load_applicant_case(reference)
    if doc_type not in DOC_TYPES:
        abort(404)
    try:
        issued = service.issue(case, doc_type, _size())
    except service.NotAvailable:
        abort(404)
    except service.RenderError as error:
        return _render_failed(error)
    response = send_file(service.document_path(issued), mimetype="application/pdf",
                         as_attachment=True, max_age=0, etag=False, conditional=False,
                         download_name=f"{case.reference}-{doc_type}.pdf")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/<lang:lang>/services/<code>/blank/<doc_type>.pdf")
@access("public")
def blank_document(code, doc_type):
    """A blank form or letter of an item, for printing and handwriting."""
    item = Item.get_or_none((Item.code == code) & (Item.active == True))  # noqa: E712
    if item is None or doc_type not in BLANK_TYPES:
        abort(404)
    from flask import g
    try:
        path = service.blank(item, doc_type, g.lang, _size())
    except service.NotAvailable:
        abort(404)
    except service.RenderError as error:
        return _render_failed(error)
    response = send_file(path, mimetype="application/pdf", as_attachment=True,
                         download_name=f"{item.code}-{doc_type}-{_size()}.pdf", max_age=86400)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.route("/verify/<code>")
@access("public")
@limiter.limit("60 per minute")
def verify(code):
    """Public check of an issued document: type, reference, date, SHA-256, initials only."""
    from flask import g
    g.lang = negotiate_locale()
    issued = service.find_issued(code)
    if issued is None:
        return render_template("documents/verify.html", issued=None, code=code[:20],
                               TITLES=TITLES), 404
    return render_template("documents/verify.html", issued=issued,
                           reference=issued.case.reference, TITLES=TITLES,
                           code=code[:20])
