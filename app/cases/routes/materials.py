"""The materials page of the journey: upload, remove, defer, download.

Each slot is its own small form, so the page works without JavaScript; with
htmx, a slot's form replaces just that slot (:mod:`app.fragments`).
"""

from flask import abort, current_app, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...authz import applicant_case, may_open
from ...fragments import see_next, see_other, varies, wants_fragment
from ...models import Case, Upload
from ...uploads.service import UploadError, attachment, path_for, read_limited
from .. import journey
from ..blueprint import bp
from ...reasons.library import returned as returned_reasons
from ..pages import journey_context, page_url


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
        # Before sending (static/estimate.js): {size} in MB, {time} "4 minutes".
        "size": _("This file is {size} MB: on a slow connection it takes several minutes "
                  "to send."),
        "estimate": _("This file is {size} MB: about {time} to send on your connection."),
        "photos": _("Photos of its {pages} pages would take about {time}."),
        "photo": _("A photo of its one page would take about {time}."),
        "photos-button": _("Send photos of the pages instead"),
    }


def _material(case, key):
    """The material ``key`` of the item's version the case was started with, or 404."""
    material = case.spec.material(key)
    if material is None:
        abort(404)
    return material


def _render(case, status=200, errors=None, focus=None):
    """The whole materials page, or one slot for a partial htmx request."""
    states = journey.material_states(case)
    if not case.is_editable:
        # After acceptance only the materials still owed can be sent.
        states = [s for s in states if s.deferred or s.material.key in (case.deferred or [])]
    errors = errors or {}
    if wants_fragment() and focus:
        state = next(s for s in states if s.material.key == focus)
        page = render_template("cases/partial/slot.html", case=case, state=state, states=states,
                               error=errors.get(focus), oob_summary=True,
                               returned=returned_reasons(case),
                               upload_messages=upload_messages())
    else:
        page = render_template("cases/materials.html", states=states, slot_errors=errors,
                               returned=returned_reasons(case),
                               upload_messages=upload_messages(),
                               **journey_context(case, "materials"))
    return varies(make_response(page, status))


def _closed(case, key=None):
    """A redirect to the status page when this slot (or the page) takes no files now."""
    if case.takes_files_for(key):
        return None
    # The last material owed has arrived: the whole page moves on to the status page (a
    # slot refreshing itself through htmx is not given the status page to swap in).
    return see_other(url_for("cases.status", reference=case.reference))


def _back_to_slot(case, key):
    if wants_fragment():
        return _render(case, 200, focus=key)
    return redirect(url_for("cases.materials", reference=case.reference) + f"#m-{key}", 303)


@bp.route("/cases/<reference>/materials")
@applicant_case
def materials(case):
    """One slot per material, with what is still missing."""
    return _closed(case) or _render(case)


@bp.route("/cases/<reference>/materials/<key>", methods=["POST"])
@applicant_case
def upload(case, key):
    """Add a file to a material slot."""
    closed = _closed(case, key)
    if closed:
        return closed
    material = _material(case, key)
    file = request.files.get("file")
    if file is None or not file.filename:
        return _render(case, 400, {key: _("Choose a file first.")}, key)
    if not journey.material_state(case, key).can_add:
        return _render(case, 409, {key: _("This item already has the most files it takes. "
                                          "Remove one to replace it.")}, key)
    try:
        data = read_limited(file.stream, current_app.config["UPLOAD_MAX_BYTES"])
        case, _upload = journey.add_file(case, material, data, file.filename)
    except UploadError as error:
        return _render(case, error.status, {key: str(error)}, key)
    return _back_to_slot(case, key)


@bp.route("/cases/<reference>/materials/<key>/slot")
@applicant_case
def slot(case, key):
    """One material slot as a fragment (the upload client refreshes it after a file)."""
    closed = _closed(case, key)
    if closed:
        return closed
    _material(case, key)
    states = journey.material_states(case)
    state = next(s for s in states if s.material.key == key)
    return render_template("cases/partial/slot.html", case=case, state=state, error=None,
                           oob_summary=True, states=states, upload_messages=upload_messages())


@bp.route("/cases/<reference>/materials/<key>/files/<int:upload_id>/remove", methods=["POST"])
@applicant_case
def remove_file(case, key, upload_id):
    """Remove one file from a slot (to replace it)."""
    closed = _closed(case, key)
    if closed:
        return closed
    found = Upload.current(case, [key]).where(Upload.id == upload_id).first()
    if found is not None:
        case = journey.remove_file(case, found)
    return _back_to_slot(case, key)


@bp.route("/cases/<reference>/materials/<key>/later", methods=["POST"])
@applicant_case
def defer(case, key):
    """Mark a deferrable material "I will supply this later", or undo it."""
    if not case.is_editable:
        return redirect(url_for("cases.status", reference=case.reference), 303)
    material = _material(case, key)
    if material.essential:
        return _render(case, 400, {key: _("This material is essential and must be sent now.")},
                       key)
    case = journey.set_deferred(case, material, request.form.get("later") == "yes")
    return _back_to_slot(case, key)


@bp.route("/cases/<reference>/materials/continue", methods=["POST"])
@applicant_case
def done(case):
    """Leave the materials page for the check page."""
    return see_next(page_url(case, "check"))


@bp.route("/cases/<reference>/files/<int:upload_id>")
@applicant_case
def download(case, upload_id):
    """Download one of the case's files (attachment only, never cached)."""
    found = Upload.current(case).where(Upload.id == upload_id).first()
    if found is None or found.material_key == "_recording" or not path_for(
            found.stored_name).exists():
        # A video-check recording stays with the window.
        abort(404)
    return attachment(path_for(found.stored_name), found.content_type, found.original_name)


def too_large(case_reference: str):
    """The materials page again when a request body was over the hard limit (413)."""
    case = Case.by_reference(case_reference)
    if not may_open(case):
        abort(404)
    key = (request.view_args or {}).get("key")
    message = _("This file is larger than %(mb)s MB. Please take a new photo at a lower "
                "resolution, or scan the document at 200 dpi.",
                mb=f"{current_app.config['UPLOAD_MAX_BYTES'] / 1024 / 1024:.0f}")
    return _render(case, 413, {key: message} if key else {}, key)
