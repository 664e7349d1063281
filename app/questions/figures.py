"""The window's question figures: questions per week, median time to a first answer,
share of first answers given by their due time, suggestions that resolved a question.

Plain data (dicts of numbers and dates) from SQL aggregates, for the supervisors' page
and the statistics (issue 18). Weeks are ISO weeks at the window (Monday 00:00 Beijing
time). Each figure is one query over the range of ``created_at`` (indexed): the weeks
are a CASE over the week boundaries, the medians a window function (ROW_NUMBER and
COUNT over each week, ordered by the time to answer), the same SQL on SQLite and
PostgreSQL but for the difference of two timestamps (:func:`hours_between`).
"""

from dataclasses import dataclass, field as dc_field
from datetime import date, datetime, time, timedelta, timezone

from peewee import SQL, Case as SqlCase, Cast, PostgresqlDatabase, Value, fn

from ..clock import BEIJING, beijing_today, utcnow
from ..forms import to_int
from ..models import Office, Question, SuggestionShown, db

#: The periods the page offers, in weeks.
PERIODS = (4, 12, 52)
DEFAULT_WEEKS = 12
#: An opened suggestion whose asker sent nothing within this time resolved the question.
RESOLVED_AFTER = timedelta(hours=1)


def hours_between(start, end):
    """``end - start`` in hours, as SQL (the one place the two databases differ)."""
    if isinstance(db.obj, PostgresqlDatabase):
        return fn.date_part("epoch", end - start) / 3600.0
    return (fn.julianday(end) - fn.julianday(start)) * 24.0


def beijing_month(column):
    """``yyyymm`` (text) of the month at the window a stored time falls in, as SQL (one
    call a row, where a CASE over the months' bounds makes a comparison a month)."""
    if isinstance(db.obj, PostgresqlDatabase):
        return fn.to_char(column + SQL("interval '8 hours'"), "YYYYMM")
    return fn.strftime("%Y%m", column, "+8 hours")


def utc_of(day: date) -> datetime:
    """Midnight at the window on ``day``, as naive UTC."""
    return datetime.combine(day, time(0), tzinfo=BEIJING).astimezone(timezone.utc).replace(
        tzinfo=None)


def week_starts(since: date, until: date) -> list[date]:
    """The Mondays of the weeks from the one holding ``since`` to the one before ``until``."""
    first = since - timedelta(days=since.weekday())
    return [first + timedelta(weeks=n) for n in range((until - first).days // 7 + (
        1 if (until - first).days % 7 else 0))]


class Periods:
    """Consecutive periods (weeks, months) as SQL: which one a time falls in, and the
    whole span (an indexed range of the column)."""

    def __init__(self, first: date, ends: list[date]):
        self.first = first
        self.ends = ends

    @classmethod
    def weeks(cls, starts: list[date]) -> "Periods":
        """The weeks beginning on ``starts``."""
        return cls(starts[0], [start + timedelta(weeks=1) for start in starts])

    def index_of(self, column):
        """The index of the period ``column`` falls in, as SQL."""
        return SqlCase(None, [(column < utc_of(end), index)
                              for index, end in enumerate(self.ends)], len(self.ends))

    def contains(self, column):
        """``column`` within the span, as SQL."""
        return (column >= utc_of(self.first)) & (column < utc_of(self.ends[-1]))


def _counts(condition, periods: Periods) -> dict:
    """Per period: questions, first answers, first answers in time."""
    inner = (Question.select(periods.index_of(Question.created_at).alias("week"),
                             Question.first_answered_at, Question.answered_in_time)
             .where(condition & periods.contains(Question.created_at)))
    inner = inner.alias("q")
    query = (Question.select(inner.c.week, fn.COUNT(Value(1)).alias("asked"),
                             fn.COUNT(inner.c.first_answered_at).alias("answered"),
                             fn.SUM(SqlCase(None, [(inner.c.answered_in_time == True, 1)],  # noqa: E712
                                            0)).alias("in_time"))
             .from_(inner).group_by(inner.c.week).tuples())
    return {week: (asked, answered, in_time or 0) for week, asked, answered, in_time in query}


