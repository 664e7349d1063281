"""The volunteer's desk at a service point, ``/staff/point/``: assisted cases, print
packs, signed scans.

A volunteer belongs to one service point and sees only the cases started
there. To fill in the journey with the applicant, the volunteer's browser is
given access to that one case (the same journey pages the applicant uses);
nothing else of the applicant side opens for them.
"""

import secrets

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import CombinedMultiDict

from .. import audit
from ..authz import staff, staff_case
from ..cases.access import (check_access_code, grant_assisted, revoke_everywhere,
                            shown_access_code)
from ..cases.appointments import current_appointment, identity_confirmed
from ..cases.assisted import add_signed_scan, replace_access_code, start_assisted
from ..cases.reference import normalize_access_code
from ..documents.context import PAGE_SIZES
from ..documents.pack import access_slip, blank_batch, print_pack
from ..documents.service import RenderError
from ..documents.views import pdf_download, render_failed
from ..models import Case, Department, Event, Item, Jurisdiction, Upload
from ..models.base import in_one_transaction
from ..uploads.service import UploadError, read_limited
from .blueprint import bp
from .clocks import clocks
from .forms import BlankBatchForm, DeskStartForm, ScanForm
from .scans import SIGNED_KEYS, SIGNED_LABELS


def _items():
    """The items of every county the volunteer's point serves, county by county."""
    places = g.staff.service_point.jurisdiction_ids()
    return list(Item.select(Item, Department, Jurisdiction).join(Department).join(Jurisdiction)
                .where((Item.active == True) & Department.jurisdiction.in_(places))  # noqa: E712
                .order_by(Jurisdiction.sort, Item.sort))


def _home(start_form=None, batch_form=None, status=200):
    point = g.staff.service_point
    query = (Case.select().where(Case.service_point == point.id)
             .order_by(Case.created_at.desc()).limit(100))
    search = (request.args.get("q") or "").strip().upper()[:40]
    if search:
        query = query.where(Case.reference.contains(search) | Case.applicant_name.contains(search))
    items = _items()
    return render_template(
        "points/desk.html", point=point, cases=list(query), search=search,
        clocks=clocks(g.staff),
        form=start_form or DeskStartForm(formdata=None, point=point, items=items),
        batch=batch_form or BlankBatchForm(formdata=None, items=items)), status


@bp.route("/staff/point/")
@staff("desk")
def desk():
    """The service point's assisted cases, the start form and the blank-form printer."""
    return _home()


@bp.route("/staff/point/start", methods=["POST"])
@staff("desk")
@in_one_transaction
def desk_start():
    """Start a case for the walk-in applicant at the desk, with their consent."""
    form = DeskStartForm(point=g.staff.service_point, items=_items())
    if not form.validate():
        return _home(start_form=form, status=422)
    started = start_assisted(Item.active_by_code(form.item.data), g.staff, form.clean(),
                             secrets.token_urlsafe(24))
    grant_assisted(started.case, started.access_code)
    audit.record("assisted_start", staff=g.staff, case=started.case,
                 target=g.staff.service_point.key)
    return redirect(url_for("cases.resume", lang=started.case.locale,
                            reference=started.case.reference), 303)


def _live_code(case) -> str | None:
    """The access code this browser was shown, if it still opens the case."""
    code = shown_access_code(case)
    if code and check_access_code(case, normalize_access_code(code)):
        return code
    return None


def _case_page(case: Case, scan_form=None, status: int = 200):
    """The desk's page of one case (again with the scan form's errors, if any)."""
    return render_template(
        "points/desk_case.html", case=case, item=case.spec, point=g.staff.service_point,
        scans=list(Upload.current(case, SIGNED_KEYS)),
        events=list(Event.timeline(case, for_staff=False)), SIGNED_LABELS=SIGNED_LABELS,
        access_code=_live_code(case), appointment=current_appointment(case),
        confirmed=identity_confirmed(case), scan_form=scan_form or ScanForm(formdata=None)
    ), status


@bp.route("/staff/point/cases/<reference>")
@staff_case("desk")
def desk_case(case):
    """One assisted case: status, what to print, signed scans, the video check."""
    audit.record("case_view", staff=g.staff, case=case)
    return _case_page(case)


