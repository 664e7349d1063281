"""Staff decisions on a case. Status changes go through :func:`lifecycle.transition`.

Every function checks its input, applies one transition (or records one
event) with the version the clerk saw, and leaves notifications to the
caller's notify step. Invalid input raises :class:`DecisionError` with a
message for the clerk.
"""

import secrets
from datetime import date, timezone
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from ..models import Case, CaseNote, Department, Event, MaterialReview, db, utcnow
from . import services
from .lifecycle import TransitionError, transition
from .workdays import add_working_days

BEIJING = ZoneInfo("Asia/Shanghai")
DELIVERY_METHODS = ("courier", "agent_pickup", "electronic", "self_pickup")


class DecisionError(ValueError):
    """A decision that cannot be taken; ``args[0]`` is the message for the clerk."""


def beijing_today() -> date:
    """Today's date at the window."""
    return utcnow().replace(tzinfo=timezone.utc).astimezone(BEIJING).date()


def _stale_message(error: TransitionError) -> str:
    if error.reason == "stale":
        return _("Someone changed this case a moment ago. Look at the latest state below and "
                 "decide again.")
    return _("This decision is not possible in the case's current state.")


def _apply(case, action, staff, expected_version, note=None, data=None, **changes):
    try:
        return transition(case, action, actor="staff", actor_id=staff.id, note=note, data=data,
                          expected_version=expected_version, **changes)
    except TransitionError as error:
        raise DecisionError(_stale_message(error)) from error


def _event(case, staff, kind, expected_version, note=None, data=None, **changes):
    """Record a non-status event with the same optimistic lock as a transition."""
    now = utcnow()
    with db.atomic():
        updated = (Case.update(version=Case.version + 1, updated_at=now, **changes)
                   .where((Case.id == case.id) & (Case.version == expected_version)).execute())
        if updated != 1:
            raise DecisionError(_stale_message(TransitionError("stale")))
        Event.create(case=case.id, kind=kind, actor="staff", actor_id=staff.id, note=note,
                     data=data, created_at=now)
    return Case.get_by_id(case.id)


def _reason(text: str) -> str:
    reason = (text or "").strip()
    if not reason:
        raise DecisionError(_("Give a reason: the applicant will read it."))
    if len(reason) > 2000:
        raise DecisionError(_("Keep the reason to 2,000 characters or fewer."))
    return reason


def _future_date(text: str) -> date:
    try:
        value = date.fromisoformat((text or "").strip())
    except ValueError:
        raise DecisionError(_("Enter the due date as year-month-day.")) from None
    if value <= beijing_today():
        raise DecisionError(_("The due date must be after today."))
    return value


def claim(case, staff, expected_version: int, assignee=None):
    """Take the case (or give it to a colleague of the same office)."""
    target = assignee or staff
    return _event(case, staff, "claimed", expected_version, data={"staff": target.id},
                  assigned_to_id=target.id)


def review_material(case, staff, material_key: str, verdict: str, reason: str):
    """Accept a material, or mark it as needing correction (with a reason)."""
    keys = {m.key for m in case.item.ordered_materials()}
    if material_key not in keys or verdict not in {"accepted", "correction"}:
        raise DecisionError(_("Choose a material and a verdict."))
    reason = _reason(reason) if verdict == "correction" else (reason or "").strip()[:2000]
    return MaterialReview.create(case=case, material_key=material_key, verdict=verdict,
                                 reason=reason, staff_id=staff.id)


def latest_reviews(case) -> dict:
    """The latest verdict per material key."""
    result = {}
    for review in (MaterialReview.select().where(MaterialReview.case == case)
                   .order_by(MaterialReview.created_at, MaterialReview.id)):
        result[review.material_key] = review
    return result


def return_for_supplement(case, staff, expected_version: int, items: list, note: str,
                          due: str):
    """Ask the applicant to fix or add materials (补正) by a due date."""
    if not items:
        raise DecisionError(_("Choose at least one material the applicant must fix, with what "
                              "is wrong."))
    clean_items = [{"material": key, "reason": _reason(reason)} for key, reason in items]
    due_date = _future_date(due)
    supplement = {"items": clean_items, "note": (note or "").strip()[:2000],
                  "due": due_date.isoformat(), "asked_at": utcnow().isoformat()}
    return _apply(case, "return", staff, expected_version, note=supplement["note"] or None,
                  data=supplement, supplement=supplement, assigned_to_id=case.assigned_to_id)


