"""Video identity checks (视频核验): slots at the window, bookings, outcomes, agent codes.

Slots lie inside the window's working hours (Beijing time, Chinese working
days), on a fixed grid of ``VIDEO_SLOT_MINUTES``. One slot holds one
appointment per office: the unique ``slot_key`` column decides the winner when
two people book the last slot at once. Times are stored as naive UTC and only
turned into a zone for display, so daylight-saving changes abroad are handled
by the zone database, never by arithmetic here.
"""

import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from flask import current_app
from peewee import IntegrityError

from ..clock import now as now_utc, utcnow
from ..models import Appointment, Case, Staff
from ..ratelimits import PerTarget
from ..points.window import BEIJING, window_span_on
from . import lifecycle
from .access import secret_hash
from .journey import home_office

#: Who may appear in a video check.
PARTICIPANTS = ("applicant", "agent", "volunteer", "interpreter")
AGENT_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


class SlotError(ValueError):
    """A slot cannot be booked; ``reason`` is ``outside``, ``taken``, ``past``, ``state``,
    or ``often`` (the applicant changed the booking too many times today)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def office_id_of(case: Case) -> int | None:
    """The window that holds the case's video check."""
    if case.office_id:
        return case.office_id
    office = home_office(case.item)
    return office.id if office else None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _naive(moment: datetime) -> datetime:
    return _aware(moment).astimezone(timezone.utc).replace(tzinfo=None)


def slot_key(office_id: int | None, start: datetime) -> str:
    """The key that holds one slot of one office."""
    return f"{office_id or 0}:{_naive(start):%Y%m%dT%H%M}"


def _grid(day: date) -> list[datetime]:
    span = window_span_on(day)
    if span is None:
        return []
    step = timedelta(minutes=current_app.config["VIDEO_SLOT_MINUTES"])
    slots, moment = [], span.start
    while moment + step <= span.end:
        slots.append(moment.astimezone(timezone.utc))
        moment += step
    return slots


def _earliest(now: datetime) -> datetime:
    return now + timedelta(hours=current_app.config["VIDEO_MIN_NOTICE_HOURS"])


def _last_day(now: datetime) -> date:
    return now.astimezone(BEIJING).date() + timedelta(days=current_app.config["VIDEO_BOOKING_DAYS"])


def check_slot(start: datetime, now: datetime | None = None) -> datetime:
    """The slot as aware UTC if it may be booked now; :class:`SlotError` otherwise."""
    now = now or now_utc()
    start = _aware(start).astimezone(timezone.utc)
    day = start.astimezone(BEIJING).date()
    if start not in _grid(day) or day > _last_day(now):
        raise SlotError("outside")
    if start < _earliest(now):
        raise SlotError("past")
    return start


@dataclass
class Day:
    """The bookable slots of one Beijing working day."""

    day: date
    slots: list  # [(aware UTC start, free)]


def slot_days(office_id: int | None, now: datetime | None = None) -> list[Day]:
    """The next working days' slots, each marked free or taken."""
    now = now or now_utc()
    first = now.astimezone(BEIJING).date()
    last = _last_day(now)
    taken = {a.slot_key for a in Appointment.select(Appointment.slot_key).where(
        (Appointment.office_id == office_id) & Appointment.slot_key.is_null(False)
        & (Appointment.starts_at >= _naive(now)))}
    days = []
    day = first
    while day <= last:
        slots = [(s, slot_key(office_id, s) not in taken) for s in _grid(day)
                 if s >= _earliest(now)]
        if slots:
            days.append(Day(day, slots))
        day += timedelta(days=1)
    return days


def current_appointment(case: Case) -> Appointment | None:
    """The booked (not yet held) appointment of the case."""
    return (Appointment.select().where((Appointment.case == case)
                                       & (Appointment.status == "booked"))
            .order_by(Appointment.id.desc()).first())


def last_held(case: Case) -> Appointment | None:
    """The latest appointment with an outcome recorded."""
    return (Appointment.select().where((Appointment.case == case)
                                       & (Appointment.status == "held"))
            .order_by(Appointment.id.desc()).first())


def identity_confirmed(case: Case) -> bool:
    """Whether a video check confirmed the applicant (and the agent, for an entrustment)."""
    held = last_held(case)
    if held is None or not (held.outcome or {}).get("identity_confirmed"):
        return False
    if case.is_entrusted:
        return bool(held.outcome.get("agent_confirmed"))
    return True


