"""The one write path of the case aggregate: every Case and Event row is written here.

``draft → submitted → (returned ↔ submitted) → accepted → (transferred) →
approved → result_ready → delivered → closed``; ``submitted|accepted →
rejected``; ``draft|submitted|returned → withdrawn`` (the rules are
:data:`app.models.cases.TRANSITIONS`).

Every change, with or without a new status, is one transaction: the case's
``version`` goes up only if it is still the version the actor saw (a stale
change is refused), and one :class:`~app.models.Event` records it. An event
that notifies someone is the outbox record of what must be sent; once the
transaction has committed, :data:`recorded` announces it to the job queue.
"""

from dataclasses import dataclass
from datetime import timedelta

from blinker import Namespace
from peewee import IntegrityError, fn

from ..clock import utcnow
from ..models import (AccessToken, Appointment, Case, CaseGrant, CaseNote, Event, IssuedDocument,
                      MaterialReview, TusUpload, Upload, db)
from ..models.base import after_commit
from ..models.cases import ENDED, TRANSITIONS
from ..sealing import seal

_signals = Namespace()
#: Sent after the commit of a change that notifies someone, with ``event_ids``.
recorded = _signals.signal("case-events-recorded")
#: Sent inside the transaction of every change, with the case ``before`` and ``after`` it
#: (the statistics' counts move with it: ``app/ratings/tally.py``).
changed = _signals.signal("case-changed")

#: The event kind each status action records.
ACTION_EVENTS = {"submit": "submitted", "resubmit": "resubmitted", "return": "returned",
                 "accept": "accepted", "transfer": "transferred",
                 "transfer_back": "transfer_back", "approve": "approved",
                 "reject": "rejected", "result_ready": "result_ready",
                 "deliver": "delivered", "close": "closed", "withdraw": "withdrawn",
                 "convert": "converted", "answer": "answered"}


class TransitionError(Exception):
    """The change is refused; ``reason`` is ``illegal`` or ``stale``; ``case`` is fresh."""

    def __init__(self, reason, case=None):
        super().__init__(reason)
        self.reason = reason
        self.case = case


@dataclass
class Change:
    """What :func:`change` did: the case as it is now, its new event, and what
    ``within`` returned."""

    case: Case
    event: Event
    result: object = None


def _recipients(case: Case, notify) -> list[str]:
    """Who the event goes to: ``applicant`` only when the case has an email address."""
    return [r for r in dict.fromkeys(notify or ()) if r != "applicant" or case.contact_email]


def _event(case_id: int, kind: str, *, actor: str, staff, note, data, notify: list,
           secrets: dict | None, now) -> Event:
    outbox = {}
    if notify:
        outbox = {"recipients": notify, "outbox_state": "pending", "outbox_next_at": now,
                  "sealed": seal(secrets) if secrets else None}
    return Event.create(case=case_id, kind=kind, actor=actor,
                        actor_staff=staff.id if staff is not None else None,
                        note=note, data=data, created_at=now, **outbox)


def _announce(*events: Event) -> None:
    ids = [event.id for event in events if event.outbox_state == "pending"]
    # Inside a larger transaction nothing is committed yet: announced once it is (or, in a
    # transaction without that hook, the outbox's sweep delivers them afterwards).
    if ids:
        after_commit(lambda: recorded.send(None, event_ids=ids))


def change(case: Case, kind: str | None = None, *, action: str | None = None,
           actor: str = "applicant", staff=None, expected_version: int | None = None,
           changes: dict | None = None, note: str | None = None, data=None, notify=(),
           secrets: dict | None = None, within=None, then=()) -> Change:
    """Apply one change to ``case`` and record its event, atomically; or raise
    :class:`TransitionError`.

    ``action`` is a lifecycle action (its status change and event kind);
    without it the status stays and ``kind`` names the event. ``changes`` are
    column values written in the same UPDATE. ``expected_version`` is the
    version the actor saw (default: the one ``case`` was read with).
    ``within`` runs first inside the transaction (e.g. to store an
    appointment); ``data`` may be a function of what it returned. ``notify``
    lists who hears of it (``applicant``, ``staff:<id>``); ``secrets`` are
    sealed into the event for that email only. ``then`` adds events that
    follow from this change, as ``{"kind", "data", "notify", "secrets"}``.
    """
    version = case.version if expected_version is None else expected_version
    now = utcnow()
    values = dict(changes or {}, version=Case.version + 1, updated_at=now)
    condition = (Case.id == case.id) & (Case.version == version)
    if action is not None:
        allowed, target = TRANSITIONS[action]
        values["status"] = target
        condition &= Case.status.in_(list(allowed))
        kind = ACTION_EVENTS[action]
        if target in ENDED:  # the first end counts (a delivered case closed later)
            values["ended_at"] = fn.COALESCE(Case.ended_at, now)
    with db.atomic():
        result = within() if within is not None else None
        before = Case.get_by_id(case.id) if changed.receivers else None
        if Case.update(**values).where(condition).execute() != 1:
            fresh = Case.get_by_id(case.id)
            raise TransitionError("stale" if fresh.version != version else "illegal", fresh)
        after = Case.get_by_id(case.id)
        if before is not None:
            changed.send(None, before=before, after=after)
        event = _event(case.id, kind, actor=actor, staff=staff, note=note,
                       data=data(result) if callable(data) else data,
                       notify=_recipients(case, notify), secrets=secrets, now=now)
        following = [_event(case.id, extra["kind"], actor=actor, staff=staff, note=None,
                            data=extra.get("data"), notify=_recipients(case, extra.get("notify")),
                            secrets=extra.get("secrets"), now=now) for extra in then]
    _announce(event, *following)
    return Change(after, event, result)


