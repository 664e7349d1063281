"""Staff decisions on a case, each a small command: its form, its checks, the change
(through :mod:`.lifecycle`) and the email it causes (recorded with the change).

A command's form is built for one case (the materials, departments and
delivery methods it offers are the case's). :func:`run` validates it and
applies the command, or raises :class:`Refused` with the form's errors in
place, so the page can show again what the clerk typed.
"""

import secrets
from datetime import date
from types import SimpleNamespace

from flask import current_app, g
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from wtforms import (BooleanField, FileField, HiddenField, RadioField, SelectField,
                     TextAreaField)
from wtforms.validators import ValidationError

from .. import audit
from ..clock import beijing_today, utcnow
from ..documents.context import commitment_due
from ..documents.service import issue
from ..forms import (Asked, Check, Form, MultiCheckboxField, Needed, TrimmedString, options,
                     to_int)
from ..i18n import localized, on_record
from ..models import CaseNote, Department, Item, Jurisdiction, MaterialReview, Staff
from ..models.base import after_commit, together
from ..models.cases import OTHER_MATTER
from ..reasons import library as reason_library
from ..uploads.service import StoredFiles, UploadError, read_limited, store, store_recording
from . import lifecycle
from .appointments import SlotError, current_appointment, identity_confirmed
from .appointments import record_outcome
from .journey import home_office, material_states
from ..templating import format_when
from .labels import STAFF_DELIVERY_LABELS
from .workdays import add_working_days

DELIVERY_METHODS = ("courier", "agent_pickup", "electronic", "self_pickup")
MAX_TEXT = 2000


class Refused(Exception):
    """The command was not carried out; the form holds the reasons."""


def _stale_message(error: lifecycle.TransitionError) -> str:
    if error.reason == "stale":
        return _("Someone changed this case a moment ago. Look at the latest state below and "
                 "decide again.")
    return _("This decision is not possible in the case's current state.")


def _reason_checks():
    return [Needed(_l("Give a reason: the applicant will read it.")),
            Check(lambda v: len(v or "") <= MAX_TEXT,
                  _l("Keep the reason to 2,000 characters or fewer."))]


def _future_date(_form, field):
    try:
        value = date.fromisoformat((field.data or "").strip())
    except ValueError:
        raise ValidationError(_("Enter the due date as year-month-day.")) from None
    if value <= beijing_today():
        raise ValidationError(_("The due date must be after today."))
    field.clean = value


class DecisionForm(Form):
    """Every decision carries the case version the clerk saw."""

    version = HiddenField()

    def seen_version(self) -> int:
        """The version the page showed (-1 when missing: always stale)."""
        return to_int(self.version.data)


class Command:
    """One decision. Subclasses set the form and implement :meth:`apply`."""

    #: The path segment of the decision's URL and its name in the audit trail.
    name = ""
    #: Whether a department officer may take it while the case is with them.
    officer = False
    #: Whether it writes the version the clerk saw (else the one just read).
    versioned = True
    #: Message shown once done.
    done = _l("Saved.")
    #: What the audit trail calls it.
    audit_action = "decision"
    form_class = DecisionForm

    def permitted(self, staff, case) -> bool:
        """Officers act only while the case is with their department; others never
        take an officer's action; an account above the counties takes none."""
        if staff.read_only:
            return False
        if staff.role == "officer":
            return (self.officer and case.is_transferred
                    and case.transferred_to_id == staff.department_id)
        return self.name != "transfer_back"

    def available(self, case) -> bool:
        """Whether the page offers it for the case as it is."""
        return True

    def form_class_for(self, case) -> type:
        """The form class for ``case`` (the same for every case unless said otherwise)."""
        return self.form_class

    def unavailable(self) -> str:
        """Why the command is refused when it is not possible for the case now."""
        return _("This decision is not possible in the case's current state.")

    def form(self, case, formdata=None, **kwargs) -> Form:
        """The command's form for ``case`` (with the posted data, when given)."""
        form = self.form_class_for(case)(formdata=formdata, **kwargs)
        if formdata is None and "version" in form:
            form.version.data = case.version
        self.prepare(form, case)
        return form

    def prepare(self, form, case) -> None:
        """Fill the case's choices into the form."""

    def apply(self, case, staff, form):
        """Carry the command out; return the done message (or None for :attr:`done`)."""
        raise NotImplementedError

    def change(self, case, staff, form, **kwargs):
        """One lifecycle change by ``staff`` with the version the form carried; a clerk
        acting on a case nobody holds takes it (see :func:`takes_case`)."""
        if self.versioned and "version" in form:
            kwargs.setdefault("expected_version", form.seen_version())
        changes = kwargs["changes"] = dict(kwargs.get("changes") or {})
        if "assigned_to" not in changes and takes_case(staff, case):
            changes["assigned_to"] = staff.id
        return lifecycle.change(case, actor="staff", staff=staff, **kwargs)


