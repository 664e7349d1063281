"""Staff pages: the queue, a case, and the decisions taken on it."""

from flask import (Blueprint, abort, flash, g, redirect, render_template, request, send_file,
                   url_for)
from flask_babel import gettext as _

from .. import audit
from ..auth.sessions import staff_required
from ..cases import decisions, services
from ..cases.decisions import DecisionError
from ..cases.lifecycle import EVENT_LABELS, STATUS_LABELS, can
from ..cases.notify import notify
from ..documents import service as documents
from ..documents.context import DOC_TYPES, PAGE_SIZES, TITLES
from ..extensions import is_partial_htmx
from ..i18n import localized
from ..models import Case, CaseNote, Department, Event, Item, Staff, Upload
from ..security import access
from ..uploads.service import path_for
from . import queue as queues

bp = Blueprint("review", __name__, url_prefix="/staff")
CASE_ROLES = ("clerk", "officer", "supervisor", "admin")
from ..points.scans import SIGNED_KEYS, SIGNED_LABELS  # noqa: E402


def load_staff_case(reference: str) -> Case:
    """The case if the signed-in staff member may see it; 404 otherwise."""
    case = Case.get_or_none(Case.reference == reference)
    if case is None or not queues.may_see(g.staff, case):
        abort(404)
    return case


@bp.route("/")
@access("staff")
@staff_required()
def home():
    """Staff home: the queue, or a volunteer's service-point desk."""
    if g.staff.role == "volunteer":
        return redirect(url_for("desk.home"), 303)
    return redirect(url_for("review.queue"), 303)


@bp.route("/queue")
@access("staff")
@staff_required(*CASE_ROLES)
def queue():
    """What waits, what is late, what came back; filters work as plain links."""
    filters = queues.parse_filters(request.args)
    cases, next_cursor, counts = queues.queue(g.staff, filters)
    items = {i.id: i for i in Item.select(Item.id, Item.code, Item.names)
             .where(Item.id.in_({c.item_id for c in cases}))} if cases else {}
    context = dict(cases=cases, next_cursor=next_cursor, counts=counts, filters=filters,
                   items=items, flags=queues.flags, STATUS_LABELS=STATUS_LABELS)
    if is_partial_htmx():
        return render_template("staff/partial/queue_table.html", **context)
    departments = list(Department.select().order_by(Department.sort))
    all_items = list(Item.select(Item.code, Item.names).where(Item.active == True)  # noqa: E712
                     .order_by(Item.sort))
    from ..models import ServicePoint
    points = list(ServicePoint.select(ServicePoint.key, ServicePoint.city)
                  .order_by(ServicePoint.sort, ServicePoint.id))
    return render_template("staff/queue.html", departments=departments, all_items=all_items,
                           points=points, video=_video_day(), **context)


def _video_day() -> dict:
    """The day's video checks at the signed-in clerk's window (``?vday=`` moves the day)."""
    from datetime import date, timedelta
    from ..cases import appointments as appts
    from ..models import Office
    today = decisions.beijing_today()
    try:
        day = date.fromisoformat(request.args.get("vday", ""))
    except ValueError:
        day = today
    staff = g.staff
    if staff.role == "admin":
        offices = [o.id for o in Office.select(Office.id)]
    elif staff.office_id:
        offices = [staff.office_id]
    else:
        offices = []
    listed = appts.day_appointments(offices, day) if offices else []
    return {"day": day, "today": today, "items": listed, "meeting": appts.meeting_url,
            "previous": day - timedelta(days=1), "next": day + timedelta(days=1),
            "shown": bool(offices)}