def staff_recipients(case: Case, office_id, booker_id=None) -> list[str]:
    """Who at home hears of a video check: the assigned clerk, else the office's clerks;
    and the volunteer who booked it."""
    people = []
    if case.assigned_to_id:
        people = [s.id for s in Staff.select(Staff.id).where(
            (Staff.id == case.assigned_to_id) & (Staff.active == True))]  # noqa: E712
    if not people:
        people = [s.id for s in Staff.select(Staff.id).where(
            (Staff.office == office_id) & (Staff.role == "clerk")
            & (Staff.active == True))]  # noqa: E712
    if booker_id and booker_id not in people and Staff.select().where(
            (Staff.id == booker_id) & (Staff.active == True)).exists():  # noqa: E712
        people.append(booker_id)
    return [f"staff:{person}" for person in people]


def snapshot(appointment: Appointment) -> dict:
    """What the emails about this moment of the appointment print (a calendar entry
    keeps its UID and shows this SEQUENCE)."""
    return {"appointment": appointment.id, "starts_at": appointment.starts_at.isoformat(),
            "minutes": appointment.minutes, "room": appointment.room,
            "sequence": appointment.sequence, "timezone": appointment.timezone,
            "updated_at": appointment.updated_at.isoformat()}


def _notify(case: Case, appointment_office, booker_id) -> list[str]:
    return ["applicant"] + staff_recipients(case, appointment_office, booker_id)


def _actor(staff):
    return {"actor": "staff" if staff else "applicant", "staff": staff}


def _count_change(case: Case, staff: Staff | None) -> None:
    """An applicant's booking, move or cancellation counts against the case's daily
    changes (each one emails the applicant and the window); staff are not counted."""
    if staff is None and not PerTarget(current_app.config["VIDEO_CHANGES_LIMIT"]).allow(
            "video", case.reference):
        raise SlotError("often")


def book(case: Case, start: datetime, tz: str, booked_by: str = "applicant",
         staff: Staff | None = None, now: datetime | None = None) -> tuple[Appointment, str]:
    """Book a slot for the case; return the appointment and its manage-link token
    (emailed, with the call link, to the applicant and the window)."""
    if not case.video_bookable or current_appointment(case) is not None:
        raise SlotError("state")
    start = check_slot(start, now)
    _count_change(case, staff)
    office = office_id_of(case)
    token = secrets.token_urlsafe(32)

    def within():
        return Appointment.create(
            case=case, office=office, starts_at=_naive(start),
            minutes=current_app.config["VIDEO_SLOT_MINUTES"],
            slot_key=slot_key(office, start), manage_token_hash=secret_hash(token),
            room=f"OneVisit-{secrets.token_hex(8)}", timezone=tz, booked_by=booked_by,
            booker=staff.id if staff else None, updated_at=utcnow())

    try:
        changed = lifecycle.retried(case, lambda current: lifecycle.change(
            current, "video_booked", within=within, data=snapshot,
            notify=_notify(case, office, staff.id if staff else None),
            secrets={"manage": token}, **_actor(staff)))
    except IntegrityError:
        raise SlotError("taken") from None
    except lifecycle.TransitionError:
        raise SlotError("state") from None
    return changed.result, token


def reschedule(appointment: Appointment, start: datetime, now: datetime | None = None,
               staff: Staff | None = None) -> Appointment:
    """Move a booked appointment to another free slot (same link, same room)."""
    case = appointment.case
    if not appointment.is_booked or not case.video_bookable:
        raise SlotError("state")
    start = check_slot(start, now)
    if _naive(start) == appointment.starts_at:
        return appointment
    _count_change(case, staff)

    def within():
        moved = (Appointment.update(starts_at=_naive(start),
                                    slot_key=slot_key(appointment.office_id, start),
                                    sequence=Appointment.sequence + 1, updated_at=utcnow())
                 .where((Appointment.id == appointment.id)
                        & (Appointment.status == "booked")).execute())
        if moved != 1:
            raise SlotError("state")
        return Appointment.get_by_id(appointment.id)

    try:
        changed = lifecycle.retried(case, lambda current: lifecycle.change(
            current, "video_rescheduled", within=within, data=snapshot,
            notify=_notify(case, appointment.office_id, appointment.booker_id),
            **_actor(staff)))
    except IntegrityError:
        raise SlotError("taken") from None
    except lifecycle.TransitionError:
        raise SlotError("state") from None
    return changed.result