@bp.route("/staff/point/cases/<reference>/open", methods=["POST"])
@staff_case("desk")
def desk_open(case):
    """Continue the applicant's journey (or the video-check booking) in this browser."""
    grant_assisted(case)
    audit.record("assisted_open", staff=g.staff, case=case)
    endpoint = "cases.video_check" if request.form.get("next") == "video" else "cases.resume"
    return redirect(url_for(endpoint, lang=case.locale, reference=case.reference), 303)


def _size() -> str:
    size = request.args.get("size", "a4")
    if size not in PAGE_SIZES:
        abort(404)
    return size


@bp.route("/staff/point/cases/<reference>/pack.pdf")
@staff_case("desk")
def desk_pack(case):
    """The print pack: cover sheet, prefilled form, and the letters that apply."""
    if case.files_deleted_at:  # the retention period ended its documents
        abort(404)
    try:
        data = print_pack(case, _size())
    except RenderError as error:
        return render_failed(error)
    audit.record("document_download", staff=g.staff, case=case, target="pack")
    return pdf_download(data, f"{case.reference}-pack.pdf")


@bp.route("/staff/point/cases/<reference>/slip.pdf")
@staff_case("desk")
def desk_slip(case):
    """The receipt slip with the access code, for the applicant to take home."""
    code = _live_code(case)
    if code is None:
        # Someone made a new code since this browser saw it: never print a dead one.
        flash(_("This browser no longer knows the access code. Make a new one to print the "
                "slip."), "error")
        return redirect(url_for("points.desk_case", reference=case.reference), 303)
    try:
        data = access_slip(case, code, _size())
    except RenderError as error:
        return render_failed(error)
    audit.record("document_download", staff=g.staff, case=case, target="slip")
    return pdf_download(data, f"{case.reference}-slip.pdf")


@bp.route("/staff/point/cases/<reference>/new-code", methods=["POST"])
@staff_case("desk")
@in_one_transaction
def desk_new_code(case):
    """Replace a lost access code (the old one stops working), to print a new slip."""
    code = replace_access_code(case, g.staff)
    revoke_everywhere(case)  # whoever held the case with the old code holds nothing now
    grant_assisted(case, code)
    audit.record("access_code_replaced", staff=g.staff, case=case)
    flash(_("A new access code is ready; the old one no longer works. Print the slip for the "
            "applicant."), "info")
    return redirect(url_for("points.desk_case", reference=case.reference), 303)


@bp.route("/staff/point/cases/<reference>/scans", methods=["POST"])
@staff_case("desk")
def desk_scan(case):
    """Add the scan of a signed paper form (PDF or photo)."""
    form = ScanForm(CombinedMultiDict((request.files, request.form)))
    if form.validate():
        try:
            data = read_limited(form.file.data.stream, current_app.config["UPLOAD_MAX_BYTES"])
            add_signed_scan(case, g.staff, form.kind.data, data, form.file.data.filename)
        except UploadError as error:
            form.file.errors.append(str(error))
    if any(field.errors for field in form):
        return _case_page(case, scan_form=form, status=422)
    audit.record("signed_scan", staff=g.staff, case=case, target=form.kind.data)
    flash(_("The scan is added to the application."), "info")
    return redirect(url_for("points.desk_case", reference=case.reference), 303)


@bp.route("/staff/point/blanks.pdf")
@staff("desk")
def desk_blanks():
    """Blank forms for a chosen set of services, in one PDF to print in one go."""
    items = _items()
    form = BlankBatchForm(request.args, items=items)
    if not form.validate():
        return _home(batch_form=form, status=422)
    chosen = {i.code: i for i in items}
    try:
        data = blank_batch([chosen[c] for c in form.items.data], form.language.data,
                           form.size.data)
    except RenderError as error:
        return render_failed(error)
    return pdf_download(data, f"blank-forms-{form.size.data}.pdf")


@bp.route("/staff/clocks")
@staff()
def shift_clocks():
    """The clocks alone (the queue and the desk refresh theirs every minute)."""
    return render_template("points/clocks.html", clocks=clocks(g.staff))