def opened_by_department(case: Case, staff) -> None:
    """Note that an officer of the department the case was passed to opened it (the first
    time counts: until then it heads the department's queue). Not a change of the case:
    no version, no event (the audit trail has the view)."""
    if (staff.role == "officer" and case.transferred_to_id == staff.department_id
            and case.transfer_opened_at is None):
        Case.update(transfer_opened_at=utcnow()).where(
            (Case.id == case.id) & Case.transfer_opened_at.is_null()).execute()


def retried(case: Case, attempt, retries: int = 3):
    """``attempt(case)`` makes one change that does not depend on a version someone saw
    (an applicant's upload, a volunteer's new code, a booking): when another change
    comes in between, it reads the case again and tries once more, up to ``retries``
    times. Decisions taken on what a person saw use ``expected_version`` instead."""
    for number in range(retries):
        try:
            return attempt(case)
        except TransitionError as error:
            if error.reason != "stale" or number == retries - 1:
                raise
            case = error.case
    raise AssertionError("unreachable")


def record(case: Case, kind: str, *, actor: str = "system", staff=None, note=None, data=None,
           notify=(), secrets: dict | None = None, within=None) -> Event:
    """An event that changes nothing of the case itself (a reminder sent, say): the case's
    version stays (a decision taken on what someone saw is not made stale by it), its
    ``updated_at`` moves (what anything shown of the case is kept under). As for
    :func:`change`, ``secrets`` are sealed into the event for its email only, and
    ``within`` runs first inside the transaction (to store the access token a sealed link
    opens, say: one token however many times the email is tried)."""
    now = utcnow()
    with db.atomic():
        if within is not None:
            within()
        event = _event(case.id, kind, actor=actor, staff=staff, note=note, data=data,
                       notify=_recipients(case, notify), secrets=secrets, now=now)
        Case.update(updated_at=now).where(Case.id == case.id).execute()
    _announce(event)
    return event


def start(fields: dict, *, reference_factory, assisted_by=None, secrets: dict | None = None,
          data: dict | None = None) -> Case:
    """Create a draft case from ``fields`` with its ``started`` event (and ``assisted``
    when a volunteer starts it); the access email goes to the applicant. ``data`` is
    kept on the ``started`` event (``{"question": reference}``: a question became it).

    A reference that is already taken is drawn again; ``IntegrityError`` on the
    start form's key (a replayed start) is left to the caller.
    """
    for _attempt in range(5):
        reference = reference_factory()
        try:
            now = utcnow()
            with db.atomic():
                case = Case.create(reference=reference, created_at=now, updated_at=now, **fields)
                started = _event(case.id, "started", actor="applicant", staff=None, note=None,
                                 data=data, notify=_recipients(case, ["applicant"]),
                                 secrets=secrets, now=now)
                if assisted_by is not None:
                    _event(case.id, "assisted", actor="staff", staff=assisted_by, note=None,
                           data={"volunteer": assisted_by.name, "consent": True}, notify=[],
                           secrets=None, now=now)
        except IntegrityError:
            if Case.select().where(Case.reference == reference).exists():
                continue
            raise
        _announce(started)
        return case
    raise RuntimeError("could not allocate a reference")


def delete_draft(case: Case) -> "Removed":
    """Delete an application never sent, with everything it holds (its answers, files,
    events, holds); return the bytes to delete once the deletion has committed. Raises
    :class:`TransitionError` unless it is still a draft. What survives is the audit
    trail, which names the reference only."""
    with db.atomic():
        removed = _forget_files(case.id)
        if Case.delete().where((Case.id == case.id) & (Case.status == "draft")).execute() != 1:
            raise TransitionError("illegal", Case.get_or_none(Case.id == case.id))
    return removed


# -- Retention: what an ended case keeps, and for how long (app/cases/retention.py) ------

@dataclass
class Removed:
    """Bytes to delete once the transaction that forgot them has committed."""

    uploads: list
    documents: list
    partial: list


def _forget_files(case_id: int) -> Removed:
    removed = Removed(
        [u.stored_name for u in Upload.select(Upload.stored_name).where(Upload.case == case_id)],
        [d.stored_name for d in IssuedDocument.select(IssuedDocument.stored_name)
         .where(IssuedDocument.case == case_id)],
        [t.id for t in TusUpload.select(TusUpload.id).where(TusUpload.case == case_id)])
    TusUpload.delete().where(TusUpload.case == case_id).execute()
    Upload.delete().where(Upload.case == case_id).execute()
    return removed


