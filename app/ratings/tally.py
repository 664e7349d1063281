"""The statistics' counts, kept current as cases and ratings change.

Every figure of the public statistics and the staff dashboard is a sum of counters in
:class:`~app.models.StatCell`, :class:`~app.models.StaffCell` and
:class:`~app.models.StatDays`, so a page view reads a dozen rows, never the cases.

What a case counts for is a pure function of the case (:func:`case_facts`), of a rating
(:func:`rating_facts`) and of a follow-up (:func:`follow_up_facts`). A change adds what
the new state counts for and takes away what the old one did, in the transaction of the
change (:func:`case_changed`, connected to :data:`app.cases.lifecycle.changed`;
:func:`rating_changed` and :func:`follow_up_changed`, called by the ratings service).
:func:`rebuild` computes the same counts from scratch: it must agree with the running
total (a test checks it after a year of demo history).

A case is counted in the month of each of its steps (Beijing time): received when first
sent, accepted, its result (working days from acceptance, against the promised limit),
delivered; promised materials by the month of acceptance; a rating by the month of the
stage it rates; a follow-up by the month it was opened.
"""

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

from peewee import EXCLUDED, JOIN, PostgresqlDatabase

from ..cases.workdays import is_workday
from ..clock import BEIJING
from ..models import (Case, Department, FollowUp, Item, Rating, StaffCell, StatCell, StatDays,
                      db)
from ..models.base import together
from ..models.ratings import ASPECTS, SATISFIED_LEVELS

#: The service point dimension of a case sent without one (online, on their own).
NO_POINT = -1
#: The country whose residents' trips home are trips across provinces, not abroad.
HOME_COUNTRY = "CN"


def beijing_date(moment: datetime | None) -> date | None:
    """The date at the window at home of a stored (naive UTC) time."""
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc).astimezone(BEIJING).date()


def month_key(day: date) -> int:
    """``yyyymm`` of a date."""
    return day.year * 100 + day.month


@lru_cache(maxsize=65536)
def working_days_between(start: date, end: date) -> int:
    """Chinese working days after ``start`` up to and including ``end`` (0 when ``end`` is
    not after ``start``): how long a result took, and how long it was promised to take."""
    days, current = 0, start
    while current < end:
        current += timedelta(days=1)
        days += is_workday(current)[0]
    return days


def _result_at(case) -> datetime | None:
    at = (case.result or {}).get("at")
    if not at:
        return None
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return None
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def _delivered_on(case) -> date | None:
    return beijing_date(case.ended_at) if case.delivery and case.ended_at else None


def case_facts(case) -> Counter:
    """What ``case`` counts for: ``{("c", month, counter): n, ("d", month, measure, days): n}``."""
    facts = Counter()
    if case.submitted_at is None:
        return facts
    received = month_key(beijing_date(case.submitted_at))
    facts["c", received, "received"] += 1
    if case.demo:
        facts["c", received, "demo"] += 1
    accepted = beijing_date(case.accepted_at)
    if accepted is not None:
        month = month_key(accepted)
        facts["c", month, "accepted"] += 1
        if case.deferred_due is not None or case.deferred_waived_at is not None:
            facts["c", month, "deferred"] += 1  # waived: still owed, never on time
            done = beijing_date(case.deferred_done_at)
            if (done is not None and not case.deferred and case.deferred_due is not None
                    and done <= case.deferred_due):
                facts["c", month, "deferred_on_time"] += 1
        result = beijing_date(_result_at(case))
        if result is not None and case.due_date is not None:
            month = month_key(result)
            facts["c", month, "results"] += 1
            if result <= case.due_date:
                facts["c", month, "on_time"] += 1
            facts["d", month, "taken", working_days_between(accepted, result)] += 1
            facts["d", month, "limit", working_days_between(accepted, case.due_date)] += 1
    delivered = _delivered_on(case)
    if delivered is not None:
        facts["c", month_key(delivered), "delivered"] += 1
    return facts


def _stage_on(case, stage: str) -> date | None:
    return _delivered_on(case) if stage == "delivered" else beijing_date(case.accepted_at)


def rating_facts(rating, case) -> Counter:
    """What a rating counts for (nothing before its stage has a date)."""
    facts = Counter()
    day = _stage_on(case, rating.stage) if rating is not None else None
    if day is None:
        return facts
    month = month_key(day)
    if rating.excluded:
        facts["c", month, "excluded"] += 1
        return facts
    facts["c", month, "rated"] += 1
    facts["c", month, f"level_{rating.level}"] += 1
    if rating.guide:
        facts["c", month, f"guide_{rating.guide}"] += 1
    for aspect in ASPECTS:
        level = getattr(rating, aspect)
        if level:
            facts["c", month, f"{aspect}_rated"] += 1
            facts["c", month, f"{aspect}_ok"] += level in SATISFIED_LEVELS
    if rating.stage == "delivered":
        facts["c", month, f"visits_{min(rating.visits, 3)}"] += 1
        if rating.visits == 0:
            trip = "trips_province" if case.country == HOME_COUNTRY else "trips_abroad"
            facts["c", month, trip] += 1
    return facts


