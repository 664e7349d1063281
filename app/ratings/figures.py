"""The public statistics' figures, summed from the counters and never from the cases.

A :class:`Scope` is what the page shows: a county (or all), an item of it (or all), an
overseas service point (or all, or :data:`ONLINE`: sent without one), and a range of
whole months (Beijing time). :func:`figures` reads, for that scope, the one
:class:`~app.models.StatCell` row per month (one indexed range query) and the
:class:`~app.models.StatDays` histograms of the same months (one more), and turns them
into a row per month and a row for the whole range: counts, shares, medians, the
satisfaction rate, trips avoided and what they stand for in yuan. The question figures
come from :func:`app.questions.figures.month_figures` for the same county and months.

Groups with fewer than ``STATISTICS_MIN_GROUP`` cases are not shown: a month (or the
total) whose cases number 1 to 4 shows none of its counts; a share or a median computed
from 1 to 4 results, promises or ratings is not shown either (:class:`Row`).
"""

from dataclasses import dataclass
from datetime import date

from flask import current_app

from ..clock import beijing_today
from ..models import StatCell, StatDays
from ..models.ratings import LEVELS, SATISFIED_LEVELS
from ..questions import figures as question_figures
from .tally import NO_POINT

#: The point filter's value for cases sent without a service point (online, alone).
ONLINE = "online"
#: The longest range of months the page shows.
MAX_MONTHS = 24
#: Months shown when none are asked for: the last 12 whole months and this one.
DEFAULT_MONTHS = 13
#: The first month the page accepts (nothing was sent before).
FIRST_MONTH = 201501

#: Counts of the case section, and those of the rating section.
CASE_COUNTS = ("received", "accepted", "results", "on_time", "delivered", "deferred",
               "deferred_on_time")
RATING_COUNTS = ("rated", "level_5", "level_4", "level_3", "level_2", "level_1", "excluded",
                 "visits_0", "visits_1", "visits_2", "visits_3", "guide_yes",
                 "guide_partly", "guide_no", "trips_abroad", "trips_province")
_READ = CASE_COUNTS + RATING_COUNTS + ("demo",)


# -- Months -------------------------------------------------------------------------------

