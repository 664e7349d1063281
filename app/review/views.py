"""The ``review`` blueprint, ``/staff/``: the clerks' queue, a case, and the decisions on it."""

from flask import (Blueprint, abort, flash, g, redirect, render_template, request, send_file,
                   url_for)
from flask_babel import get_locale, gettext as _
from werkzeug.datastructures import CombinedMultiDict

from .. import audit
from ..authz import staff, staff_case
from ..cases import commands, lifecycle
from ..cases.appointments import PARTICIPANTS, current_appointment, identity_confirmed
from ..cases.invites import meeting_url
from ..cases.journey import material_states
from ..clock import beijing_today, utcnow
from ..documents import service as documents
from ..documents.context import DOC_TYPES, PAGE_SIZES
from ..documents.views import pdf_download, render_failed
from ..fragments import page_or_fragment
from ..i18n import localized
from ..security import back_to
from ..models import (Appointment, Case, CaseNote, Department, Event, Item, ItemSpec,
                      MaterialReview, ServicePoint, Staff, Upload)
from ..models.cases import STAFF_ONLY_EVENTS
from ..points.clocks import clocks
from ..ratings.follow_page import case_ratings_context
from ..reasons import library as reason_library
from ..points.scans import SIGNED_KEYS, SIGNED_LABELS
from ..slowclients import body_limit
from ..uploads.service import path_for
from . import bulk, daysheet, queue as queues, refusals, workload as work

bp = Blueprint("review", __name__, url_prefix="/staff")


@bp.route("/")
@staff()
def home():
    """Staff home: the queue, or a volunteer's service-point desk."""
    if g.staff.role == "volunteer":
        return redirect(url_for("points.desk"), 303)
    return redirect(url_for("review.queue"), 303)


@bp.route("/queue")
@staff("queue")
def queue():
    """What waits, what is late, what came back; filters work as plain links."""
    filters = queues.parse_filters(request.args)
    cases, next_cursor, counts = queues.queue(g.staff, filters)
    return page_or_fragment("review/queue.html", "review/partial/queue_table.html",
                            cases=cases, next_cursor=next_cursor, counts=counts, filters=filters,
                            items=queues.item_names(cases), flags=queues.flags,
                            holders=queues.holder_names(cases),
                            colleagues=queues.holders(g.staff), page_only=_queue_page)


@bp.route("/queue/bulk", methods=["POST"])
@staff("decide")
def queue_bulk():
    """The ticked cases of the queue given to a clerk, or their packs in one PDF."""
    back = back_to(request.form.get("next"), "/staff/queue", url_for("review.queue"))
    action = request.form.get("action")
    if action not in ("assign", "packs"):
        abort(400)
    cases, unknown = bulk.chosen_cases(g.staff, request.form.getlist("case"))
    if not cases:
        flash(_("Tick at least one case of the list first."), "error")
    elif action == "packs":
        return _packs(cases)
    else:
        bulk.report(*bulk.assign(g.staff, cases, request.form.get("to", "")), unknown)
    return redirect(back, 303)


@bp.route("/workload")
@staff("accounts")
def workload():
    """Work in hand per clerk: who carries what, to rebalance from the queue."""
    return render_template("review/workload.html", loads=work.workload(g.staff))


def _packs(cases):
    try:
        data = bulk.packs(g.staff, cases)
    except documents.RenderError as error:
        return render_failed(error)
    return pdf_download(data, f"packs-{len(cases)}.pdf")


def _queue_page() -> dict:
    """What the whole queue page adds to its table: the filters' choices, the day's calls."""
    return {"video": _video_day(), "clocks": clocks(g.staff),
            "fresh": queues.new_transfers(g.staff),
            "departments": list(Department.select().where(
                Department.jurisdiction.in_(g.staff.scope_ids())).order_by(Department.sort)),
            "all_items": list(Item.select(Item.code, Item.names).join(Department).where(
                (Item.active == True)  # noqa: E712
                & Department.jurisdiction.in_(g.staff.scope_ids())).order_by(Item.sort)),
            "points": list(ServicePoint.select(ServicePoint.key, ServicePoint.city)
                           .order_by(ServicePoint.sort, ServicePoint.id))}