def takes_case(staff, case) -> bool:
    """Whether ``staff`` comes to hold ``case`` by acting on it: a clerk or supervisor of
    its office, when nobody holds it. A case someone holds stays theirs until it is given
    to another (the claim command, one case or many from the queue)."""
    return (case.assigned_to_id is None and staff.role in ("clerk", "supervisor")
            and staff.office_id is not None and staff.office_id == case.office_id)


# -- The commands ------------------------------------------------------------------------

class ClaimForm(DecisionForm):
    """Who takes the case: the clerk, or a colleague of the office."""

    assignee = SelectField(_l("Clerk"), choices=[], validate_choice=False, validators=[Asked()])


class Claim(Command):
    """Take the case, or give it to a colleague of the same office."""

    name, form_class, done = "claim", ClaimForm, _l("The case is assigned.")

    def available(self, case):
        return case.is_assignable

    def prepare(self, form, case):
        form.assignee.choices = options([("", _("Me"))]
                                        + [(c.id, c.name) for c in _colleagues(case)])

    def apply(self, case, staff, form):
        target = staff
        if form.assignee.data:
            target = _colleagues(case).where(Staff.id == to_int(form.assignee.data)).first()
            if target is None:
                form.assignee.errors.append(_("Choose a colleague of this office."))
                raise Refused()
        self.change(case, staff, form, kind="claimed", data={"staff": target.id},
                    changes={"assigned_to": target.id})


def _colleagues(case):
    """The active clerks and supervisors of the case's office (who may be given it)."""
    return Staff.holders_in([case.office_id])


class ReasonsField(MultiCheckboxField):
    """The standard reasons ticked for one material. What was posted is kept as it is:
    the command says which reason it cannot take, and why."""

    def pre_validate(self, form):
        self.data = [str(value) for value in (self.data or []) if str(value).strip()]


def _reason_choices(field, reasons: dict, material_key: str) -> None:
    field.choices = options((r.key, localized(r.texts))
                            for r in reason_library.offered(reasons, material_key))


def _given_reasons(chosen, words, reasons: dict, material_key: str) -> dict | None:
    """One material's reasons as stored: the standard reasons' keys, the clerk's own words
    and the language they were written in (the page's). Errors go on the fields; None
    when there are any."""
    for key in chosen.data or []:
        reason = reasons.get(key)
        if reason is None:
            chosen.errors.append(_("One of the standard reasons chosen does not exist (any "
                                   "more). Choose again from the list."))
        elif not reason.active:
            chosen.errors.append(_("The standard reason “%(reason)s” was switched off by an "
                                   "admin. Choose another.", reason=localized(reason.texts)))
        elif not reason_library.applies(reason, material_key):
            chosen.errors.append(_("The standard reason “%(reason)s” is not one for this "
                                   "material. Choose another.", reason=localized(reason.texts)))
    text = (words.data or "").strip()
    if len(text) > MAX_TEXT:
        words.errors.append(_("Keep the reason to 2,000 characters or fewer."))
    if not chosen.data and not text:
        words.errors.append(_("Choose a standard reason or write what is wrong: the applicant "
                              "will read it."))
    if chosen.errors or words.errors:
        return None
    return {"material": material_key, "reasons": list(dict.fromkeys(chosen.data or [])),
            "reason": text, "lang": str(get_locale()) if text else ""}


def _words_warning(case, given: list[dict]) -> list[tuple[str, str]]:
    """A note to the clerk whose own words go to an applicant who reads another language."""
    if any(entry["reason"] for entry in given) and case.locale != str(get_locale()):
        return [(_("Your own words were sent as written, in %(yours)s; the applicant reads "
                   "%(theirs)s. The standard reasons reach them in %(theirs)s.",
                   yours=reason_library.language_name(str(get_locale())),
                   theirs=reason_library.language_name(case.locale)), "warn")]
    return []


