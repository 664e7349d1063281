"""The staff dashboard's figures: per window and per clerk, work in hand now and the
month's results, ratings and follow-ups, and the month's ranking of windows.

Nothing here scans the cases: the month's figures are sums of :class:`StaffCell`
counters (kept current by :mod:`.tally`), and work in hand is a few grouped counts over
the open cases of the windows, which the queue's indexes answer (``office, status``
and the partial index of open cases by due date).
"""

import re
from dataclasses import dataclass, field
from datetime import date

from peewee import SQL, NodeList, fn

from ..cases.workdays import add_working_days
from ..clock import beijing_today
from ..models import Case, FollowUp, Office, Rating, Staff, StaffCell
from ..models.cases import OPEN, OPEN_SQL, WAITING
from ..models.ratings import BAD_LEVELS, SATISFIED_LEVELS
from .tally import month_key

#: Windows with fewer ratings than this in the month are listed, not ranked.
MIN_RANKED = 5
#: Follow-ups due within this many working days count as "due soon".
SOON_DAYS = 3
#: The month selector offers this many months back from the current one.
MONTHS_OFFERED = 24
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class BadMonth(ValueError):
    """``?month=`` is not a month (YYYY-MM) the dashboard can show."""


def parse_month(text: str | None, today: date | None = None) -> date:
    """The first day of the month ``text`` names (``YYYY-MM``); the current Beijing month
    when empty. Raises :class:`BadMonth` for anything else, or a month still to come."""
    today = today or beijing_today()
    if not text:
        return today.replace(day=1)
    found = _MONTH.match(text.strip())
    if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 2000:
        raise BadMonth(text)
    month = date(int(found.group(1)), int(found.group(2)), 1)
    if month > today.replace(day=1):
        raise BadMonth(text)
    return month


def months_offered(today: date | None = None, count: int = MONTHS_OFFERED) -> list[date]:
    """The months of the selector, newest first."""
    first = (today or beijing_today()).replace(day=1)
    months = []
    for _step in range(count):
        months.append(first)
        first = (first.replace(year=first.year - 1, month=12) if first.month == 1
                 else first.replace(month=first.month - 1))
    return months


def shift(month: date, by: int) -> date:
    """The month ``by`` months after ``month`` (before, when negative)."""
    index = month.year * 12 + month.month - 1 + by
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class Row:
    """One line of the dashboard: a window, or a clerk of one."""

    office: Office
    staff: Staff | None = None  # None: the whole window
    name: str = ""
    in_hand: int = 0
    waiting: int = 0  # of those, waiting for the window (not with the applicant)
    overdue: int = 0
    delivered: int = 0
    results: int = 0
    on_time: int = 0
    rated: int = 0
    satisfied: int = 0
    bad: int = 0
    follow_ups_open: int = 0
    follow_ups_soon: int = 0
    follow_ups_late: int = 0
    rank: int | None = None
    clerks: list = field(default_factory=list)

    @property
    def on_time_share(self) -> float | None:
        """Results by the promised date, of the month's results."""
        return self.on_time / self.results if self.results else None

    @property
    def satisfaction(self) -> float | None:
        """非常满意, 满意 and 基本满意, of the month's ratings counted."""
        return self.satisfied / self.rated if self.rated else None

    @property
    def ranked(self) -> bool:
        """Enough ratings in the month to be ranked."""
        return self.rated >= MIN_RANKED


@dataclass
class Board:
    """What the dashboard shows for one account and month."""

    month: date
    windows: list  # Row per window, with .clerks
    ranking: list  # ranked windows, best first
    unranked: list  # windows with fewer than MIN_RANKED ratings
    today: date
    soon_until: date


def windows_of(staff) -> list[Office]:
    """The windows on ``staff``'s dashboard: every window of their jurisdiction (the
    province's read-only supervisors: every window under them)."""
    ids = staff.office_ids()
    if not ids:
        return []
    return list(Office.select().where(Office.id.in_(ids)).order_by(Office.sort, Office.id))


def shows_clerks_of(staff, office: Office) -> bool:
    """Whether ``staff`` sees the clerks of ``office`` one by one: a window's supervisor
    those of their own window (the accounts they manage), a county's admin and a
    read-only supervisor above the counties those of every window they see."""
    if staff.role == "admin" or staff.read_only:
        return True
    return staff.office_id == office.id


def _cell_figures(row: Row, cell) -> None:
    row.delivered = cell.delivered
    row.results = cell.results
    row.on_time = cell.on_time
    row.rated = cell.rated
    row.satisfied = sum(getattr(cell, f"level_{level}") for level in SATISFIED_LEVELS)
    row.bad = sum(getattr(cell, f"level_{level}") for level in BAD_LEVELS)


def _cells(office_ids: list[int], month: int) -> dict:
    """``{(office, staff): StaffCell}`` of the month (staff 0: the window)."""
    return {(c.office, c.staff): c for c in StaffCell.select().where(
        StaffCell.office.in_(office_ids) & (StaffCell.month == month))}


def _in_hand(office_ids: list[int], today: date) -> dict:
    """``{(office, holder): [in hand, waiting, overdue]}`` over the open cases (holder
    None: nobody holds it)."""
    counts = {}
    rows = (Case.select(Case.office, Case.assigned_to, Case.status, fn.COUNT(Case.id))
            .where(Case.office.in_(office_ids) & Case.status.in_(list(OPEN)))
            .group_by(Case.office, Case.assigned_to, Case.status).tuples())
    for office, holder, status, n in rows:
        entry = counts.setdefault((office, holder), [0, 0, 0])
        entry[0] += n
        entry[1] += n if status in WAITING else 0
    is_open = NodeList((Case.status, SQL(OPEN_SQL)))
    late = (Case.select(Case.office, Case.assigned_to, fn.COUNT(Case.id))
            .where(Case.office.in_(office_ids) & is_open & (Case.due_date < today))
            .group_by(Case.office, Case.assigned_to).tuples())
    for office, holder, n in late:
        counts.setdefault((office, holder), [0, 0, 0])[2] += n
    return counts


