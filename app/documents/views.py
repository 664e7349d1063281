"""The public verification page of issued documents, and how every PDF is sent."""

from flask import Blueprint, Response, current_app, g, render_template, send_file

from ..authz import public
from ..extensions import limiter
from ..i18n import negotiate_locale
from . import service
from .context import TITLES

bp = Blueprint("documents", __name__)


def render_failed(error, done: str | None = None, back: str | None = None):
    """The page that explains a document could not be made now (503, never a 500);
    ``done`` says what was saved all the same, ``back`` where to go on."""
    current_app.logger.error("document rendering failed: %s", error)
    return render_template("documents/failed.html", reason=getattr(error, "reason", "failed"),
                           done=done, back=back), 503


def pdf_download(path_or_bytes, name: str):
    """A PDF as a download that no cache keeps (it carries personal data)."""
    if isinstance(path_or_bytes, bytes):
        response = Response(path_or_bytes, mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    else:
        response = send_file(path_or_bytes, mimetype="application/pdf", as_attachment=True,
                             download_name=name, max_age=0, etag=False, conditional=False)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/verify/<code>")
@public
@limiter.limit("60 per minute")
def verify(code):
    """Public check of an issued document: type, reference, date, SHA-256, initials only."""
    g.lang = negotiate_locale()
    issued = service.find_issued(code)
    if issued is None:
        return render_template("documents/verify.html", issued=None, code=code[:20],
                               TITLES=TITLES), 404
    return render_template("documents/verify.html", issued=issued,
                           reference=issued.case.reference, TITLES=TITLES, code=code[:20])