def _video_day() -> dict:
    """The day's video checks at the signed-in clerk's window (``?vday=`` moves the day)."""
    today = beijing_today()
    try:
        day = daysheet.parse_day(request.args.get("vday"), today)
    except daysheet.BadDay:
        day = today
    return daysheet.video_day(g.staff, day, today)


@bp.route("/day-sheet")
@staff("queue")
def day_sheet():
    """The shift's printable day sheet (``?day=YYYY-MM-DD``; today in Beijing by default):
    the day's video checks, the time limits due, the deferred materials owed."""
    typed = request.args.get("day", "")
    try:
        day = daysheet.parse_day(typed)
    except daysheet.BadDay as bad:
        return render_template("review/day_sheet.html", bad=bad, typed=typed[:40],
                               today=beijing_today()), 400
    sheet = daysheet.day_sheet(g.staff, day)
    daysheet.record_view(g.staff, sheet)
    return render_template("review/day_sheet.html", sheet=sheet, typed=day.isoformat(),
                           today=sheet["today"], now=utcnow(),
                           PARTICIPANT_LABELS=commands.PARTICIPANT_LABELS)


def _timeline(case) -> list:
    """The case's events for the window: its bookkeeping (answers saved, files added…) from
    the first submission on; how a draft was filled in is of no use at the window."""
    events = list(Event.timeline(case))
    sent = next((e.id for e in events if e.kind == "submitted"), None)
    return [e for e in events if e.kind not in STAFF_ONLY_EVENTS or (sent and e.id > sent)]


def _names(staff_ids) -> dict:
    """Staff names by id (people named in stored data, not linked by a foreign key)."""
    ids = {i for i in staff_ids if i}
    return {s.id: s.name for s in Staff.select(Staff.id, Staff.name).where(Staff.id.in_(ids))}


def _before_conversion(case) -> dict | None:
    """What a matter held before it became an application: its answers (with the old
    form's labels) and the files of materials the application does not list."""
    event = (Event.select().where((Event.case == case) & (Event.kind == "converted"))
             .order_by(Event.id.desc()).first())
    if event is None:
        return None
    old = Item.get_or_none(Item.code == event.data.get("from"))
    if old is None:
        return None
    spec = ItemSpec.of(old, event.data.get("from_version") or old.version)
    now = {f["key"] for s in case.spec.steps for f in s["fields"]}
    fields = [f for s in spec.steps for f in s["fields"] if f["key"] not in now]
    keys = {m.key for m in case.spec.ordered_materials()} | set(SIGNED_KEYS) | {"_recording"}
    files = [u for u in Upload.current(case) if u.material_key not in keys]
    return {"item": spec, "fields": fields, "files": files}


def case_context(case, refused=()) -> dict:
    """Everything the case page shows, with the form of each decision possible now (a
    refused one as it was posted: ``refused`` holds ``(action, form)`` pairs)."""
    video = None
    if case.needs_video_check or case.appointments.count():
        held = list(case.appointments.where(Appointment.status == "held")
                    .order_by(Appointment.id.desc()))
        current = current_appointment(case)
        video = {"needed": case.needs_video_check, "current": current,
                 "early": current is not None and utcnow() < current.starts_at,
                 "confirmed": identity_confirmed(case), "participants": PARTICIPANTS,
                 "history": held, "meeting": meeting_url, "recorders": _names(
                     (h.outcome or {}).get("staff_id") for h in held)}
    return dict(
        case=case, item=case.spec, video=video, states=material_states(case),
        events=_timeline(case),
        reviews=MaterialReview.latest(case), documents=documents.available(case),
        notes=list(CaseNote.for_case(case)),
        kept_files=list(Upload.current(case, SIGNED_KEYS + ["_recording"])),
        failed=refused[-1] if refused else None,
        SIGNED_LABELS=SIGNED_LABELS,
        forms=commands.forms_for(case, g.staff, refused), flags=queues.flags,
        undelivered=list(Event.undelivered(case)), before=_before_conversion(case),
        is_officer=g.staff.role == "officer", reasons=reason_library.for_case(case),
        explain=reason_library.explain, words_hint=_words_hint(case),
        **case_ratings_context(case))