def follow_up_facts(follow_up) -> Counter:
    """What a follow-up counts for: opened, closed, closed by its due date."""
    facts = Counter()
    if follow_up is None:
        return facts
    month = month_key(beijing_date(follow_up.opened_at))
    facts["c", month, "follow_ups"] += 1
    if follow_up.closed_at is not None:
        facts["c", month, "follow_ups_closed"] += 1
        facts["c", month, "follow_ups_on_time"] += bool(follow_up.closed_on_time)
    return facts


# -- Where the facts go: the groups a case belongs to ------------------------------------

def public_groups(county: int | None, item: int, point: int | None) -> list[tuple]:
    """``(county, item, point)`` rows a case adds to: every filter of the page that
    includes it (0: all)."""
    point = point or NO_POINT
    groups = [(0, 0, 0), (0, 0, point)]
    if county:
        groups += [(county, 0, 0), (county, 0, point), (county, item, 0), (county, item, point)]
    return groups


def staff_groups(office: int | None, staff: int | None) -> list[tuple]:
    """``(office, staff)`` rows: the window's total and the clerk's own."""
    if not office:
        return []
    return [(office, 0)] + ([(office, staff)] if staff else [])


def _county_of(item_id: int) -> int | None:
    row = (Department.select(Department.jurisdiction)
           .join(Item, on=(Item.department == Department.id))
           .where(Item.id == item_id).tuples().first())
    return row[0] if row else None


class _Delta:
    """Counter changes gathered per table row, written as upserts."""

    def __init__(self):
        self.cells = defaultdict(Counter)  # (model, dims, month) -> {counter: n}
        self.days = Counter()  # (county, item, point, month, measure, days) -> n

    def add(self, facts: Counter, sign: int, public: list, staff: list) -> None:
        for key, n in facts.items():
            if key[0] == "c":
                _, month, counter = key
                for dims in public:
                    self.cells[StatCell, dims, month][counter] += sign * n
                for dims in staff:
                    self.cells[StaffCell, dims, month][counter] += sign * n
            else:
                _, month, measure, days = key
                for dims in public:
                    self.days[(*dims, month, measure, days)] += sign * n

    def write(self) -> None:
        for (model, dims, month), counts in self.cells.items():
            counts = {name: n for name, n in counts.items() if n}
            if counts:
                _upsert(model, dict(zip(model.DIMENSIONS, dims), month=month), counts)
        for key, n in self.days.items():
            if n:
                county, item, point, month, measure, days = key
                _upsert(StatDays, {"county": county, "item": item, "point": point,
                                   "month": month, "measure": measure, "days": days}, {"n": n})


def _upsert(model, keys: dict, counts: dict) -> None:
    (model.insert(**keys, **counts)
     .on_conflict(conflict_target=[getattr(model, name) for name in keys],
                  update={getattr(model, name): getattr(model, name) + getattr(EXCLUDED, name)
                          for name in counts})
     .execute())


#: The case columns the facts depend on: a change of none of them counts for nothing.
_TRACKED = ("submitted_at", "accepted_at", "due_date", "result", "delivery", "ended_at",
            "deferred_due", "deferred_done_at", "deferred_waived_at", "deferred", "item_id",
            "service_point_id", "office_id", "assigned_to_id", "country", "demo")


def _tracked(case) -> tuple:
    return tuple(repr(getattr(case, name)) for name in _TRACKED)


def _case_groups(case, county) -> tuple[list, list]:
    return (public_groups(county, case.item_id, case.service_point_id),
            staff_groups(case.office_id, case.assigned_to_id))


def case_changed(_sender=None, *, before: Case, after: Case) -> None:
    """Move the counts of a case from its old state to its new one (inside the change's
    transaction)."""
    if _tracked(before) == _tracked(after):
        return
    delta = _Delta()
    county_before = _county_of(before.item_id)
    county_after = county_before if after.item_id == before.item_id else _county_of(after.item_id)
    delta.add(case_facts(before), -1, *_case_groups(before, county_before))
    delta.add(case_facts(after), 1, *_case_groups(after, county_after))
    delta.write()