class ReviewForm(Form):
    """A verdict on one material, with what is wrong when it needs correcting."""

    material = HiddenField()
    verdict = RadioField(_l("Verdict"), choices=options([("accepted", _l("Accepted")),
                                                         ("correction", _l("Needs correction"))]),
                         validate_choice=False, validators=[Asked()])
    reasons = ReasonsField(_l("Standard reasons (the applicant reads them in their language)"),
                           choices=[])
    reason = TrimmedString(_l("In your own words (the applicant reads them as written)"),
                           max_chars=10_000)


class Review(Command):
    """Accept a material, or mark it as needing correction (the applicant reads why)."""

    name, form_class, versioned, done = "review", ReviewForm, False, _l("Verdict saved.")
    audit_action = "material_verdict"

    def available(self, case):
        return case.is_reviewable

    def prepare(self, form, case):
        _reason_choices(form.reasons, reason_library.for_case(case), form.material.data or "")

    def apply(self, case, staff, form):
        keys = {state.material.key for state in material_states(case)}
        if form.material.data not in keys or form.verdict.data not in {"accepted", "correction"}:
            form.verdict.errors.append(_("Choose a material and a verdict."))
            raise Refused()
        given = {"reasons": [], "reason": (form.reason.data or "")[:MAX_TEXT], "lang": ""}
        if form.verdict.data == "correction":
            given = _given_reasons(form.reasons, form.reason, reason_library.for_case(case),
                                   form.material.data)
            if given is None:
                raise Refused()
        self.change(case, staff, form, kind="material_reviewed",
                    within=lambda: MaterialReview.create(
                        case=case, material_key=form.material.data, verdict=form.verdict.data,
                        reason=given["reason"], reason_keys=given["reasons"],
                        reason_lang=given["lang"], staff=staff.id, created_at=utcnow()),
                    data={"material": form.material.data, "verdict": form.verdict.data})
        return [(str(self.done), "info")] + (
            _words_warning(case, [given]) if form.verdict.data == "correction" else [])


def return_form_class(keys: list[str]):
    """The return form of an item: standard reasons and a reason in the clerk's own words
    for each of its materials."""
    attrs = {}
    for key in keys:
        attrs[f"reasons_{key}"] = ReasonsField(_l("Standard reasons"), choices=[])
        attrs[f"reason_{key}"] = TrimmedString(_l("What is wrong"), max_chars=10_000)
    attrs.update(
        materials=MultiCheckboxField(_l("Materials to fix"), choices=[], validators=[Asked()]),
        note=TextAreaField(_l("Message to the applicant")),
        due=TrimmedString(_l("Due date"), validators=[Asked(), _future_date],
                          render_kw={"type": "date"}))
    return type("ReturnForm", (DecisionForm,), attrs)


class Return(Command):
    """Send the case back for corrections (补正): what to fix, why, and by when."""

    name, done = "return", _l("The case went back to the applicant for corrections.")

    def available(self, case):
        return case.can("return")

    def form_class_for(self, case):
        return return_form_class([s.material.key for s in material_states(case)])

    def prepare(self, form, case):
        states = material_states(case)
        form.materials.choices = options((s.material.key,
                                          localized(on_record(s.material, "names")))
                                         for s in states)
        reasons = reason_library.for_case(case)
        for state in states:
            key, name = state.material.key, localized(on_record(state.material, "names"))
            _reason_choices(form[f"reasons_{key}"], reasons, key)
            # Named after their material, in the error summary too.
            form[f"reasons_{key}"].label.text = _("Standard reasons: %(material)s", material=name)
            form[f"reason_{key}"].label.text = _("In your own words: %(material)s",
                                                 material=name)
        if form.materials.raw_data is None:
            # A fresh form starts from the verdicts already given.
            wanting = {r.material_key: r for r in MaterialReview.latest(case).values()
                       if r.verdict == "correction"}
            form.materials.data = list(wanting)
            for key, review in wanting.items():
                form[f"reason_{key}"].data = review.reason
                form[f"reasons_{key}"].data = list(review.reason_keys or [])

    def apply(self, case, staff, form):
        if not form.materials.data:
            form.materials.errors.append(_("Choose at least one material the applicant must "
                                           "fix, with what is wrong."))
        reasons = reason_library.for_case(case)
        items = [_given_reasons(form[f"reasons_{key}"], form[f"reason_{key}"], reasons, key)
                 for key in form.materials.data]
        if any(field.errors for field in form):
            raise Refused()
        supplement = {"items": items, "note": (form.note.data or "").strip()[:MAX_TEXT],
                      "due": form.due.clean.isoformat(), "asked_at": utcnow().isoformat()}
        self.change(case, staff, form, action="return", note=supplement["note"] or None,
                    data=supplement, changes={"supplement": supplement}, notify=["applicant"])
        return [(str(self.done), "info")] + _words_warning(case, items)


