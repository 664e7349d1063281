"""The materials page of the journey: upload, remove, defer, download.

Each slot is its own small form, so the page works without JavaScript; with
htmx, a slot's form replaces just that slot.
"""

from flask import Blueprint, abort, current_app, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from ..cases import services
from ..cases.access import load_applicant_case
from ..cases.views import journey_context, page_url
from ..extensions import is_partial_htmx
from ..models import Material, Upload
from ..security import access
from .service import UploadError, path_for, read_limited, remove, store

bp = Blueprint("uploads", __name__, url_prefix="/<lang:lang>/cases/<reference>")


def upload_messages() -> dict:
    """What the upload client says while it works, in the page's language."""
    return {
        "preparing": _("Preparing the photo…"),
        # Written here, not in the template: Jinja would read the "%" as a format.
        "uploading": _("Sending {pct}% ({done} of {total} MB)"),
        "retry": _("Connection lost: trying again in {s} s"),
        "resuming": _("Continuing where it stopped…"),
        "done": _("Received"),
        "failed": _("The upload did not work. Please try again."),
    }


@bp.app_context_processor
def _upload_messages():
    return {"upload_messages": upload_messages}


def _material(case, key) -> Material:
    material = Material.get_or_none((Material.item == case.item) & (Material.key == key))
    if material is None:
        abort(404)
    return material


def _render(case, status=200, slot_errors=None, focus=None):
    """Whole materials page, or one slot for an htmx request."""
    states = services.material_states(case)
    if not services.editable(case):
        # After acceptance only the materials still owed can be sent.
        states = [s for s in states if s.deferred or s.material.key in (case.deferred or [])]
    slot_errors = slot_errors or {}
    if is_partial_htmx() and focus:
        state = next(s for s in states if s.material.key == focus)
        return render_template("uploads/partial/slot.html", case=case, state=state,
                               error=slot_errors.get(focus), oob_summary=True,
                               states=states), status
    return render_template("uploads/materials.html", states=states, slot_errors=slot_errors,
                           **journey_context(case, "materials")), status


SUPPLY_STATUSES = ("accepted", "transferred", "approved")


def supplying_later(case) -> bool:
    """An accepted case still owing deferred materials: only those slots take files."""
    return case.status in SUPPLY_STATUSES and any(s.deferred for s in services.material_states(case))


def _editable_or_redirect(case, key=None):
    if services.editable(case):
        return None
    if supplying_later(case) and (key is None or key in (case.deferred or [])):
        return None
    return redirect(url_for("cases.status", reference=case.reference), 303)


@bp.route("/materials")
@access("applicant")
def materials(reference):
    """One slot per material, with what is still missing."""
    case = load_applicant_case(reference)
    blocked = _editable_or_redirect(case)
    if blocked:
        return blocked
    services.set_resume(case, "materials")
    return _render(case)


@bp.route("/materials/<key>", methods=["POST"])
@access("applicant")
def upload(reference, key):
    """Add a file to a material slot."""
    case = load_applicant_case(reference)
    blocked = _editable_or_redirect(case, key)
    if blocked:
        return blocked
    material = _material(case, key)
    file = request.files.get("file")
    if file is None or not file.filename:
        return _render(case, 400, {key: _("Choose a file first.")}, key)
    state = next(s for s in services.material_states(case) if s.material.key == key)
    if not state.can_add:
        return _render(case, 409, {key: _("This item already has the most files it takes. "
                                         "Remove one to replace it.")}, key)
    try:
        data = read_limited(file.stream, current_app.config["UPLOAD_MAX_BYTES"])
        store(case, material, data, file.filename)
    except UploadError as exc:
        return _render(case, exc.status, {key: str(exc)}, key)
    if case.status in SUPPLY_STATUSES:
        case = services.supplied_later(case, material)
    if is_partial_htmx():
        return _render(case, 200, focus=key)
    return redirect(url_for("uploads.materials", reference=case.reference) + f"#m-{key}", 303)


@bp.route("/materials/<key>/slot")
@access("applicant")
def slot(reference, key):
    """One material slot as a fragment (the upload client refreshes it after a file)."""
    case = load_applicant_case(reference)
    blocked = _editable_or_redirect(case, key)
    if blocked:
        return blocked
    _material(case, key)
    states = services.material_states(case)
    state = next(s for s in states if s.material.key == key)
    return render_template("uploads/partial/slot.html", case=case, state=state, error=None,
                           oob_summary=True, states=states)


@bp.route("/materials/<key>/files/<int:upload_id>/remove", methods=["POST"])
@access("applicant")
def remove_file(reference, key, upload_id):
    """Remove one file from a slot (to replace it)."""
    case = load_applicant_case(reference)
    blocked = _editable_or_redirect(case, key)
    if blocked:
        return blocked
    upload_row = Upload.get_or_none((Upload.id == upload_id) & (Upload.case == case)
                                    & (Upload.material_key == key) & (Upload.removed == False))  # noqa: E712
    if upload_row is not None:
        remove(upload_row)
    if is_partial_htmx():
        return _render(case, 200, focus=key)
    return redirect(url_for("uploads.materials", reference=case.reference) + f"#m-{key}", 303)


@bp.route("/materials/<key>/later", methods=["POST"])
@access("applicant")
def defer(reference, key):
    """Mark a deferrable material "I will supply this later", or undo it."""
    case = load_applicant_case(reference)
    blocked = _editable_or_redirect(case)
    if blocked:
        return blocked
    material = _material(case, key)
    if material.essential:
        return _render(case, 400, {key: _("This material is essential and must be sent now.")}, key)
    case = services.set_deferred(case, material, request.form.get("later") == "yes")
    if is_partial_htmx():
        return _render(case, 200, focus=key)
    return redirect(url_for("uploads.materials", reference=case.reference) + f"#m-{key}", 303)


@bp.route("/materials/continue", methods=["POST"])
@access("applicant")
def done(reference):
    """Leave the materials page for the check page."""
    case = load_applicant_case(reference)
    services.set_resume(case, "check")
    return redirect(page_url(case, "check"), 303)


@bp.route("/files/<int:upload_id>")
@access("applicant")
def download(reference, upload_id):
    """Download one of the case's files (attachment only, never cached)."""
    case = load_applicant_case(reference)
    upload_row = Upload.get_or_none((Upload.id == upload_id) & (Upload.case == case)
                                    & (Upload.removed == False))  # noqa: E712
    if upload_row is None or upload_row.material_key == "_recording":
        # A video-check recording stays with the window.
        abort(404)
    path = path_for(upload_row.stored_name)
    if not path.exists():
        abort(404)
    response = send_file(path, mimetype=upload_row.content_type, as_attachment=True,
                         download_name=upload_row.original_name, max_age=0, etag=False,
                         conditional=False)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def too_large(reference):
    """The materials page again when a request body was over the hard limit."""
    case = load_applicant_case(reference)
    key = request.view_args.get("key", "") if request.view_args else ""
    message = _("This file is larger than %(mb)s MB. Please take a new photo at a lower "
                "resolution, or scan the document at 200 dpi.",
                mb=f"{current_app.config['UPLOAD_MAX_BYTES'] / 1024 / 1024:.0f}")
    return _render(case, 413, {key: message}, key or None)