def _medians(condition, periods: Periods, by_week: bool) -> dict:
    """The median hours to a first answer per period (``by_week``), or over all (key None):
    the middle row (or the mean of the two middle rows) of the answered questions
    ordered by that time."""
    week = periods.index_of(Question.created_at) if by_week else Value(0)
    base = (Question.select(week.alias("week"), hours_between(
        Question.created_at, Question.first_answered_at).alias("hours"))
        .where(condition & periods.contains(Question.created_at)
               & Question.first_answered_at.is_null(False))).alias("b")
    ranked = (Question.select(base.c.week, base.c.hours, fn.ROW_NUMBER().over(
        partition_by=[base.c.week], order_by=[base.c.hours]).alias("rn"),
        fn.COUNT(Value(1)).over(partition_by=[base.c.week]).alias("n"))
        .from_(base)).alias("r")
    query = (Question.select(ranked.c.week, fn.AVG(ranked.c.hours))
             .from_(ranked)
             .where(ranked.c.rn.in_([(ranked.c.n + 1) / 2, (ranked.c.n + 2) / 2]))
             .group_by(ranked.c.week).tuples())
    # julianday() is exact to about a millisecond: a tenth of a second is plenty.
    return {(week if by_week else None): round(float(hours), 5) for week, hours in query}


def _suggestions(jurisdiction_ids, periods: Periods) -> dict:
    """Per week: answer lists shown to askers, of them opened, and opened with no
    question sent after an hour (resolved)."""
    settled = utcnow() - RESOLVED_AFTER
    inner = (SuggestionShown.select(
        periods.index_of(SuggestionShown.created_at).alias("week"), SuggestionShown.opened_at,
        SuggestionShown.question, SuggestionShown.created_at)
        .where(SuggestionShown.jurisdiction.in_(jurisdiction_ids)
               & periods.contains(SuggestionShown.created_at))).alias("s")
    resolved = SqlCase(None, [(inner.c.opened_at.is_null(False) & inner.c.question_id.is_null()
                               & (inner.c.created_at < settled), 1)], 0)
    query = (SuggestionShown.select(inner.c.week, fn.COUNT(Value(1)),
                                    fn.COUNT(inner.c.opened_at), fn.SUM(resolved))
             .from_(inner).group_by(inner.c.week).tuples())
    return {week: (shown, opened, solved or 0) for week, shown, opened, solved in query}


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _row(start: date, asked=0, answered=0, in_time=0, median=None, shown=0, opened=0,
         resolved=0) -> dict:
    year, number, _day = start.isocalendar()
    return {"week": f"{year}-W{number:02d}", "start": start, "asked": asked,
            "answered": answered, "answered_in_time": in_time,
            "share_in_time": _share(in_time, answered), "median_hours": median,
            "suggestions_shown": shown, "suggestions_opened": opened,
            "suggestions_resolved": resolved}


def _figures(condition, jurisdiction_ids, since: date, until: date) -> dict:
    starts = week_starts(since, until)
    if condition is None or not starts:
        return {"weeks": [], "totals": _row(since)}
    periods = Periods.weeks(starts)
    counts = _counts(condition, periods)
    medians = _medians(condition, periods, by_week=True)
    suggested = _suggestions(jurisdiction_ids, periods) if jurisdiction_ids else {}
    weeks = [_row(start, *counts.get(index, (0, 0, 0)), medians.get(index),
                  *suggested.get(index, (0, 0, 0))) for index, start in enumerate(starts)]
    totals = _row(starts[0], *(sum(w[key] for w in weeks) for key in (
        "asked", "answered", "answered_in_time")), _medians(condition, periods, False).get(None),
        *(sum(w[key] for w in weeks) for key in (
            "suggestions_shown", "suggestions_opened", "suggestions_resolved")))
    totals["week"] = ""
    return {"weeks": weeks, "totals": totals}