class Accept(Command):
    """Accept (受理); with deferred materials (容缺受理) the commitment letter is issued."""

    name, done = "accept", _l("Accepted.")

    def available(self, case):
        return case.can("accept")

    def apply(self, case, staff, form):
        if case.needs_video_check and not identity_confirmed(case):
            # The item's flag holds for every case of it, not only entrusted ones.
            form.form_errors.append(_(
                "An entrustment can only be accepted after a video check has confirmed the "
                "applicant and the agent. Record the video check first.")
                if case.is_entrusted else _(
                "This service is accepted only after a video check has confirmed the "
                "applicant's identity. Record the video check first."))
            raise Refused()
        today = beijing_today()
        due, _exact = add_working_days(today, case.spec.time_limit_days)
        now = utcnow()
        changes = {"accepted_at": now, "due_date": due, "queued_at": now}
        data = {"due_date": due.isoformat()}
        deferred = [s.material.key for s in material_states(case) if s.deferred]
        if deferred:
            owed, _exact2, _final = commitment_due(case)
            changes["deferred_due"] = owed
            data.update({"deferred": deferred, "deferred_due": owed.isoformat()})
        accepted = self.change(case, staff, form, action="accept", data=data, changes=changes,
                               notify=["applicant"]).case
        if deferred:
            # Accepted with deferred materials (容缺受理): the commitment letter is issued
            # once the acceptance has committed (not while its transaction is open); a
            # render failure leaves the case accepted (503 page).
            after_commit(lambda: issue(accepted, "commitment"))


class TransferForm(DecisionForm):
    """The department to pass the case to, and a note for its officers."""

    department = SelectField(_l("Department"), choices=[], validate_choice=False,
                             validators=[Asked()])
    note = TextAreaField(_l("Note for the department"), validators=_reason_checks())


class Transfer(Command):
    """Pass the case to the department responsible (流转)."""

    name, form_class, done = "transfer", TransferForm, _l("Passed to the department.")

    def available(self, case):
        return case.can("transfer")

    def prepare(self, form, case):
        """The departments of the case's county first, then every other county's: a case
        may be passed point to point to the county responsible (就近办)."""
        rows = (Department.select(Department, Jurisdiction).join(Jurisdiction)
                .order_by(Jurisdiction.sort, Department.sort, Department.id))
        form.department.choices = options(
            (d.key, label) for d, label in _county_first(case, rows, lambda d: d.jurisdiction,
                                                         name_home=False))
        if form.department.data is None:
            form.department.data = case.item.department.key

    def apply(self, case, staff, form):
        department = Department.get_or_none(Department.key == form.department.data)
        if department is None:
            form.department.errors.append(_("Choose the department to pass the case to."))
            raise Refused()
        self.change(case, staff, form, action="transfer", note=form.note.data.strip(),
                    data={"department": department.key},
                    changes={"transferred_to": department.id, "queued_at": utcnow(),
                             "transfer_opened_at": None},
                    notify=["applicant"])


class TransferBackForm(DecisionForm):
    """The department's result or remarks for the window."""

    note = TextAreaField(_l("Your result or remarks"), validators=_reason_checks())


class TransferBack(Command):
    """The department returns its result to the window (back in the queue)."""

    name, officer, form_class = "transfer_back", True, TransferBackForm
    done = _l("Returned to the window with your result.")

    def available(self, case):
        return case.can("transfer_back")

    def apply(self, case, staff, form):
        self.change(case, staff, form, action="transfer_back", note=form.note.data.strip(),
                    changes={"queued_at": utcnow()})


class ApproveForm(DecisionForm):
    """An optional note with the approval."""

    note = TrimmedString(_l("Note"), max_chars=MAX_TEXT)


class Approve(Command):
    """Approve the application."""

    name, officer, form_class, done = "approve", True, ApproveForm, _l("Approved.")

    def available(self, case):
        return case.can("approve")

    def apply(self, case, staff, form):
        _nothing_owed(case, form)
        self.change(case, staff, form, action="approve", note=form.note.data or None,
                    changes={"queued_at": utcnow()}, notify=["applicant"])