def _words_hint(case) -> str:
    """What the clerk is told beside a reason in their own words: the applicant reads
    another language, so the words go as written (the standard reasons are translated)."""
    page = str(get_locale())
    if case.locale == page:
        return _("The applicant reads this as written.")
    return _("The applicant reads %(theirs)s: your words are sent as written, in %(yours)s. "
             "The standard reasons reach them in %(theirs)s.",
             theirs=reason_library.language_name(case.locale),
             yours=reason_library.language_name(page))


@bp.route("/cases/<reference>")
@staff_case("case")
def case_view(case):
    """Everything about one case, and the decisions possible now (with a refused one
    as the clerk typed it, the once after the refusal)."""
    audit.record("case_view", staff=g.staff, case=case)
    lifecycle.opened_by_department(case, g.staff)
    return render_template("review/case.html", **case_context(case, refusals.take(case)))


@bp.route("/cases/<reference>/files/<int:upload_id>")
@staff_case("case")
def case_file(case, upload_id):
    """A material file: inline for an image preview, otherwise as a download."""
    found = Upload.current(case).where(Upload.id == upload_id).first()
    if found is None or not path_for(found.stored_name).exists():
        abort(404)
    inline = request.args.get("preview") == "1" and found.content_type == "image/jpeg"
    if not (inline and audit.viewed_lately(g.staff, case)):
        audit.record("file_preview" if inline else "file_download", staff=g.staff, case=case,
                     target=f"{found.material_key}/{found.id}")
    response = send_file(path_for(found.stored_name), mimetype=found.content_type,
                         as_attachment=not inline, download_name=found.original_name,
                         max_age=0, etag=False, conditional=False)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.route("/cases/<reference>/documents/<doc_type>.pdf")
@staff_case("case")
def case_document(case, doc_type):
    """A document of the case (each download is an audit event)."""
    size = request.args.get("size", "a4")
    if doc_type not in DOC_TYPES or size not in PAGE_SIZES:
        abort(404)
    try:
        # An account above the counties changes nothing: it reads what was issued.
        issued = (documents.issued(case, doc_type, size) if g.staff.read_only
                  else documents.issue(case, doc_type, size))
    except documents.NotAvailable:
        abort(404)
    except documents.RenderError as error:
        return render_failed(error)
    audit.record("document_download", staff=g.staff, case=case, target=f"{doc_type}/{issued.code}")
    return pdf_download(documents.document_path(issued), f"{case.reference}-{doc_type}.pdf")


@bp.route("/cases/<reference>/audit")
@staff_case("audit")
def case_audit(case):
    """Who saw and did what on this case."""
    return render_template("review/audit.html", case=case, events=audit.trail(case))


@bp.route("/cases/<reference>/decide/<action>", methods=["POST"])
@body_limit(lambda args, config: (config["RECORDING_MAX_MB"] + 1) * 1024 * 1024
            if args.get("action") == "video" else None)
@staff_case("decide")
def decide(case, action):
    """Carry out one decision; a refused one goes back to the case page, which shows it
    with what was typed."""
    command = commands.COMMANDS.get(action) or abort(404)
    if not command.permitted(g.staff, case):
        abort(403)
    form = command.form(case, CombinedMultiDict((request.files, request.form)))
    try:
        messages = commands.run(command, case, g.staff, form)
    except commands.Refused:
        return refusals.hold(case, action, form)
    except documents.RenderError as error:
        return render_failed(error, done=_("The decision is saved. The letter it issues will be "
                                           "made when it is next opened."),
                             back=url_for("review.case_view", reference=case.reference))
    for message, category in messages:
        flash(message, category)
    if Case.for_staff(g.staff, case.reference) is None:
        # The decision sent the case to another window (a matter became an application).
        flash(_("%(reference)s is now with %(office)s.", reference=case.reference,
                office=localized(Case.get_by_id(case.id).holder.names)), "info")
        return redirect(url_for("review.queue"), 303)
    return redirect(url_for("review.case_view", reference=case.reference), 303)