def delete_files(case: Case) -> tuple[Case, Removed]:
    """Forget an ended case's files: its uploads (the result document too) and the PDFs
    issued for it (their rows stay, so a printed copy's code still verifies). The case
    records when, with an event; the caller deletes the bytes after the commit."""
    if case.status not in ENDED:
        raise TransitionError("illegal", case)
    result = dict(case.result, upload=None) if case.result else case.result
    done = change(case, "files_deleted", actor="system", within=lambda: _forget_files(case.id),
                  changes={"files_deleted_at": utcnow(), "result": result})
    return done.case, done.result


def _strip(case_id: int) -> Removed:
    removed = _forget_files(case_id)
    Event.update(note=None, data=None, recipients=None, sealed=None).where(
        Event.case == case_id).execute()
    CaseNote.delete().where(CaseNote.case == case_id).execute()
    MaterialReview.update(reason="").where(MaterialReview.case == case_id).execute()
    IssuedDocument.update(initials="").where(IssuedDocument.case == case_id).execute()
    CaseGrant.delete().where(CaseGrant.case == case_id).execute()
    AccessToken.delete().where(AccessToken.case == case_id).execute()
    for appointment in Appointment.select().where(Appointment.case == case_id):
        if appointment.outcome:  # what was confirmed stays; a clerk's words go
            Appointment.update(outcome={key: value for key, value in appointment.outcome.items()
                                        if isinstance(value, bool)}).where(
                Appointment.id == appointment.id).execute()
    return removed


def anonymise(case: Case) -> tuple[Case, Removed]:
    """Strip the personal details of an ended case: answers, name, contact, city, the
    entrustment, the window's notes, reasons and free text, the timeline's words, every
    hold and link; files too if they are still kept. What stays says what was asked of
    which office, when, and how it ended (statistics, and the audit trail's references)."""
    if case.status not in ENDED:
        raise TransitionError("illegal", case)
    now = utcnow()
    result = ({key: case.result[key] for key in ("at",) if key in case.result}
              if case.result else case.result)
    delivery = ({key: case.delivery[key] for key in ("method", "at") if key in case.delivery}
                if case.delivery else case.delivery)
    done = change(case, "anonymised", actor="system", within=lambda: _strip(case.id),
                  changes={"answers": {}, "entrustment": None, "contact_email": None,
                           "contact_phone": None, "city": "", "applicant_name": "",
                           "supplement": None, "result": result, "delivery": delivery,
                           "files_deleted_at": fn.COALESCE(Case.files_deleted_at, now),
                           "anonymised_at": now})
    return done.case, done.result


# -- The outbox: delivery bookkeeping of events that notify someone ---------------------
# The same for a case's events and a question's (``model``: :class:`Event` or
# :class:`~app.models.QuestionEvent`, which carry the same outbox columns).

def claim_delivery(event_id: int, lease_seconds: int, model=Event):
    """Take the pending event for delivery (no other worker may for ``lease_seconds``)."""
    now = utcnow()
    claimed = (model.update(outbox_lease=now + timedelta(seconds=lease_seconds),
                            outbox_attempts=model.outbox_attempts + 1)
               .where((model.id == event_id) & (model.outbox_state == "pending")
                      & (model.outbox_next_at <= now)
                      & (model.outbox_lease.is_null() | (model.outbox_lease < now)))
               .execute())
    return model.get_by_id(event_id) if claimed == 1 else None


def mark_delivered(event, recipient: str) -> None:
    """One recipient has had the event's email."""
    model = type(event)
    event.delivered_to = list(event.delivered_to or []) + [recipient]
    model.update(delivered_to=event.delivered_to).where(model.id == event.id).execute()


def delivery_done(event) -> None:
    """Every recipient has it: the event leaves the outbox and its secrets are erased."""
    model = type(event)
    model.update(outbox_state="sent", outbox_lease=None, outbox_error=None, sealed=None).where(
        model.id == event.id).execute()


def delivery_failed(event, error: str, retry_at) -> None:
    """Delivery failed: try again at ``retry_at``, or give up for good when it is None."""
    model = type(event)
    if retry_at is None:
        model.update(outbox_state="failed", outbox_lease=None, outbox_error=error[:200],
                     sealed=None).where(model.id == event.id).execute()
        return
    model.update(outbox_next_at=retry_at, outbox_lease=None, outbox_error=error[:200]).where(
        model.id == event.id).execute()


def due_deliveries(limit: int = 100, model=Event) -> list[int]:
    """Ids of pending events whose (next) delivery is due and that nobody holds."""
    now = utcnow()
    return [e.id for e in model.select(model.id).where(
        (model.outbox_state == "pending") & (model.outbox_next_at <= now)
        & (model.outbox_lease.is_null() | (model.outbox_lease < now)))
        .order_by(model.outbox_next_at, model.id).limit(limit)]