def _nothing_owed(case, form) -> None:
    """Materials promised for later (容缺) block approval and the result until they arrive,
    or a supervisor waives them: a result must not go out on a promise."""
    if not case.deferred:
        return
    names = [localized(on_record(s.material, "names"))
             for s in material_states(case) if s.deferred]
    form.form_errors.append(_(
        "Materials promised for later have not arrived yet: %(materials)s. Decide once they "
        "are in, or ask a supervisor to waive them.", materials=", ".join(names)))
    raise Refused()


class WaiveForm(DecisionForm):
    """Why the promised materials are no longer needed."""

    reason = TextAreaField(_l("Why they are no longer needed (kept in the case's record)"),
                           validators=_reason_checks())


class Waive(Command):
    """A supervisor waives materials promised for later, with a reason (audited)."""

    name, form_class, done = "waive", WaiveForm, _l("The promised materials are waived.")

    def permitted(self, staff, case) -> bool:
        return staff.role == "supervisor" and not staff.read_only

    def available(self, case):
        return case.owes_deferred

    def apply(self, case, staff, form):
        self.change(case, staff, form, kind="deferred_waived", note=form.reason.data.strip(),
                    data={"materials": list(case.deferred)},
                    changes={"deferred": [], "deferred_due": None,
                             "deferred_waived_at": utcnow()})


class RejectForm(DecisionForm):
    """The reason of a rejection (the applicant reads it)."""

    reason = TextAreaField(_l("Reason (the applicant reads this)"), validators=_reason_checks())


class Reject(Command):
    """Reject, always with a reason the applicant reads."""

    name, officer, form_class, done = "reject", True, RejectForm, _l("Rejected.")

    def available(self, case):
        return case.can("reject")

    def apply(self, case, staff, form):
        self.change(case, staff, form, action="reject", note=form.reason.data.strip(),
                    notify=["applicant"])


class ResultForm(DecisionForm):
    """What was issued, and optionally the result document itself."""

    note = TextAreaField(_l("The result (document number, what was issued)"),
                         validators=_reason_checks())
    document = FileField(_l("Result document"),
                         render_kw={"accept": "application/pdf,image/jpeg,image/png"})


class Result(Command):
    """The result exists: a note describing it, and optionally the document."""

    name, form_class, done = "result", ResultForm, _l("Result recorded.")

    def available(self, case):
        return case.can("result_ready")

    def apply(self, case, staff, form):
        _nothing_owed(case, form)
        document = form.document.data
        stored = None
        if document is not None and getattr(document, "filename", ""):
            slot = SimpleNamespace(key="_result", formats=["pdf", "jpeg", "png"])
            try:
                data = read_limited(document.stream, current_app.config["UPLOAD_MAX_BYTES"])
            except UploadError as error:
                form.document.errors.append(str(error))
                raise Refused() from None
            stored = (slot, data, document.filename)
        text = form.note.data.strip()
        result = {"note": text, "at": utcnow().isoformat(), "upload": None}
        if case.agent_code_issued and "agent_pickup" in case.delivery_methods:
            # The agent sees this code on their page and shows it at the window.
            result["pickup_code"] = f"{secrets.randbelow(10**6):06d}"

        def within():
            if stored is None:
                return None
            upload = kept(store(case, *stored))
            result["upload"] = upload.id
            return upload

        try:
            with StoredFiles() as kept:
                self.change(case, staff, form, action="result_ready", note=text, within=within,
                            changes={"result": result},
                            data=lambda u: {"upload": u.id if u else None}, notify=["applicant"])
        except UploadError as error:
            form.document.errors.append(str(error))
            raise Refused() from None


class DeliverForm(DecisionForm):
    """How the result reached the applicant."""

    method = SelectField(_l("How"), choices=[], validate_choice=False, validators=[Asked()])
    tracking = TrimmedString(_l("Courier tracking number"), max_chars=60)
    pickup_code = TrimmedString(_l("Pickup code the agent shows"), max_chars=20,
                                validators=[Asked()],
                                render_kw={"inputmode": "numeric", "autocomplete": "off"})