def _case_context(case, error=None):
    events = list(case.events.order_by(Event.created_at, Event.id))
    staff_names = {s.id: s.name for s in Staff.select(Staff.id, Staff.name)}
    states = services.material_states(case)
    notes = list(CaseNote.select().where(CaseNote.case == case).order_by(CaseNote.created_at))
    transferred = Department.get_or_none(Department.id == case.transferred_to_id)
    colleagues = list(Staff.select().where((Staff.office == case.office_id)
                                           & (Staff.active == True)  # noqa: E712
                                           & Staff.role.in_(["clerk", "supervisor"])))
    from ..cases import appointments as appts
    from ..models import Appointment, ServicePoint
    video = None
    if appts.needs_video_check(case) or case.appointments.count():
        video = {"needed": appts.needs_video_check(case), "current": appts.current_appointment(case),
                 "confirmed": appts.identity_confirmed(case),
                 "history": list(case.appointments.where(Appointment.status == "held")
                                 .order_by(Appointment.id.desc())),
                 "participants": appts.PARTICIPANTS, "meeting": appts.meeting_url,
                 "agent": (case.entrustment or {}).get("mode") == "agent"}
    point = (ServicePoint.get_or_none(ServicePoint.id == case.service_point_id)
             if case.service_point_id else None)
    kept = list(Upload.select().where((Upload.case == case) & (Upload.removed == False)  # noqa: E712
                                      & Upload.material_key.in_(SIGNED_KEYS + ["_recording"]))
                .order_by(Upload.id))
    return dict(case=case, item=case.item, events=events, staff_names=staff_names,
                video=video, point=point, kept_files=kept, SIGNED_LABELS=SIGNED_LABELS,
                states=states, reviews=decisions.latest_reviews(case), notes=notes,
                transferred=transferred, departments=list(Department.select()),
                documents=documents.available(case), DOC_TITLES=TITLES, can=can,
                STATUS_LABELS=STATUS_LABELS, EVENT_LABELS=EVENT_LABELS, error=error,
                colleagues=colleagues, flags=queues.flags,
                default_due=(decisions.beijing_today()).isoformat(),
                is_officer=g.staff.role == "officer")


@bp.route("/cases/<reference>")
@access("staff")
@staff_required(*CASE_ROLES)
def case_view(reference):
    """Everything about one case, and the decisions possible now."""
    case = load_staff_case(reference)
    audit.record("case_view", staff=g.staff, case=case)
    return render_template("staff/case.html", **_case_context(case))


@bp.route("/cases/<reference>/files/<int:upload_id>")
@access("staff")
@staff_required(*CASE_ROLES)
def case_file(reference, upload_id):
    """A material file: inline for an image preview, otherwise as a download."""
    case = load_staff_case(reference)
    upload = Upload.get_or_none((Upload.id == upload_id) & (Upload.case == case))
    if upload is None or not path_for(upload.stored_name).exists():
        abort(404)
    inline = request.args.get("preview") == "1" and upload.content_type == "image/jpeg"
    audit.record("file_preview" if inline else "file_download", staff=g.staff, case=case,
                 target=f"{upload.material_key}/{upload.id}")
    response = send_file(path_for(upload.stored_name), mimetype=upload.content_type,
                         as_attachment=not inline, download_name=upload.original_name,
                         max_age=0, etag=False, conditional=False)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.route("/cases/<reference>/documents/<doc_type>.pdf")
@access("staff")
@staff_required(*CASE_ROLES)
def case_document(reference, doc_type):
    """A document of the case (each download is an audit event)."""
    case = load_staff_case(reference)
    size = request.args.get("size", "a4")
    if doc_type not in DOC_TYPES or size not in PAGE_SIZES:
        abort(404)
    try:
        issued = documents.issue(case, doc_type, size)
    except documents.NotAvailable:
        abort(404)
    except documents.RenderError:
        return render_template("documents/failed.html", reason="failed"), 503
    audit.record("document_download", staff=g.staff, case=case, target=f"{doc_type}/{issued.code}")
    response = send_file(documents.document_path(issued), mimetype="application/pdf",
                         as_attachment=True, download_name=f"{case.reference}-{doc_type}.pdf",
                         max_age=0, etag=False, conditional=False)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/cases/<reference>/audit")
