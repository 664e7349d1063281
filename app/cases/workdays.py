"""Chinese working days: weekends, public holidays and adjusted workdays (调休).

``chinese-calendar`` knows the State Council's calendar for the years it has
been published. For a later year it cannot know the holidays yet; then only
weekends are skipped and the result is marked as an estimate.
"""

import logging
from datetime import date, timedelta

import chinese_calendar

log = logging.getLogger(__name__)


def is_workday(day: date) -> tuple[bool, bool]:
    """``(is a working day, known from the official calendar)``."""
    try:
        return chinese_calendar.is_workday(day), True
    except NotImplementedError:
        return day.weekday() < 5, False


def add_working_days(start: date, days: int) -> tuple[date, bool]:
    """The date ``days`` Chinese working days after ``start`` (``start`` not counted).

    Returns ``(due date, exact)``; ``exact`` is false when a year beyond the
    published calendar was crossed and only weekends could be skipped.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    current, exact, counted = start, True, 0
    while counted < days:
        current += timedelta(days=1)
        working, known = is_workday(current)
        exact = exact and known
        if working:
            counted += 1
    if not exact:
        log.warning("working days counted past the published holiday calendar")
    return current, exact