class Deliver(Command):
    """Record delivery: courier (tracking number), the agent (pickup code), electronic."""

    name, form_class, done = "deliver", DeliverForm, _l("Delivery recorded.")

    def available(self, case):
        return case.can("deliver")

    def prepare(self, form, case):
        # Only the ways open to this applicant (their relative only when one is entrusted
        # to collect), preselecting the one their choices point to.
        form.method.choices = options((m, STAFF_DELIVERY_LABELS[m]) for m in case.delivery_methods)
        if not form.method.data:
            form.method.data = case.default_delivery
        if not (case.result or {}).get("pickup_code"):
            del form.pickup_code

    def apply(self, case, staff, form):
        method = form.method.data
        if method not in DELIVERY_METHODS or method not in case.delivery_methods:
            form.method.errors.append(_("Choose a delivery method this service offers."))
            raise Refused()
        delivery = {"method": method}
        if method == "courier":
            if not form.tracking.data:
                form.tracking.errors.append(_("Enter the courier's tracking number."))
                raise Refused()
            delivery["tracking"] = form.tracking.data
        if method == "agent_pickup":
            delivery["pickup_code"] = self._pickup_code(case, form)
        self.change(case, staff, form, action="deliver", data=delivery,
                    changes={"delivery": delivery}, notify=["applicant"])

    @staticmethod
    def _pickup_code(case, form) -> str:
        expected = (case.result or {}).get("pickup_code")
        if not expected:
            return f"{secrets.randbelow(10**6):06d}"
        shown = "".join(ch for ch in (form.pickup_code.data or "") if ch.isdigit())
        if not secrets.compare_digest(shown, expected):
            form.pickup_code.errors.append(_("Enter the pickup code the agent shows; this one "
                                             "does not match."))
            raise Refused()
        return expected


class Close(Command):
    """Close a delivered or rejected case."""

    name, done = "close", _l("Closed.")

    def available(self, case):
        return case.can("close")

    def apply(self, case, staff, form):
        self.change(case, staff, form, action="close")


class MessageForm(Form):
    """An internal note, or a message the applicant is emailed."""

    body = TextAreaField(_l("Note"), validators=[Needed(_l("Write the note first."))])
    to_applicant = BooleanField(_l("Send to the applicant (by email, in their language)"))


class Note(Command):
    """An internal note, or a message to the applicant (by email, in their language)."""

    name, officer, form_class, versioned = "note", True, MessageForm, False

    def apply(self, case, staff, form):
        text = form.body.data.strip()[:4000]
        to_applicant = bool(form.to_applicant.data)
        # A message is on the applicant's timeline and in their email; an internal note's
        # text stays in the notes (the timeline says only that one was written).
        self.change(case, staff, form, kind="message" if to_applicant else "note",
                    note=text if to_applicant else None,
                    notify=["applicant"] if to_applicant else (),
                    within=lambda: CaseNote.create(case=case, staff=staff.id, body=text,
                                                   to_applicant=to_applicant,
                                                   created_at=utcnow()))
        return _("Message sent.") if to_applicant else _("Note saved.")


PARTICIPANT_LABELS = {"applicant": _l("The applicant"), "agent": _l("The entrusted agent"),
                      "volunteer": _l("A volunteer of the service point"),
                      "interpreter": _l("An interpreter")}


class VideoForm(DecisionForm):
    """The outcome of a video identity check."""

    identity = RadioField(_l("Identity"), choices=options([
        ("confirmed", _l("Confirmed: the person matches the passport or ID card")),
        ("not_confirmed", _l("Not confirmed"))]), validate_choice=False, validators=[Asked()])
    participants = MultiCheckboxField(_l("Who took part"), choices=options(
        PARTICIPANT_LABELS.items()), default=["applicant"], validators=[Asked()])
    agent_confirmed = BooleanField(_l("The agent was identified and confirmed the entrustment"))
    note = TrimmedString(_l("Note"), max_chars=MAX_TEXT)
    recording = FileField(_l("Recording of the video check"),
                          description=_l("MP4, WebM, Ogg or MP3"),
                          render_kw={"accept": "video/*,audio/*"})
    early_reason = TrimmedString(
        _l("Why record it before the booked time"), max_chars=500,
        description=_l("Only a supervisor may record an outcome before the slot starts (the "
                       "call was held earlier, say). The reason is kept with the outcome, and "
                       "the audit trail records who did it."))