def cancel(appointment: Appointment, staff: Staff | None = None) -> Appointment:
    """Cancel a booked appointment; its slot is free again and its link stops working."""
    def within():
        cancelled = (Appointment.update(status="cancelled", slot_key=None, cancelled_at=utcnow(),
                                        sequence=Appointment.sequence + 1, updated_at=utcnow())
                     .where((Appointment.id == appointment.id)
                            & (Appointment.status == "booked")).execute())
        if cancelled != 1:
            raise SlotError("state")
        return Appointment.get_by_id(appointment.id)

    case = appointment.case
    _count_change(case, staff)
    try:
        changed = lifecycle.retried(case, lambda current: lifecycle.change(
            current, "video_cancelled", within=within, data=snapshot,
            notify=_notify(case, appointment.office_id, appointment.booker_id),
            **_actor(staff)))
    except lifecycle.TransitionError:
        raise SlotError("state") from None
    return changed.result


def appointment_for_token(token: str) -> tuple[Appointment | None, str]:
    """``(appointment, state)`` for a manage link: ``booked``, ``cancelled``, ``held`` or
    ``unknown``."""
    if not token or len(token) > 100:
        return None, "unknown"
    found = Appointment.get_or_none(Appointment.manage_token_hash == secret_hash(token))
    if found is None:
        return None, "unknown"
    return found, found.status


def new_agent_code() -> tuple[str, str]:
    """``(code as printed, what is hashed)`` for an entrusted agent."""
    raw = "".join(secrets.choice(AGENT_CODE_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}", raw


def record_outcome(case: Case, appointment: Appointment, staff: Staff, *, confirmed: bool,
                   participants: list, agent_confirmed: bool, note: str = "",
                   keep_recording=None, expected_version: int | None = None,
                   early_reason: str | None = None) -> tuple[Case, str | None]:
    """The clerk's record of a held video check; return the case and a new agent code.

    ``keep_recording()``, when given, stores the call's recording in the same
    transaction and returns it. An agent code is issued the first time both the
    applicant's identity and the agent are confirmed for an entrustment: the
    applicant is emailed it.
    """
    outcome = {"identity_confirmed": bool(confirmed), "participants": participants,
               "agent_confirmed": bool(agent_confirmed), "note": note, "recording": None,
               "staff_id": staff.id, "recorded_at": utcnow().isoformat()}
    if early_reason:  # a supervisor's record before the booked time
        outcome["early_reason"] = early_reason

    def within():
        if keep_recording is not None:
            outcome["recording"] = keep_recording().id
        held = (Appointment.update(status="held", slot_key=None, outcome=outcome,
                                   updated_at=utcnow())
                .where((Appointment.id == appointment.id)
                       & (Appointment.status == "booked")).execute())
        if held != 1:
            raise SlotError("state")

    kind = "video_confirmed" if confirmed else "video_not_confirmed"
    data = {"identity_confirmed": bool(confirmed), "agent_confirmed": bool(agent_confirmed),
            "appointment": appointment.id, "early": bool(early_reason)}
    code, changes, then = None, {}, []
    if case.is_entrusted and confirmed and agent_confirmed and not case.agent_code_issued:
        code, raw = new_agent_code()
        changes["agent_code_hash"] = secret_hash(raw)
        then.append({"kind": "agent_code_issued", "notify": ["applicant"],
                     "secrets": {"agent_code": code}})
    changed = lifecycle.change(case, kind, actor="staff", staff=staff, within=within, data=data,
                               changes=changes, then=then, expected_version=expected_version)
    return changed.case, code


def normalize_agent_code(code: str) -> str:
    """What an agent typed, as stored: upper case, without spaces or dashes."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def check_agent_code(case: Case, code: str) -> bool:
    """Constant-time check of an agent code."""
    cleaned = normalize_agent_code(code)
    return bool(case.agent_code_hash and cleaned
                and hmac.compare_digest(case.agent_code_hash, secret_hash(cleaned)))


def day_appointments(office_ids: list, day: date) -> list[Appointment]:
    """The booked and held appointments of the offices on a Beijing date, in time order."""
    start = datetime.combine(day, datetime.min.time(), BEIJING).astimezone(timezone.utc)
    end = start + timedelta(days=1)
    return list(Appointment.select(Appointment, Case).join(Case)
                .where(Appointment.office_id.in_(office_ids)
                       & (Appointment.status.in_(["booked", "held"]))
                       & (Appointment.starts_at >= _naive(start))
                       & (Appointment.starts_at < _naive(end)))
                .order_by(Appointment.starts_at))


def parse_slot(value: str) -> datetime | None:
    """A slot value from a form (``20261123T0600`` in UTC) as aware UTC, or None."""
    try:
        return datetime.strptime((value or "").strip(), "%Y%m%dT%H%M").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def slot_value(start: datetime) -> str:
    """The form value of a slot."""
    return f"{_naive(start):%Y%m%dT%H%M}"