@access("staff")
@staff_required("supervisor", "admin")
def case_audit(reference):
    """Who saw and did what on this case."""
    case = load_staff_case(reference)
    staff_names = {s.id: s.name for s in Staff.select(Staff.id, Staff.name)}
    return render_template("staff/audit.html", case=case, events=audit.trail(case),
                           staff_names=staff_names)


def _store_result_document(case, document) -> int:
    """Keep the result document (PDF or photo) with the case; return its upload id."""
    from types import SimpleNamespace
    from flask import current_app
    from ..uploads.service import UploadError, read_limited, store
    slot = SimpleNamespace(key="_result", formats=["pdf", "jpeg", "png"])
    try:
        data = read_limited(document.stream, current_app.config["UPLOAD_MAX_BYTES"])
        return store(case, slot, data, document.filename).id
    except UploadError as error:
        raise DecisionError(str(error)) from error


def _version() -> int:
    try:
        return int(request.form.get("version", ""))
    except ValueError:
        return -1


def _done(case, message):
    flash(message, "info")
    return redirect(url_for("review.case_view", reference=case.reference), 303)


def _refused(case, error: DecisionError):
    fresh = Case.get_by_id(case.id)
    return render_template("staff/case.html", **_case_context(fresh, error=str(error))), 409


OFFICER_ACTIONS = {"transfer_back", "approve", "reject", "note"}


def _record_video(case, staff) -> str:
    """The outcome of the booked video check, with an optional recording."""
    from flask import current_app
    from ..cases import appointments as appts
    from ..uploads.service import UploadError, store_recording
    form = request.form
    appointment = appts.current_appointment(case)
    if appointment is None:
        raise DecisionError(_("No video check is booked for this case."))
    verdict = form.get("identity", "")
    if verdict not in ("confirmed", "not_confirmed"):
        raise DecisionError(_("Say whether the video check confirmed the applicant's identity."))
    participants = [p for p in form.getlist("participants") if p in appts.PARTICIPANTS]
    if "applicant" not in participants and verdict == "confirmed":
        raise DecisionError(_("The applicant must take part for their identity to be confirmed."))
    agent_confirmed = form.get("agent_confirmed") == "yes"
    if agent_confirmed and "agent" not in participants:
        raise DecisionError(_("The agent can only be confirmed if they took part in the call."))
    recording = request.files.get("recording")
    recording_id = None
    if recording is not None and recording.filename:
        try:
            recording_id = store_recording(case, recording.stream, recording.filename,
                                           current_app.config["RECORDING_MAX_MB"] * 1024 * 1024).id
        except UploadError as error:
            raise DecisionError(str(error)) from error
    try:
        _held, code = appts.record_outcome(
            case, appointment, staff, confirmed=verdict == "confirmed",
            participants=participants, agent_confirmed=agent_confirmed,
            note=form.get("note", "").strip()[:2000], recording=recording_id)
    except appts.SlotError as error:
        raise DecisionError(_("This video check was already recorded or cancelled.")) from error
    if code:
        notify(Case.get_by_id(case.id), "agent_code", agent_code=code,
               agent_name=(case.entrustment or {}).get("agent_name_zh", ""))
        flash(_("Agent's code for %(name)s: %(code)s. Tell the agent now: it is shown only "
                "once, and the applicant received it by email.",
                name=(case.entrustment or {}).get("agent_name_zh", ""), code=code), "code")
    return (_("Video check recorded: identity confirmed.") if verdict == "confirmed"
            else _("Video check recorded: identity not confirmed. The applicant can book again."))