class Video(Command):
    """Record the booked video check; an agent code is issued once both are confirmed."""

    name, form_class = "video", VideoForm

    def available(self, case):
        return current_appointment(case) is not None

    def prepare(self, form, case):
        if not case.is_entrusted:
            del form.agent_confirmed
        appointment, staff = current_appointment(case), g.get("staff")
        if not (appointment is not None and utcnow() < appointment.starts_at
                and staff is not None and staff.role == "supervisor"):
            del form.early_reason

    def unavailable(self) -> str:
        return _("No video check is booked for this case.")

    @staticmethod
    def _not_before_the_slot(starts_at, staff, form) -> str | None:
        """An outcome is recorded from the slot's start; before it, only by a supervisor
        with a reason (audited). Returns that reason, or None when the slot has started."""
        if utcnow() >= starts_at:
            return None
        if staff.role != "supervisor" or "early_reason" not in form:
            form.form_errors.append(_(
                "This video check starts at %(when)s. Its outcome can be recorded from then "
                "on.", when=format_when(starts_at)))
            raise Refused()
        if not form.early_reason.data:
            form.early_reason.errors.append(_("Say why the outcome is recorded before the "
                                              "booked time."))
            raise Refused()
        return form.early_reason.data

    def apply(self, case, staff, form):
        confirmed = self._check(form)
        appointment = current_appointment(case)
        early = self._not_before_the_slot(appointment.starts_at, staff, form)
        agent_confirmed = "agent_confirmed" in form and bool(form.agent_confirmed.data)
        file = form.recording.data
        keep = None
        if file is not None and getattr(file, "filename", ""):
            limit = current_app.config["RECORDING_MAX_MB"] * 1024 * 1024
            keep = lambda: kept(store_recording(case, file.stream, file.filename, limit))  # noqa: E731
        try:
            with StoredFiles() as kept:
                _fresh, code = record_outcome(
                    case, appointment, staff, confirmed=confirmed,
                    participants=form.participants.data, agent_confirmed=agent_confirmed,
                    note=form.note.data, keep_recording=keep,
                    expected_version=form.seen_version(), early_reason=early)
        except SlotError:
            form.form_errors.append(_("This video check was already recorded or cancelled."))
            raise Refused() from None
        except UploadError as error:
            form.recording.errors.append(str(error))
            raise Refused() from None
        if early:
            audit.record("video_recorded_early", staff=staff, case=case,
                         data={"slot": appointment.starts_at.isoformat()})
        done = [(_("Video check recorded: identity confirmed.") if confirmed else
                 _("Video check recorded: identity not confirmed. The applicant can book again."),
                 "info")]
        if code:
            done.append((_("Agent's code for %(name)s: %(code)s. Tell the agent now: it is shown "
                           "only once, and the applicant received it by email.",
                           name=(case.entrustment or {}).get("agent_name_zh", ""), code=code),
                         "code"))
        return done

    @staticmethod
    def _check(form) -> bool:
        verdict = form.identity.data
        if verdict not in ("confirmed", "not_confirmed"):
            form.identity.errors.append(_("Say whether the video check confirmed the "
                                          "applicant's identity."))
            raise Refused()
        participants = form.participants.data
        if verdict == "confirmed" and "applicant" not in participants:
            form.participants.errors.append(_("The applicant must take part for their identity "
                                              "to be confirmed."))
            raise Refused()
        if "agent_confirmed" in form and form.agent_confirmed.data \
                and "agent" not in participants:
            form.agent_confirmed.errors.append(_("The agent can only be confirmed if they took "
                                                 "part in the call."))
            raise Refused()
        return verdict == "confirmed"


class ConvertForm(DecisionForm):
    """The catalog item a matter turns out to be, and what the applicant is asked."""

    item = SelectField(_l("The service it is"), choices=[], validate_choice=False,
                       validators=[Asked()])
    note = TextAreaField(_l("Message to the applicant"), validators=[
        Needed(_l("Tell the applicant what the service is and what to add.")),
        Check(lambda v: len(v or "") <= MAX_TEXT,
              _l("Keep the message to 2,000 characters or fewer."))])
    due = TrimmedString(_l("Due date"), validators=[Asked(), _future_date],
                        render_kw={"type": "date"})


class Convert(Command):
    """Another matter becomes an application for a catalog item: everything sent is kept,
    and the applicant is asked only for what the item needs beyond it."""

    name, form_class = "convert", ConvertForm
    done = _l("The matter is now an application for the service. The applicant was asked to "
              "complete it.")

    def available(self, case):
        return case.is_other_matter and case.can("convert")

    def prepare(self, form, case):
        form.item.choices = options([("", _("Choose…"))] + [
            (item.code, label) for item, label in _catalog_choices(case)])

    def apply(self, case, staff, form):
        item = Item.active_by_code(form.item.data or "")
        if item is None or item.kind == OTHER_MATTER:
            form.item.errors.append(_("Choose the service from the list."))
            raise Refused()
        office = home_office(item)
        supplement = {"items": [], "note": form.note.data.strip()[:MAX_TEXT],
                      "due": form.due.clean.isoformat(), "asked_at": utcnow().isoformat(),
                      "converted_from": case.spec.code}
        self.change(case, staff, form, action="convert", note=supplement["note"],
                    data={"from": case.spec.code, "from_version": case.item_version,
                          "to": item.code},
                    changes={"item": item.id, "item_version": item.version,
                             "office": office.id if office else case.office_id,
                             "supplement": supplement, "assigned_to": None,
                             "deferred": []},
                    notify=["applicant"])


