"""The public statistics' figures, summed from the counters and never from the cases.

A :class:`Scope` is what the page shows: a county (or all), an item of it (or all), an
overseas service point (or all, or :data:`ONLINE`: sent without one), and a range of
whole months (Beijing time). :func:`figures` reads, for that scope, the one
:class:`~app.models.StatCell` row per month (one indexed range query) and the
:class:`~app.models.StatDays` histograms of the same months (one more), and turns them
into a row per month and a row for the whole range: counts, shares, medians, the
satisfaction rate, trips avoided and what they stand for in yuan. The question figures
come from :func:`app.questions.figures.month_figures` for the same county and months.

Groups with fewer than ``STATISTICS_MIN_GROUP`` cases are not shown: a month whose cases
number 1 to 4 shows none of its counts; a share or a median computed from 1 to 4
results, promises or ratings is not shown either (:class:`Row`). Nor can subtraction
bring them back:

- the total is the sum of the months shown, each figure of it of the months where that
  figure is shown, so two ranges differ only by figures the page shows anyway;
- a month of a chosen county, service or service point is hidden too when the rest of
  the wider choice without it (all counties; the county without the service; the
  county, or every county, without the point: :func:`parents`) has 1 to 4 cases in that
  month, counted as a group's are (:func:`size_of`), or 1 to 4 ratings (then its ratings
  alone are hidden): one more indexed read per wider choice. This is one level of
  complementary suppression: it keeps a group from being recovered as a wider choice
  minus this one, not as a wider choice minus several of its parts shown one by one.
"""

from dataclasses import dataclass, replace
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


def size_of(counts: dict) -> int:
    """How many cases a group's counts stand for (the largest of its case counts)."""
    return max(counts["received"], counts["accepted"], counts["results"], counts["delivered"],
               counts["rated"])


def complement(parent: dict, counts: dict) -> dict:
    """The counts of the rest of a wider choice: ``parent`` less ``counts``."""
    return {name: parent[name] - counts[name] for name in counts}


#: The shares of the case section (:class:`Row` attribute: part, whole), and the medians
#: (attribute: histogram, whole): the total adds up the months where each is shown.
SHARES = {"share_on_time": ("on_time", "results"),
          "share_deferred_on_time": ("deferred_on_time", "deferred")}
MEDIANS = {"median_taken": ("taken", "results"), "median_limit": ("limit", "results")}