@bp.route("/cases/<reference>/decide/<action>", methods=["POST"])
@access("staff")
@staff_required(*CASE_ROLES)
def decide(reference, action):
    """Apply one decision; a stale or invalid one is refused with the reason."""
    case = load_staff_case(reference)
    staff = g.staff
    if staff.role == "officer" and (action not in OFFICER_ACTIONS
                                    or case.transferred_to_id != staff.department_id
                                    or case.status != "transferred"):
        # A department acts only while the case is with it; once handed back it may read.
        abort(403)
    if staff.role != "officer" and action == "transfer_back":
        abort(403)
    form = request.form
    version = _version()
    try:
        if action == "claim":
            assignee = None
            if form.get("assignee"):
                assignee = Staff.get_or_none((Staff.id == form.get("assignee", type=int))
                                             & (Staff.office == case.office_id))
                if assignee is None:
                    raise DecisionError(_("Choose a colleague of this office."))
            decisions.claim(case, staff, version, assignee)
            message = _("The case is assigned.")
        elif action == "review":
            decisions.review_material(case, staff, form.get("material", ""),
                                      form.get("verdict", ""), form.get("reason", ""))
            audit.record("material_verdict", staff=staff, case=case, target=form.get("material", ""))
            return _done(case, _("Verdict saved."))
        elif action == "return":
            keys = form.getlist("materials")
            items = [(key, form.get(f"reason_{key}", "")) for key in keys]
            fresh = decisions.return_for_supplement(case, staff, version, items,
                                                    form.get("note", ""), form.get("due", ""))
            names = {m.key: localized(m.names, fresh.locale) for m in fresh.item.ordered_materials()}
            supplement = dict(fresh.supplement)
            supplement["items"] = [dict(i, name=names.get(i["material"], i["material"]))
                                   for i in supplement["items"]]
            notify(fresh, "returned", supplement=supplement, due=supplement["due"])
            message = _("The case went back to the applicant for corrections.")
        elif action == "accept":
            fresh = decisions.accept(case, staff, version)
            owed = [localized(s.material.names, fresh.locale)
                    for s in services.material_states(fresh) if s.deferred]
            notify(fresh, "accepted", due=fresh.due_date.isoformat(), deferred=owed,
                   deferred_due=fresh.deferred_due.isoformat() if fresh.deferred_due else "")
            message = _("Accepted.")
        elif action == "transfer":
            fresh = decisions.transfer(case, staff, version, form.get("department", ""),
                                       form.get("note", ""))
            department = Department.get_by_id(fresh.transferred_to_id)
            notify(fresh, "transferred", department=localized(department.names, fresh.locale))
            message = _("Passed to the department.")
        elif action == "transfer_back":
            decisions.transfer_back(case, staff, version, form.get("note", ""))
            message = _("Returned to the window with your result.")
        elif action == "approve":
            fresh = decisions.approve(case, staff, version, form.get("note", ""))
            notify(fresh, "approved")
            message = _("Approved.")
        elif action == "reject":
            reason = form.get("reason", "")
            fresh = decisions.reject(case, staff, version, reason)
            notify(fresh, "rejected", reason=reason.strip())
            message = _("Rejected.")
        elif action == "result":
            document = request.files.get("document")
            upload_id = None
            if document is not None and document.filename:
                upload_id = _store_result_document(case, document)
            fresh = decisions.record_result(case, staff, version, form.get("note", ""),
                                            upload_id=upload_id)
            notify(fresh, "result_ready", note=fresh.result["note"])
            message = _("Result recorded.")
        elif action == "deliver":
            fresh = decisions.deliver(case, staff, version, form.get("method", ""),
                                      form.get("tracking", ""), form.get("pickup_code", ""))
            notify(fresh, "delivered", method=fresh.delivery["method"],
                   tracking=fresh.delivery.get("tracking", ""),
                   pickup_code=fresh.delivery.get("pickup_code", ""))
            message = _("Delivery recorded.")
        elif action == "video":
            message = _record_video(case, staff)
        elif action == "close":
            decisions.close(case, staff, version)
            message = _("Closed.")
        elif action == "note":
            to_applicant = form.get("to_applicant") == "yes"
            decisions.add_note(case, staff, form.get("body", ""), to_applicant)
            if to_applicant:
                notify(case, "message", body=form.get("body", "").strip())
            message = _("Message sent.") if to_applicant else _("Note saved.")
        else:
            abort(404)
    except DecisionError as error:
        audit.record("decision_refused", staff=staff, case=case, target=action)
        return _refused(case, error)
    audit.record("decision", staff=staff, case=case, target=action)
    return _done(case, message)