def _rating_groups(rating, case, county) -> tuple[list, list]:
    return (public_groups(county, case.item_id, case.service_point_id),
            staff_groups(rating.office_id, rating.staff_id))


def rating_changed(case: Case, before: Rating | None, after: Rating | None) -> None:
    """Move the counts of a rating from ``before`` (None: new) to ``after``."""
    delta = _Delta()
    county = _county_of(case.item_id)
    for rating, sign in ((before, -1), (after, 1)):
        if rating is not None:
            delta.add(rating_facts(rating, case), sign, *_rating_groups(rating, case, county))
    delta.write()


def follow_up_changed(case: Case, rating: Rating, before: FollowUp | None,
                      after: FollowUp | None) -> None:
    """Move the counts of a follow-up from ``before`` (None: new) to ``after``."""
    delta = _Delta()
    groups = _rating_groups(rating, case, _county_of(case.item_id))
    delta.add(follow_up_facts(before), -1, *groups)
    delta.add(follow_up_facts(after), 1, *groups)
    delta.write()


# -- From scratch ------------------------------------------------------------------------

def _batched(query, size: int = 2000):
    last = 0
    while True:
        rows = list(query.where(query.model.id > last).order_by(query.model.id).limit(size))
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def rebuild() -> dict:
    """Compute every count from the cases, ratings and follow-ups there are, and put them in
    place of the running totals. Returns how many rows were read.

    One transaction that reads and writes while no change can move a count: on SQLite it
    holds the write lock from its start (``BEGIN IMMEDIATE``); on PostgreSQL it first
    locks the three tables against writes (a change under way waits at its count, not yet
    committed, and adds its own difference once the rebuild has committed; one already
    counted commits before the rebuild reads)."""
    with together():
        if isinstance(db.obj, PostgresqlDatabase):
            tables = ", ".join(f'"{model._meta.table_name}"'
                               for model in (StatCell, StaffCell, StatDays))
            db.execute_sql(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
        delta, read = _from_scratch()
        for model in (StatCell, StaffCell, StatDays):
            model.delete().execute()
        _bulk(delta)
    return dict(read)


def _from_scratch() -> tuple[_Delta, Counter]:
    delta = _Delta()
    read = Counter()
    counties = dict(Item.select(Item.id, Department.jurisdiction).join(
        Department, on=(Item.department == Department.id)).tuples())
    cases = Case.select(Case.id, *[getattr(Case, name) for name in _TRACKED]).where(
        Case.submitted_at.is_null(False))
    known = {}
    for case in _batched(cases):
        read["cases"] += 1
        delta.add(case_facts(case), 1, *_case_groups(case, counties.get(case.item_id)))
    ratings = Rating.select(Rating, Case.id, Case.item, Case.service_point, Case.accepted_at,
                            Case.delivery, Case.ended_at, Case.country).join(
        Case, JOIN.INNER, on=(Rating.case == Case.id))
    for rating in _batched(ratings):
        read["ratings"] += 1
        case = rating.case
        known[rating.id] = (rating, case)
        delta.add(rating_facts(rating, case), 1,
                  *_rating_groups(rating, case, counties.get(case.item_id)))
    for follow_up in _batched(FollowUp.select()):
        read["follow_ups"] += 1
        rating, case = known.get(follow_up.rating_id, (None, None))
        if rating is not None:
            delta.add(follow_up_facts(follow_up), 1,
                      *_rating_groups(rating, case, counties.get(case.item_id)))
    return delta, read


def _bulk(delta: _Delta) -> None:
    rows = defaultdict(list)
    for (model, dims, month), counts in delta.cells.items():
        rows[model].append({**dict(zip(model.DIMENSIONS, dims)), "month": month,
                            **{name: n for name, n in counts.items() if n}})
    for (county, item, point, month, measure, days), n in delta.days.items():
        rows[StatDays].append({"county": county, "item": item, "point": point, "month": month,
                               "measure": measure, "days": days, "n": n})
    for model, batch in rows.items():
        counters = model.counters() if model is not StatDays else ["n"]
        for row in batch:
            for name in counters:
                row.setdefault(name, 0)
        # One statement, sent with executemany: peewee writing a VALUES list of every row
        # took most of a rebuild's time at a province's scale.
        fields = [model._meta.fields[name] for name in batch[0]] if batch else []
        if not fields:
            continue
        sql, _params = model.insert_many(batch[:1], fields=fields).sql()
        cursor = db.cursor()
        for start in range(0, len(batch), 5000):
            cursor.executemany(sql, [[field.db_value(row[field.name]) for field in fields]
                                     for row in batch[start:start + 5000]])