def window_figures(office_ids, since: date, until: date) -> dict:
    """The figures of the windows ``office_ids`` for the weeks from ``since`` to ``until``
    (days at the window, ``until`` excluded): ``{"weeks": [row, …], "totals": row}``,
    each row ``week`` (ISO, ``2026-W47``), ``start`` (its Monday), ``asked``,
    ``answered`` (a first answer given), ``answered_in_time``, ``share_in_time`` (of the
    answered; None without any), ``median_hours`` (created to first answer; None without
    any), ``suggestions_shown``, ``suggestions_opened`` and ``suggestions_resolved``
    (opened, no question sent after an hour) in the windows' counties."""
    office_ids = list(office_ids)
    if not office_ids:
        return _figures(None, [], since, until)
    counties = sorted({o.jurisdiction_id for o in Office.select(Office.jurisdiction)
                       .where(Office.id.in_(office_ids))})
    return _figures(Question.office.in_(office_ids), counties, since, until)


def staff_figures(staff, choice: "Choice") -> dict:
    """The figures of the page: of the questions ``staff`` may open (exactly
    :meth:`Question.visible_to`, so the page never counts a question the account could
    not open, nor leaves out one it could), of the chosen window when one is chosen;
    suggestions in the counties of the account's windows (or the chosen one's)."""
    condition = Question.visible_to(staff)
    if condition is not None and choice.office:
        condition &= Question.office == choice.office
    counties = sorted({o.jurisdiction_id for o in choice.offices
                       if not choice.office or o.id == choice.office})
    return _figures(condition, counties, choice.since, choice.until)


def county_figures(jurisdiction_ids, since: date, until: date) -> dict:
    """The same figures for every question of the jurisdictions ``jurisdiction_ids``."""
    jurisdiction_ids = list(jurisdiction_ids)
    condition = Question.jurisdiction.in_(jurisdiction_ids) if jurisdiction_ids else None
    return _figures(condition, jurisdiction_ids, since, until)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _tenths(condition, periods: Periods) -> dict:
    """Per month (``yyyymm`` at the window): how many questions took each number of tenths
    of an hour to a first answer (None: not answered yet), and of them how many were
    answered in time; one scan of the range, no sorting."""
    tenths = Cast(fn.ROUND(hours_between(Question.created_at, Question.first_answered_at)
                           * 10.0), "INTEGER")
    inner = (Question.select(beijing_month(Question.created_at).alias("period"),
                             tenths.alias("tenths"), Question.answered_in_time)
             .where(condition & periods.contains(Question.created_at))).alias("q")
    query = (Question.select(inner.c.period, inner.c.tenths, fn.COUNT(Value(1)),
                             fn.SUM(SqlCase(None, [(inner.c.answered_in_time == True, 1)],  # noqa: E712
                                            0)))
             .from_(inner).group_by(inner.c.period, inner.c.tenths).tuples())
    found = {}
    for month, tenth, n, in_time in query:
        found.setdefault(int(month), {})[tenth] = (n, in_time or 0)
    return found