def _follow_ups(office_ids: list[int], today: date, soon: date) -> dict:
    """``{(office, clerk whose case was rated): [open, due soon, overdue]}``."""
    counts = {}
    rows = (FollowUp.select(FollowUp.office, Rating.staff, FollowUp.due_date,
                            fn.COUNT(FollowUp.id))
            .join(Rating, on=(FollowUp.rating == Rating.id))
            .where(FollowUp.office.in_(office_ids) & (FollowUp.status != "closed"))
            .group_by(FollowUp.office, Rating.staff, FollowUp.due_date).tuples())
    for office, clerk, due, n in rows:
        entry = counts.setdefault((office, clerk), [0, 0, 0])
        entry[0] += n
        entry[1] += n if today <= due <= soon else 0
        entry[2] += n if due < today else 0
    return counts


def _add(row: Row, hand=None, follow=None) -> None:
    if hand:
        row.in_hand += hand[0]
        row.waiting += hand[1]
        row.overdue += hand[2]
    if follow:
        row.follow_ups_open += follow[0]
        row.follow_ups_soon += follow[1]
        row.follow_ups_late += follow[2]


def _people(office_ids: list[int], cells: dict, hand: dict, follow: dict) -> dict:
    """``{office: [Staff]}``: the clerks of each window, by name, read in one query for
    every window: its clerks and supervisors now, and whoever has figures of the month or
    cases in hand there."""
    wanted = set(office_ids)
    figures = {}  # who -> the windows they have figures in
    for where, who in (*cells, *hand, *follow):
        if where in wanted and who:
            figures.setdefault(who, set()).add(where)
    condition = (Staff.office.in_(office_ids) & (Staff.active == True)  # noqa: E712
                 & Staff.role.in_(["clerk", "supervisor"]))
    if figures:
        condition |= Staff.id.in_(sorted(figures))
    people = {office: {} for office in office_ids}
    for person in (Staff.select(Staff.id, Staff.name, Staff.role, Staff.active, Staff.office)
                   .where(condition)):
        if (person.office_id in wanted and person.active
                and person.role in ("clerk", "supervisor")):
            people[person.office_id][person.id] = person
        for office in figures.get(person.id, ()):
            people[office][person.id] = person
    return {office: sorted(found.values(), key=lambda s: s.name)
            for office, found in people.items()}


def _clerk_rows(office: Office, people: list, cells: dict, hand: dict,
                follow: dict) -> list[Row]:
    """One row per clerk of the window (``people``: :func:`_people`), and one for the
    cases and follow-ups nobody holds."""
    rows = []
    for person in people:
        row = Row(office, person, person.name)
        if (office.id, person.id) in cells:
            _cell_figures(row, cells[office.id, person.id])
        _add(row, hand.get((office.id, person.id)), follow.get((office.id, person.id)))
        rows.append(row)
    nobody = Row(office, None, "")
    _add(nobody, hand.get((office.id, None)), follow.get((office.id, None)))
    if nobody.in_hand or nobody.follow_ups_open:
        rows.append(nobody)
    return rows


def rank(rows: list[Row]) -> tuple[list[Row], list[Row]]:
    """``(ranked, unranked)``: windows with at least :data:`MIN_RANKED` ratings in the
    month by satisfaction rate, then share on time (none counts lowest), then name;
    the others in their usual order. Equal figures share a rank."""
    ranked = sorted((r for r in rows if r.ranked),
                    key=lambda r: (-r.satisfaction, -(r.on_time_share if r.on_time_share
                                                      is not None else -1.0), r.name))
    place, previous = 0, None
    for index, row in enumerate(ranked, start=1):
        key = (row.satisfaction, row.on_time_share)
        if key != previous:
            place, previous = index, key
        row.rank = place
    return ranked, [r for r in rows if not r.ranked]


def board(staff, month: date, names=lambda office: office.key) -> Board:
    """The dashboard of ``staff`` for ``month`` (``names(office)``: a window's name)."""
    today = beijing_today()
    soon, _exact = add_working_days(today, SOON_DAYS)
    offices = windows_of(staff)
    ids = [o.id for o in offices]
    if not ids:
        return Board(month, [], [], [], today, soon)
    cells = _cells(ids, month_key(month))
    hand = _in_hand(ids, today)
    follow = _follow_ups(ids, today, soon)
    detailed = [o.id for o in offices if shows_clerks_of(staff, o)]
    people = _people(detailed, cells, hand, follow) if detailed else {}
    windows = []
    for office in offices:
        row = Row(office, None, names(office))
        if (office.id, 0) in cells:
            _cell_figures(row, cells[office.id, 0])
        for (where, _who), counts in hand.items():
            if where == office.id:
                _add(row, hand=counts)
        for (where, _who), counts in follow.items():
            if where == office.id:
                _add(row, follow=counts)
        if office.id in people:
            row.clerks = _clerk_rows(office, people[office.id], cells, hand, follow)
        windows.append(row)
    ranked, unranked = rank(windows)
    return Board(month, windows, ranked, unranked, today, soon)