def month_index(month: int) -> int:
    """Months since year 0 of ``yyyymm``: consecutive months differ by one."""
    return (month // 100) * 12 + month % 100 - 1


def month_of_index(index: int) -> int:
    """``yyyymm`` of :func:`month_index`."""
    return (index // 12) * 100 + index % 12 + 1


def months_between(first: int, last: int) -> list[int]:
    """Every ``yyyymm`` from ``first`` to ``last``, both included."""
    return [month_of_index(i) for i in range(month_index(first), month_index(last) + 1)]


def month_start(month: int) -> date:
    """The first day of ``yyyymm``."""
    return date(month // 100, month % 100, 1)


def this_month() -> int:
    """``yyyymm`` of today at the window."""
    today = beijing_today()
    return today.year * 100 + today.month


def default_range() -> tuple[int, int]:
    """The last 12 whole months and the current one."""
    last = this_month()
    return month_of_index(month_index(last) - DEFAULT_MONTHS + 1), last


# -- What is shown ------------------------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """A filter of the page: ``county``, ``item`` and ``point`` as the counters' dimensions
    (0: all; ``point`` -1: no service point), and the months ``first`` to ``last``
    (``yyyymm``)."""

    county: int = 0
    item: int = 0
    point: int = 0
    first: int = 0
    last: int = 0

    @property
    def months(self) -> list[int]:
        """The months shown, oldest first."""
        return months_between(self.first, self.last)


def median_of(histogram: dict) -> float | None:
    """The median of values counted in ``{value: how many}`` (the mean of the two middle
    values when their number is even); None when empty."""
    total = sum(n for n in histogram.values() if n > 0)
    if not total:
        return None
    wanted = [(total + 1) // 2, (total + 2) // 2]  # 1-based ranks of the middle value(s)
    found, seen = [], 0
    for value in sorted(histogram):
        n = histogram[value]
        if n <= 0:
            continue
        seen += n
        while wanted and wanted[0] <= seen:
            found.append(value)
            wanted.pop(0)
        if not wanted:
            break
    return sum(found) / len(found)


class Row:
    """One month (``month`` yyyymm) or the whole range (``month`` None) of the scope.

    ``shown``: the group has no case, or at least the smallest group's number (else
    nothing of it is shown). Each share and median is None when not shown: nothing to
    compute it from, or fewer than the smallest group behind it."""

    def __init__(self, month: int | None, counts: dict, days: dict, smallest: int,
                 rates: tuple[int, int]):
        self.month = month
        self.counts = counts
        self.smallest = smallest
        c = counts
        self.size = max(c["received"], c["accepted"], c["results"], c["delivered"], c["rated"])
        self.shown = self.size == 0 or self.size >= smallest
        self.ratings_shown = self.shown and (c["rated"] == 0 or c["rated"] >= smallest)
        self.share_on_time = self._share(c["on_time"], c["results"])
        self.median_taken = self._median(days.get("taken", {}), c["results"])
        self.median_limit = self._median(days.get("limit", {}), c["results"])
        self.share_deferred_on_time = self._share(c["deferred_on_time"], c["deferred"])
        satisfied = sum(c[f"level_{level}"] for level in SATISFIED_LEVELS)
        self.satisfaction = self._share(satisfied, c["rated"])
        self.level_shares = {level: self._share(c[f"level_{level}"], c["rated"])
                             for level in LEVELS}
        abroad, province = rates
        self.trips = c["trips_abroad"] + c["trips_province"]
        self.money_abroad = c["trips_abroad"] * abroad
        self.money_province = c["trips_province"] * province
        self.money = self.money_abroad + self.money_province

    def __getattr__(self, name):
        counts = self.__dict__.get("counts") or {}
        if name in counts:
            return counts[name]
        raise AttributeError(name)

    def _share(self, part: int, whole: int) -> float | None:
        return part / whole if self.shown and whole >= self.smallest else None

    def _median(self, histogram: dict, whole: int) -> float | None:
        return median_of(histogram) if self.shown and whole >= self.smallest else None


@dataclass
class Figures:
    """What the page shows of a scope."""

    scope: Scope
    months: list  # of Row, oldest first
    total: Row
    questions: dict  # app.questions.figures.month_figures()
    rates: tuple  # yuan per trip abroad, across provinces
    smallest: int

    @property
    def demo(self) -> int:
        """Demonstration cases among those received in the range."""
        return self.total.counts["demo"]

    @property
    def has_data(self) -> bool:
        """Anything at all happened in the scope and months."""
        return self.total.size > 0


def _cells(scope: Scope) -> dict:
    """``{month: {counter: n}}``: one indexed range read."""
    fields = [getattr(StatCell, name) for name in _READ]
    query = (StatCell.select(StatCell.month, *fields)
             .where((StatCell.county == scope.county) & (StatCell.item == scope.item)
                    & (StatCell.point == scope.point)
                    & StatCell.month.between(scope.first, scope.last))
             .tuples())
    return {row[0]: dict(zip(_READ, row[1:])) for row in query}


def _days(scope: Scope) -> dict:
    """``{month: {measure: {days: n}}}``: one indexed range read of the histograms."""
    query = (StatDays.select(StatDays.month, StatDays.measure, StatDays.days, StatDays.n)
             .where((StatDays.county == scope.county) & (StatDays.item == scope.item)
                    & (StatDays.point == scope.point)
                    & StatDays.month.between(scope.first, scope.last)
                    & (StatDays.n > 0))
             .tuples())
    found = {}
    for month, measure, days, n in query:
        found.setdefault(month, {}).setdefault(measure, {})[days] = n
    return found


def _merged(histograms) -> dict:
    merged = {}
    for by_measure in histograms:
        for measure, counts in by_measure.items():
            into = merged.setdefault(measure, {})
            for days, n in counts.items():
                into[days] = into.get(days, 0) + n
    return merged


def figures(scope: Scope, county_ids: list[int] | None = None) -> Figures:
    """The figures of ``scope``: a :class:`Row` per month and one for the whole range, and
    the question figures of the county ``county_ids`` (None: every county)."""
    config = current_app.config
    smallest = max(1, int(config["STATISTICS_MIN_GROUP"]))
    rates = (int(config["TRIP_ABROAD_YUAN"]), int(config["TRIP_PROVINCE_YUAN"]))
    cells, days = _cells(scope), _days(scope)
    empty = dict.fromkeys(_READ, 0)
    months = [Row(month, cells.get(month, empty), days.get(month, {}), smallest, rates)
              for month in scope.months]
    totals = {name: sum(cell[name] for cell in cells.values()) for name in _READ}
    total = Row(None, totals, _merged(days.values()), smallest, rates)
    questions = question_figures.month_figures(
        county_ids, month_start(scope.first),
        month_start(month_of_index(month_index(scope.last) + 1)), smallest)
    return Figures(scope, months, total, questions, rates, smallest)


def point_dimension(point_id: int | None, online: bool) -> int:
    """The counters' ``point`` of a filter: a point's id, -1 for online, 0 for all."""
    if online:
        return NO_POINT
    return point_id or 0