class Row:
    """One month (``month`` yyyymm) of the scope, or the whole range (``month`` None: see
    :func:`total_of`).

    ``shown``: the group has no case, or at least the smallest group's number, and so has
    the rest of each wider choice (``rests``: their counts less these; none or at least
    the smallest number), else nothing of it is shown (``hidden``: ``small``, or
    ``rest`` when only a rest is too small). ``ratings_shown`` likewise for the ratings.
    Each share and median is None when not shown: nothing to compute it from, or fewer
    than the smallest group behind it or behind a rest's."""

    def __init__(self, month: int | None, counts: dict, days: dict, smallest: int,
                 rates: tuple[int, int], rests: tuple = ()):
        self.month = month
        self.counts = counts
        self.smallest = smallest
        self.rests = rests
        c = counts
        self.size = size_of(c)
        self.hidden = self._why_hidden(self.size, [size_of(r) for r in rests])
        self.shown = self.hidden is None
        self.ratings_hidden = self.hidden or self._why_hidden(
            c["rated"], [r["rated"] for r in rests])
        self.ratings_shown = self.ratings_hidden is None
        for name, (part, whole) in SHARES.items():
            setattr(self, name, self._share(c[part], whole))
        for name, (measure, whole) in MEDIANS.items():
            setattr(self, name, self._median(days.get(measure, {}), whole))
        satisfied = sum(c[f"level_{level}"] for level in SATISFIED_LEVELS)
        self.satisfaction = self._share(satisfied, "rated")
        self.level_shares = {level: self._share(c[f"level_{level}"], "rated")
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

    def _few(self, n: int) -> bool:
        return 0 < n < self.smallest

    def _why_hidden(self, size: int, rests: list) -> str | None:
        if size == 0:
            return None
        if self._few(size):
            return "small"
        return "rest" if any(self._few(n) for n in rests) else None

    def _enough(self, whole: str) -> bool:
        return (self.shown and self.counts[whole] >= self.smallest
                and not any(self._few(r[whole]) for r in self.rests))

    def _share(self, part: int, whole: str) -> float | None:
        return part / self.counts[whole] if self._enough(whole) else None

    def _median(self, histogram: dict, whole: str) -> float | None:
        return median_of(histogram) if self._enough(whole) else None


def total_of(months: list, days: dict, smallest: int, rates: tuple[int, int]) -> Row:
    """The row of the whole range: the sum of the months shown (the case counts of the
    months whose cases are shown, the rating counts of those whose ratings are), each
    share and median from the months where it is shown. So it says nothing a month not
    shown would add: two ranges' totals differ by months the page shows.

    Not shown (``hidden`` ``none``) when months have cases but none of them is shown."""
    counts = dict.fromkeys(_READ, 0)
    for row in months:
        names = (CASE_COUNTS + ("demo",) if row.shown else ()) + (
            RATING_COUNTS if row.ratings_shown else ())
        for name in names:
            counts[name] += row.counts[name]
    # Every month added up is shown: the total needs no smallest group of its own.
    total = Row(None, counts, {}, 1, rates)
    total.smallest = smallest
    for name, (part, whole) in SHARES.items():
        used = [r for r in months if getattr(r, name) is not None]
        whole_n = sum(r.counts[whole] for r in used)
        setattr(total, name, sum(r.counts[part] for r in used) / whole_n if whole_n else None)
    for name, (measure, _whole) in MEDIANS.items():
        used = [days.get(r.month, {}) for r in months if getattr(r, name) is not None]
        setattr(total, name, median_of(_merged(used).get(measure, {})) if used else None)
    if not total.size and any(r.size for r in months):
        total.hidden, total.shown = "none", False
    if not total.rated and any(r.rated for r in months):
        total.ratings_hidden, total.ratings_shown = total.hidden or "none", False
    return total


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
        """Anything at all happened in the scope and months (shown or not)."""
        return any(row.size for row in self.months)


def _cells(scope: Scope) -> dict:
    """``{month: {counter: n}}``: one indexed range read."""
    fields = [getattr(StatCell, name) for name in _READ]
    query = (StatCell.select(StatCell.month, *fields)
             .where((StatCell.county == scope.county) & (StatCell.item == scope.item)
                    & (StatCell.point == scope.point)
                    & StatCell.month.between(scope.first, scope.last))
             .tuples())
    return {row[0]: dict(zip(_READ, row[1:])) for row in query}


def parents(scope: Scope) -> list[Scope]:
    """The wider choices of ``scope``, one dimension let go: the county's services
    without the service; the county (or every county) without the service point; every
    county without the county (a service is always of its county's)."""
    found = []
    if scope.item:
        found.append(replace(scope, item=0))
    if scope.point:
        found.append(replace(scope, point=0))
    if scope.county and not scope.item:
        found.append(replace(scope, county=0))
    return found


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
    wider = [_cells(parent) for parent in parents(scope)]
    empty = dict.fromkeys(_READ, 0)
    months = []
    for month in scope.months:
        counts = cells.get(month, empty)
        rests = tuple(complement(parent.get(month, empty), counts) for parent in wider)
        months.append(Row(month, counts, days.get(month, {}), smallest, rates, rests))
    total = total_of(months, days, smallest, rates)
    questions = question_figures.month_figures(
        county_ids, month_start(scope.first),
        month_start(month_of_index(month_index(scope.last) + 1)), smallest)
    return Figures(scope, months, total, questions, rates, smallest)


def point_dimension(point_id: int | None, online: bool) -> int:
    """The counters' ``point`` of a filter: a point's id, -1 for online, 0 for all."""
    if online:
        return NO_POINT
    return point_id or 0
