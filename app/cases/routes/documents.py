"""A case's documents for its applicant: form, letters and receipt as PDF."""

from flask import abort, request

from ...authz import applicant_case
from ...documents.views import pdf_download, render_failed
from ...documents.context import DOC_TYPES, PAGE_SIZES
from ...documents import service
from ..blueprint import bp


@bp.route("/cases/<reference>/documents/<doc_type>.pdf")
@applicant_case
def document(case, doc_type):
    """One of the case's documents as it is now (the same PDF until the case changes)."""
    size = request.args.get("size", "a4").lower()
    if doc_type not in DOC_TYPES:
        abort(404)
    try:
        issued = service.issue(case, doc_type, size if size in PAGE_SIZES else "a4")
    except service.NotAvailable:
        abort(404)
    except service.RenderError as error:
        return render_failed(error)
    return pdf_download(service.document_path(issued), f"{case.reference}-{doc_type}.pdf")