def _catalog_choices(case):
    """Every active catalog item (not another matter), the case's county first, each
    named with its county."""
    rows = (Item.select(Item, Department, Jurisdiction).join(Department).join(Jurisdiction)
            .where((Item.active == True) & (Item.kind != OTHER_MATTER))  # noqa: E712
            .order_by(Jurisdiction.sort, Item.sort))
    return _county_first(case, rows, lambda i: i.department.jurisdiction)


def _county_first(case, rows, county_of, name_home: bool = True) -> list[tuple]:
    """``(row, label)`` with the rows of the case's county first; the label is the row's
    name after its county's ("Qingtian County · …"), the case's own county left out
    unless ``name_home``."""
    home = case.office.jurisdiction_id if case.office_id else None
    labelled = []
    for row in sorted(rows, key=lambda r: county_of(r).id != home):
        place = county_of(row)
        own = place.id == home and not name_home
        labelled.append((row, localized(row.names) if own
                         else f"{localized(place.names)} · {localized(row.names)}"))
    return labelled


class AnswerForm(DecisionForm):
    """The window's answer to a matter (the applicant reads it)."""

    answer = TextAreaField(_l("Your answer (the applicant reads this)"), validators=[
        Needed(_l("Write the answer: the applicant will read it.")),
        Check(lambda v: len(v or "") <= MAX_TEXT,
              _l("Keep the answer to 2,000 characters or fewer."))])


class Answer(Command):
    """Answer a matter that needs no application: the case closes with the answer."""

    name, form_class, done = "answer", AnswerForm, _l("Answered. The applicant was told.")

    def available(self, case):
        return case.is_other_matter and case.can("answer")

    def apply(self, case, staff, form):
        self.change(case, staff, form, action="answer", note=form.answer.data.strip(),
                    notify=["applicant"])


COMMANDS = {command.name: command for command in (
    Claim(), Review(), Return(), Accept(), Transfer(), TransferBack(), Approve(), Reject(),
    Result(), Deliver(), Close(), Note(), Video(), Convert(), Answer(), Waive())}


def run(command: Command, case, staff, form) -> list[tuple[str, str]]:
    """Validate ``form`` and carry ``command`` out; return the messages to show, as
    ``(text, category)``. Every decision, refused or not, is an audit event.

    Raises :class:`Refused` (the form then holds the reasons, and its version
    is the case's latest, so that the clerk can decide again).
    """
    try:
        # The decision and its audit record commit together.
        with together():
            outcome = _carry_out(command, case, staff, form)
            target = form.material.data if command.name == "review" else command.name
            audit.record(command.audit_action, staff=staff, case=case, target=target)
    except Refused:
        audit.record("decision_refused", staff=staff, case=case, target=command.name)
        raise
    if isinstance(outcome, list):
        return outcome
    return [(str(outcome or command.done), "info")]


def _carry_out(command: Command, case, staff, form):
    if not command.available(case):
        form.form_errors.append(command.unavailable())
        raise Refused()
    if not form.validate():
        raise Refused()
    try:
        return command.apply(case, staff, form)
    except lifecycle.TransitionError as error:
        form.form_errors.append(_stale_message(error))
        if "version" in form:
            form.version.data = error.case.version
        raise Refused() from None


def forms_for(case, staff, refused=()) -> dict:
    """The form of every command the page offers for ``case``: the refused ones as they
    were posted (``refused`` holds ``(name, form)`` pairs), the others fresh."""
    forms = {}
    for name, command in COMMANDS.items():
        if name == "review" or not command.available(case) or not command.permitted(staff, case):
            continue
        forms[name] = command.form(case)
    review = COMMANDS["review"]
    if review.available(case) and review.permitted(staff, case):
        forms["review"] = {s.material.key: review.form(case, material=s.material.key)
                           for s in material_states(case)}
    for name, form in refused:
        if name == "review":
            forms.setdefault("review", {})[form.material.data] = form
        else:
            forms[name] = form
    return forms