def accept(case, staff, expected_version: int):
    """Accept (受理); with deferred materials (容缺受理) the commitment letter is issued."""
    if case.version != expected_version:
        raise DecisionError(_stale_message(TransitionError("stale")))
    if case.status != "submitted":
        raise DecisionError(_stale_message(TransitionError("illegal")))
    from .appointments import identity_confirmed
    if (case.entrustment or {}).get("mode") == "agent" and not identity_confirmed(case):
        raise DecisionError(_("An entrustment can only be accepted after a video check has "
                              "confirmed the applicant and the agent. Record the video check "
                              "first."))
    today = beijing_today()
    due, _exact = add_working_days(today, case.item.time_limit_days)
    changes = {"accepted_at": utcnow(), "due_date": due, "queued_at": utcnow()}
    data = {"due_date": due.isoformat()}
    deferred = [s.material.key for s in services.material_states(case) if s.deferred]
    if deferred:
        from ..documents.context import commitment_due
        from ..documents.service import issue
        letter = issue(case, "commitment")
        owed, _exact2, _final = commitment_due(case)
        changes["deferred_due"] = owed
        data.update({"deferred": deferred, "deferred_due": owed.isoformat(),
                     "commitment_code": letter.code})
    return _apply(case, "accept", staff, expected_version, data=data, **changes)


def transfer(case, staff, expected_version: int, department_key: str, note: str):
    """Pass the case to the department responsible (流转), with a note for its officers."""
    department = Department.get_or_none(Department.key == department_key)
    if department is None:
        raise DecisionError(_("Choose the department to pass the case to."))
    return _apply(case, "transfer", staff, expected_version, note=_reason(note),
                  data={"department": department.key}, transferred_to_id=department.id,
                  queued_at=utcnow())


def transfer_back(case, staff, expected_version: int, note: str):
    """The department returns its result to the window (the case goes back to the queue)."""
    return _apply(case, "transfer_back", staff, expected_version, note=_reason(note),
                  queued_at=utcnow())


def approve(case, staff, expected_version: int, note: str = ""):
    """Approve the application."""
    return _apply(case, "approve", staff, expected_version, note=(note or "").strip() or None,
                  queued_at=utcnow())


def reject(case, staff, expected_version: int, reason: str):
    """Reject, always with a reason the applicant reads."""
    return _apply(case, "reject", staff, expected_version, note=_reason(reason))


def record_result(case, staff, expected_version: int, note: str, upload_id: int | None = None):
    """The result exists: a note describing it, and optionally the document itself."""
    text = _reason(note)
    result = {"note": text, "at": utcnow().isoformat(), "upload": upload_id}
    if case.agent_code_hash and "agent_pickup" in case.item.delivery:
        # The agent sees this code on their page and shows it at the window.
        result["pickup_code"] = f"{secrets.randbelow(10**6):06d}"
    return _apply(case, "result_ready", staff, expected_version, note=text,
                  data={"upload": upload_id}, result=result)


def deliver(case, staff, expected_version: int, method: str, tracking: str = "",
            presented_code: str = ""):
    """How the result reached the applicant: courier, collection by the agent, electronic.

    When the agent was given a pickup code with the result, the clerk types the
    code the agent shows, and a wrong code is refused.
    """
    if method not in DELIVERY_METHODS or method not in case.item.delivery:
        raise DecisionError(_("Choose a delivery method this service offers."))
    delivery = {"method": method}
    if method == "courier":
        tracking = (tracking or "").strip()
        if not tracking:
            raise DecisionError(_("Enter the courier's tracking number."))
        delivery["tracking"] = tracking[:60]
    if method == "agent_pickup":
        expected = (case.result or {}).get("pickup_code")
        if expected:
            shown = "".join(ch for ch in (presented_code or "") if ch.isdigit())
            if not secrets.compare_digest(shown, expected):
                raise DecisionError(_("Enter the pickup code the agent shows; this one does "
                                      "not match."))
            delivery["pickup_code"] = expected
        else:
            delivery["pickup_code"] = f"{secrets.randbelow(10**6):06d}"
    return _apply(case, "deliver", staff, expected_version, data=delivery, delivery=delivery)


def close(case, staff, expected_version: int):
    """Close a delivered or rejected case."""
    return _apply(case, "close", staff, expected_version)


def add_note(case, staff, body: str, to_applicant: bool):
    """An internal note, or a message the applicant sees on the status page."""
    text = (body or "").strip()
    if not text:
        raise DecisionError(_("Write the note first."))
    note = CaseNote.create(case=case, staff_id=staff.id, body=text[:4000],
                           to_applicant=to_applicant)
    if to_applicant:
        Event.create(case=case, kind="message", actor="staff", actor_id=staff.id, note=text[:4000])
    return note
