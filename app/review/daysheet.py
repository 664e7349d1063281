"""What a shift needs on paper: the day's video checks at the window(s), the cases whose
time limit falls due (or has passed), and the deferred materials owed by then.

Everything is read through :meth:`Case.visible_to`, or (the video checks) the windows the
account works at, so a sheet never lists another window's or another county's cases.
The queue's box of the day's video checks is :func:`video_day` too.
"""

import re
from datetime import date, timedelta

from peewee import SQL, NodeList

from .. import audit
from ..cases.appointments import day_appointments
from ..cases.invites import meeting_url
from ..clock import beijing_today
from ..i18n import on_record
from ..models import Case, Department, Item, Staff
from ..models.cases import IN_PROGRESS, OPEN_SQL
from ..points.window import window_open_on

#: How far from today a sheet may be asked for (beyond it, a typed year is a typo).
REACH = timedelta(days=3660)
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}\Z", re.ASCII)
#: Rows of one list on the sheet; the counts always say how many there are.
ROWS = 200


class BadDay(ValueError):
    """``?day=`` is not a date (``reason`` ``format``) or too far away (``range``)."""

    def __init__(self, reason: str, first: date, last: date):
        super().__init__(reason)
        self.reason, self.first, self.last = reason, first, last


def parse_day(text: str | None, today: date | None = None) -> date:
    """The day ``text`` (``YYYY-MM-DD``) names; today (Beijing) when empty; else
    :class:`BadDay`."""
    today = today or beijing_today()
    first, last = today - REACH, today + REACH
    text = (text or "").strip()
    if not text:
        return today
    try:
        day = date.fromisoformat(text) if ISO_DAY.match(text) else None
    except ValueError:  # 2027-02-30
        day = None
    if day is None:
        raise BadDay("format", first, last)
    if not first <= day <= last:
        raise BadDay("range", first, last)
    return day


def window_offices(staff) -> list[int]:
    """The windows whose video checks the account holds: its own; an admin's or a
    read-only supervisor's, every window in its jurisdiction."""
    if staff.role == "admin" or staff.read_only:
        return staff.office_ids()
    return [staff.office_id] if staff.office_id else []


def participants(appointment) -> list[str]:
    """Who takes part in a video check: as recorded once held; else the applicant, the
    entrusted agent when there is one, and the volunteer who booked it."""
    if appointment.is_held:
        return list((appointment.outcome or {}).get("participants") or ["applicant"])
    people = ["applicant"]
    if appointment.case.is_entrusted:
        people.append("agent")
    if appointment.booked_by == "volunteer":
        people.append("volunteer")
    return people


def verdict(appointment) -> str:
    """``booked``, ``confirmed`` or ``not_confirmed``."""
    if not appointment.is_held:
        return "booked"
    return "confirmed" if (appointment.outcome or {}).get("identity_confirmed") else "not_confirmed"


def video_day(staff, day: date, today: date | None = None) -> dict:
    """The video checks booked or held at the account's window(s) on a Beijing date."""
    offices = window_offices(staff)
    return {"day": day, "today": today or beijing_today(), "shown": bool(offices),
            "meeting": meeting_url, "items": day_appointments(offices, day) if offices else [],
            "previous": day - timedelta(days=1), "next": day + timedelta(days=1),
            "participants": participants, "verdict": verdict}


def _open():
    # The literal text of the partial index of open cases (see queue.py).
    return NodeList((Case.status, SQL(OPEN_SQL)))


def _listed(query, order) -> dict:
    """At most :data:`ROWS` cases of ``query`` and how many there are in all."""
    return {"rows": list(query.order_by(*order).limit(ROWS)), "count": query.count()}


def cases_due(staff, day: date) -> dict:
    """Open cases whose time limit falls on ``day``, and those past it by then."""
    base = Case.visible_to(staff)
    if base is None:
        return {"today": {"rows": [], "count": 0}, "overdue": {"rows": [], "count": 0}}
    query = Case.select().where(base, _open())
    return {"today": _listed(query.where(Case.due_date == day), [Case.id]),
            "overdue": _listed(query.where(Case.due_date < day), [Case.due_date, Case.id])}


def materials_owed(staff, day: date) -> dict:
    """Accepted cases with deferred materials owed on ``day`` or before, each with the
    names of what is owed (from the item's version the case was started with)."""
    base = Case.visible_to(staff)
    if base is None:
        return {"rows": [], "count": 0}
    listed = _listed(Case.select().where(
        base, Case.status.in_(IN_PROGRESS), Case.deferred_due <= day,
        NodeList((Case.deferred, SQL("!= '[]'")))), [Case.deferred_due, Case.id])
    specs = {}  # cases of one item at one version share its spec: read it once
    for case in listed["rows"]:
        key = (case.item_id, case.item_version)
        spec = specs[key] if key in specs else specs.setdefault(key, case.spec)
        case.owed = [on_record(m, "names") if m else key for key, m in
                     ((key, spec.material(key)) for key in case.deferred)]
    return listed


def _lookups(cases) -> dict:
    """Names the sheet prints beside its cases: items, staff, departments (by id)."""
    items = {c.item_id for c in cases}
    people = {c.assigned_to_id for c in cases if c.assigned_to_id}
    departments = {c.transferred_to_id for c in cases if c.transferred_to_id}
    return {
        "items": dict(Item.select(Item.id, Item.names).where(Item.id.in_(items)).tuples())
        if items else {},
        "staff": dict(Staff.select(Staff.id, Staff.name).where(Staff.id.in_(people)).tuples())
        if people else {},
        "departments": {d.id: d for d in Department.select(
            Department.id, Department.names, Department.short).where(
                Department.id.in_(departments))} if departments else {},
    }


def day_sheet(staff, day: date, today: date | None = None) -> dict:
    """Everything the day sheet prints for ``staff`` on ``day``."""
    video = video_day(staff, day, today)
    due = cases_due(staff, day)
    owed = materials_owed(staff, day)
    cases = ([a.case for a in video["items"]] + due["today"]["rows"] + due["overdue"]["rows"]
             + owed["rows"])
    return {"day": day, "today": video["today"], "video": video, "due": due, "owed": owed,
            "working_day": window_open_on(day), "names": _lookups(cases), "rows": ROWS,
            "previous": video["previous"], "next": video["next"]}


def record_view(staff, sheet: dict) -> None:
    """An audit event on each case whose applicant's contact details the sheet showed."""
    for case in sheet["owed"]["rows"]:
        audit.record("day_sheet_view", staff=staff, case=case, target=sheet["day"].isoformat())
