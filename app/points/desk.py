"""The volunteer's desk at a service point: assisted cases, print packs, signed scans.

A volunteer belongs to one service point and sees only the cases started
there. To fill in the journey with the applicant, the volunteer's browser is
given access to that one case (the same journey pages the applicant uses);
nothing else of the applicant side opens for them.
"""

import secrets
from types import SimpleNamespace

from flask import (Blueprint, abort, flash, g, redirect, render_template, request, Response,
                   url_for)
from flask_babel import gettext as _

from .. import audit
from ..auth.sessions import staff_required
from ..cases import services
from ..cases.access import grant_assisted, secret_hash, shown_access_code
from ..cases.appointments import current_appointment, identity_confirmed, needs_video_check
from ..cases.lifecycle import EVENT_LABELS, STATUS_LABELS
from ..cases.notify import send_access_email
from ..cases.reference import new_access_code
from ..cases.start import countries, validate_start
from ..config import LOCALES
from ..documents.context import PAGE_SIZES
from ..models import Case, Event, Item, ServicePoint, Upload, db
from ..security import access
from .scans import SIGNED_KEYS, SIGNED_LABELS

bp = Blueprint("desk", __name__, url_prefix="/staff/point")
MAX_BATCH = 20


def _point() -> ServicePoint:
    point = ServicePoint.get_or_none(ServicePoint.id == g.staff.service_point_id)
    if point is None:
        abort(403)
    return point


def load_point_case(reference: str) -> Case:
    """A case started at the volunteer's own service point; 404 for any other."""
    case = Case.get_or_none(Case.reference == reference)
    if case is None or not g.staff.service_point_id \
            or case.service_point_id != g.staff.service_point_id:
        abort(404)
    return case


def _items():
    return list(Item.select().where(Item.active == True).order_by(Item.sort))  # noqa: E712


def _home(point, start_values=None, start_errors=None, batch=None, batch_error=None, status=200):
    query = (Case.select().where(Case.service_point_id == point.id)
             .order_by(Case.created_at.desc()).limit(100))
    search = (request.args.get("q") or "").strip().upper()[:40]
    if search:
        query = query.where(Case.reference.contains(search) | Case.applicant_name.contains(search))
    defaults = {"item": "", "language": "zh", "email": "", "phone": "", "city": "", "consent": ""}
    return render_template(
        "desk/home.html", point=point, cases=list(query), items=_items(), search=search,
        values=dict(defaults, **(start_values or {})), errors=start_errors or {},
        batch=batch or {"items": [], "language": "zh", "size": "a4"}, batch_error=batch_error,
        STATUS_LABELS=STATUS_LABELS, LOCALES=LOCALES), status


@bp.route("/")
@access("staff")
@staff_required("volunteer")
def home():
    """The service point's assisted cases, the start form and the blank-form printer."""
    return _home(_point())


@bp.route("/start", methods=["POST"])
@access("staff")
@staff_required("volunteer")
def start():
    """Start a case for the walk-in applicant at the desk, with their consent."""
    point = _point()
    form = request.form
    values = {k: (form.get(k) or "").strip() for k in ("item", "language", "email", "phone",
                                                       "city", "consent")}
    item = Item.get_or_none((Item.code == values["item"]) & (Item.active == True))  # noqa: E712
    fields = dict(values, country=point.country, tz=point.timezone,
                  city=values["city"] or point.city.get("en", ""))
    cleaned, errors = validate_start(fields, values["language"] if values["language"] in LOCALES
                                     else "en")
    if item is None:
        errors["item"] = _("Choose the service the applicant needs.")
    if values["consent"] != "yes":
        errors["consent"] = _("Tick the box once the applicant has agreed that you fill in the "
                              "application with them.")
    if errors:
        return _home(point, values, errors, status=422)
    started = services.start_case(
        item, start_key=secrets.token_urlsafe(24), locale=cleaned["language"],
        email=cleaned["email"] or None, phone=cleaned["phone"] or None, country=point.country,
        city=cleaned["city"], tz=point.timezone, assisted_by=g.staff)
    case = started.case
    grant_assisted(case, started.access_code)
    send_access_email(case, started.token, started.access_code)
    audit.record("assisted_start", staff=g.staff, case=case, target=point.key)
    return redirect(url_for("cases.resume", lang=case.locale, reference=case.reference), 303)


@bp.route("/cases/<reference>")
@access("staff")
@staff_required("volunteer")
def case(reference):
    """One assisted case: status, what to print, signed scans, the video check."""
    found = load_point_case(reference)
    audit.record("case_view", staff=g.staff, case=found)
    return _case_page(found)


def _case_page(found: Case, scan_error: str | None = None, scan_kind: str = "",
               status: int = 200):
    """The desk's page of one case (again with the scan form's error, if any)."""
    scans = list(Upload.select().where((Upload.case == found) & (Upload.removed == False)  # noqa: E712
                                       & Upload.material_key.in_(SIGNED_KEYS))
                 .order_by(Upload.id))
    return render_template(
        "desk/case.html", case=found, item=found.item, point=_point(), scans=scans,
        events=list(found.events.order_by(Event.created_at, Event.id)),
        access_code=_live_code(found), video_needed=needs_video_check(found),
        appointment=current_appointment(found), confirmed=identity_confirmed(found),
        SIGNED_LABELS=SIGNED_LABELS, SIGNED_KEYS=SIGNED_KEYS, STATUS_LABELS=STATUS_LABELS,
        EVENT_LABELS=EVENT_LABELS, scan_error=scan_error, scan_kind=scan_kind), status