def _median_tenths(histogram: dict) -> float | None:
    """The median of ``{tenths of an hour: n}`` in hours (the mean of the two middle
    values when their number is even)."""
    total = sum(histogram.values())
    if not total:
        return None
    wanted, found, seen = [(total + 1) // 2, (total + 2) // 2], [], 0
    for value in sorted(histogram):
        seen += histogram[value]
        while wanted and wanted[0] <= seen:
            found.append(value)
            wanted.pop(0)
    return round(sum(found) / len(found) / 10, 5)


def _month_row(month, histogram: dict, smallest: int) -> dict:
    asked = sum(n for n, _in_time in histogram.values())
    answered = sum(n for tenth, (n, _t) in histogram.items() if tenth is not None)
    in_time = sum(t for _n, t in histogram.values())
    shown = asked == 0 or asked >= smallest
    enough = shown and answered >= smallest
    median = _median_tenths({tenth: n for tenth, (n, _t) in histogram.items()
                             if tenth is not None}) if enough else None
    return {"month": month, "shown": shown, "asked": asked, "answered": answered,
            "answered_in_time": in_time,
            "share_in_time": _share(in_time, answered) if enough else None,
            "median_hours": median}


def month_figures(jurisdiction_ids, since: date, until: date, smallest: int = 1) -> dict:
    """The public statistics' question figures: of the counties ``jurisdiction_ids``
    (None: every question), per month from ``since`` (a first of the month) to ``until``
    (the first of the month after the last): ``{"months": [row, …], "totals": row}``,
    each row ``month`` (``yyyymm``; None for the totals), ``asked``, ``answered``,
    ``answered_in_time``, ``share_in_time`` and ``median_hours`` (created to first
    answer, to the tenth of an hour: what the page shows). A row with 1 to
    ``smallest - 1`` questions is not ``shown``; a share or median from fewer than
    ``smallest`` answers is None.

    One query, one scan of the range of ``created_at`` without sorting: per month, how
    many questions took each tenth of an hour (the medians are read from these counts,
    the total's from their sum). The range is read from a covering index alone
    (``jurisdiction_id, created_at, first_answered_at, answered_in_time`` for a county;
    the same without the county for all; migration ``_ratings_stats``): the cost follows
    the questions of the months shown, not all questions, and no row is looked up."""
    ends, start = [], since
    while start < until:
        start = _next_month(start)
        ends.append(start)
    if not ends:
        return {"months": [], "totals": _month_row(None, {}, smallest)}
    keys = [day.year * 100 + day.month for day in [since, *ends[:-1]]]
    if jurisdiction_ids is None:
        condition = Question.created_at.is_null(False)
    else:
        condition = Question.jurisdiction.in_(list(jurisdiction_ids) or [0])
    found = _tenths(condition, Periods(since, ends))
    months = [_month_row(key, found.get(key, {}), smallest) for key in keys]
    return {"months": months, "totals": _total_row(months, found, smallest)}


def _total_row(months: list, found: dict, smallest: int) -> dict:
    """The totals of the months shown only (the share and median of the months where they
    are shown), so that two ranges' totals differ by nothing the rows do not show."""
    total = {}
    for row in months:
        if row["median_hours"] is None:  # not shown, or too few answers
            continue
        for tenth, (n, in_time) in found.get(row["month"], {}).items():
            before = total.get(tenth, (0, 0))
            total[tenth] = (before[0] + n, before[1] + in_time)
    totals = _month_row(None, total, smallest)
    totals["shown"] = True
    # Questions of months whose share and median are hidden still count as asked and
    # answered (the rows show those counts).
    totals["asked"] = sum(row["asked"] for row in months if row["shown"])
    totals["answered"] = sum(row["answered"] for row in months if row["shown"])
    if not totals["asked"] and any(row["asked"] for row in months):
        totals["shown"] = False
    return totals


@dataclass
class Choice:
    """What the figures page shows: which windows, which weeks."""

    offices: list
    office: int | None
    weeks: int
    since: date
    until: date
    office_ids: list = dc_field(default_factory=list)

    @property
    def last_day(self) -> date:
        """The last day shown (``until`` is the day after)."""
        return self.until - timedelta(days=1)


def parse_choice(args, staff) -> Choice:
    """The page's choice from ``?office=&weeks=``: one of the account's windows (or all
    of them), the last 4, 12 or 52 weeks up to this one; anything else, the defaults."""
    offices = list(Office.select().where(Office.id.in_(staff.office_ids()))
                   .order_by(Office.sort, Office.id))
    chosen = to_int(args.get("office"), 0)
    office = chosen if any(o.id == chosen for o in offices) else None
    weeks = to_int(args.get("weeks"), DEFAULT_WEEKS)
    weeks = weeks if weeks in PERIODS else DEFAULT_WEEKS
    today = beijing_today()
    until = today - timedelta(days=today.weekday()) + timedelta(weeks=1)
    return Choice(offices, office, weeks, until - timedelta(weeks=weeks), until,
                  [office] if office else [o.id for o in offices])