@bp.route("/cases/<reference>/open", methods=["POST"])
@access("staff")
@staff_required("volunteer")
def open_case(reference):
    """Continue the applicant's journey (or the video-check booking) in this browser."""
    found = load_point_case(reference)
    grant_assisted(found)
    audit.record("assisted_open", staff=g.staff, case=found)
    if request.form.get("next") == "video":
        return redirect(url_for("video.book", lang=found.locale, reference=found.reference), 303)
    return redirect(url_for("cases.resume", lang=found.locale, reference=found.reference), 303)


def _live_code(case) -> str | None:
    """The access code this browser was shown, if it still opens the case."""
    from ..cases.access import check_access_code
    from ..cases.reference import normalize_access_code
    code = shown_access_code(case)
    if code and check_access_code(case, normalize_access_code(code)):
        return code
    return None


def _pdf(data: bytes, name: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _size() -> str:
    size = request.args.get("size", "a4")
    if size not in PAGE_SIZES:
        abort(404)
    return size


@bp.route("/cases/<reference>/pack.pdf")
@access("staff")
@staff_required("volunteer")
def pack(reference):
    """The print pack: cover sheet, prefilled form, and the letters that apply."""
    from ..documents.pack import print_pack
    from ..documents.service import RenderError
    found = load_point_case(reference)
    try:
        data = print_pack(found, _size())
    except RenderError:
        return render_template("documents/failed.html", reason="failed"), 503
    audit.record("document_download", staff=g.staff, case=found, target="pack")
    return _pdf(data, f"{found.reference}-pack.pdf")


@bp.route("/cases/<reference>/slip.pdf")
@access("staff")
@staff_required("volunteer")
def slip(reference):
    """The receipt slip with the access code, for the applicant to take home."""
    from ..documents.pack import access_slip
    from ..documents.service import RenderError
    found = load_point_case(reference)
    code = shown_access_code(found)
    data = None
    if code:
        try:
            data = access_slip(found, code, _size())
        except RenderError:
            return render_template("documents/failed.html", reason="failed"), 503
        except ValueError:
            # Someone made a new code since this browser saw it: never print a dead one.
            data = None
    if data is None:
        flash(_("This browser no longer knows the access code. Make a new one to print the "
                "slip."), "error")
        return redirect(url_for("desk.case", reference=found.reference), 303)
    audit.record("document_download", staff=g.staff, case=found, target="slip")
    return _pdf(data, f"{found.reference}-slip.pdf")


@bp.route("/cases/<reference>/new-code", methods=["POST"])
@access("staff")
@staff_required("volunteer")
def new_code(reference):
    """Replace a lost access code (the old one stops working), to print a new slip."""
    found = load_point_case(reference)
    code = new_access_code()
    Case.update(access_code_hash=secret_hash(code)).where(Case.id == found.id).execute()
    Event.create(case=found, kind="access_code_replaced", actor="staff", actor_id=g.staff.id)
    grant_assisted(found, code)
    audit.record("access_code_replaced", staff=g.staff, case=found)
    flash(_("A new access code is ready; the old one no longer works. Print the slip for the "
            "applicant."), "info")
    return redirect(url_for("desk.case", reference=found.reference), 303)


@bp.route("/cases/<reference>/scans", methods=["POST"])
@access("staff")
@staff_required("volunteer")
def scan(reference):
    """Add the scan of a signed paper form (PDF or photo)."""
    from flask import current_app
    from ..uploads.service import UploadError, read_limited, store
    found = load_point_case(reference)
    kind = request.form.get("kind", "")
    file = request.files.get("file")
    error = None
    if kind not in SIGNED_KEYS:
        error = _("Choose which signed paper this is.")
    elif file is None or not file.filename:
        error = _("Choose the scan to upload.")
    else:
        try:
            data = read_limited(file.stream, current_app.config["UPLOAD_MAX_BYTES"])
            with db.atomic():
                upload = store(found, SimpleNamespace(key=kind, formats=["pdf", "jpeg", "png"]),
                               data, file.filename)
                Event.create(case=found, kind="signed_scan", actor="staff", actor_id=g.staff.id,
                             data={"kind": kind, "upload": upload.id})
        except UploadError as exc:
            error = str(exc)
    if error:
        return _case_page(found, scan_error=error, scan_kind=kind, status=422)
    audit.record("signed_scan", staff=g.staff, case=found, target=kind)
    flash(_("The scan is added to the application."), "info")
    return redirect(url_for("desk.case", reference=found.reference), 303)


@bp.route("/blanks.pdf")
@access("staff")
@staff_required("volunteer")
def blanks():
    """Blank forms for a chosen set of services, in one PDF to print in one go."""
    from ..documents.pack import blank_batch
    from ..documents.service import RenderError
    point = _point()
    codes = request.args.getlist("items")
    language = request.args.get("language", "zh")
    size = request.args.get("size", "a4")
    batch = {"items": codes, "language": language, "size": size}
    chosen = {i.code: i for i in Item.select().where(Item.code.in_(codes or [""])
                                                     & (Item.active == True))}  # noqa: E712
    items = [chosen[c] for c in codes if c in chosen]
    error = None
    if not items:
        error = _("Tick at least one service to print its blank forms.")
    elif len(items) > MAX_BATCH:
        error = _("Print at most %(num)d services at a time.", num=MAX_BATCH)
    elif language not in LOCALES or size not in PAGE_SIZES:
        error = _("Choose a language and a paper size.")
    if error:
        return _home(point, batch=batch, batch_error=error, status=422)
    try:
        data = blank_batch(items, language, size)
    except RenderError:
        return render_template("documents/failed.html", reason="failed"), 503
    return _pdf(data, f"blank-forms-{size}.pdf")


__all__ = ["bp", "load_point_case", "countries"]
