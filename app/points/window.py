"""Opening hours: the window at home (Beijing time) and the service points abroad.

Everything here is plain computation on aware datetimes, so that the pages,
the appointment slots and the emails agree, across daylight-saving changes too.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.dates import format_skeleton, format_time
from flask import current_app

from ..cases.workdays import is_workday
from ..clock import now
from ..models import WEEKDAYS

BEIJING = ZoneInfo("Asia/Shanghai")


def parse_hhmm(text: str) -> time:
    """``"14:00"`` → ``time(14, 0)``; raises ValueError on anything else."""
    hours, _sep, minutes = (text or "").strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and len(hours) <= 2):
        raise ValueError(text)
    return time(int(hours), int(minutes))


def window_span() -> tuple[time, time]:
    """The window's daily opening hours in Beijing time, from ``WINDOW_HOURS``."""
    opening, _sep, closing = current_app.config["WINDOW_HOURS"].partition("-")
    return parse_hhmm(opening), parse_hhmm(closing)


def zone(name: str | None) -> ZoneInfo | None:
    """The ZoneInfo for an IANA name, or None when the name is unknown."""
    if not name or len(name) > 64 or name not in _zone_names():
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


_ZONES: set | None = None


def _zone_names() -> set:
    global _ZONES
    if _ZONES is None:
        _ZONES = available_timezones()
    return _ZONES


def window_open_on(day: date) -> bool:
    """Whether the window works on this Beijing date (Chinese working days)."""
    return is_workday(day)[0]


@dataclass(frozen=True)
class Span:
    """One opening span as aware datetimes."""

    start: datetime
    end: datetime

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def to(self, tz: ZoneInfo) -> "Span":
        return Span(self.start.astimezone(tz), self.end.astimezone(tz))


def window_span_on(day: date) -> Span | None:
    """The window's opening span on a Beijing date, or None on a day off."""
    if not window_open_on(day):
        return None
    opening, closing = window_span()
    return Span(datetime.combine(day, opening, BEIJING), datetime.combine(day, closing, BEIJING))


def point_spans_on(point_hours: dict, tz: ZoneInfo, day: date) -> list[Span]:
    """A service point's opening spans on one of its local dates."""
    spans = []
    for opening, closing in point_hours.get(WEEKDAYS[day.weekday()], []):
        start = datetime.combine(day, parse_hhmm(opening), tz)
        end = datetime.combine(day, parse_hhmm(closing), tz)
        if end > start:
            spans.append(Span(start, end))
    return spans


def point_is_open(point_hours: dict, tz: ZoneInfo, moment: datetime | None = None) -> bool:
    """Whether a service point is open at ``moment`` (default now), in its own time."""
    moment = moment or now()
    local_day = moment.astimezone(tz).date()
    return any(span.contains(moment) for span in point_spans_on(point_hours, tz, local_day))


def next_point_opening(point_hours: dict, tz: ZoneInfo, moment: datetime | None = None,
                       horizon_days: int = 14) -> datetime | None:
    """When a closed service point next opens (local aware datetime), within two weeks."""
    moment = moment or now()
    local_day = moment.astimezone(tz).date()
    for offset in range(horizon_days):
        for span in point_spans_on(point_hours, tz, local_day + timedelta(days=offset)):
            if span.start > moment:
                return span.start
    return None


def format_span(span: Span, tz: ZoneInfo, locale: str) -> str:
    """A span in ``tz`` as "07:00–15:00"; weekdays are added when it crosses midnight."""
    local = span.to(tz)
    if local.start.date() == local.end.date():
        return (f"{format_time(local.start, 'HH:mm', locale=locale)}–"
                f"{format_time(local.end, 'HH:mm', locale=locale)}")
    return (f"{format_skeleton('EHm', local.start, locale=locale)} – "
            f"{format_skeleton('EHm', local.end, locale=locale)}")


def window_day(moment: datetime) -> tuple[Span | None, bool]:
    """The window's span for today's Beijing date, or for the next working day.

    Returns ``(span, whether it is today's)``; ``(None, False)`` if no working
    day comes within three weeks.
    """
    today = moment.astimezone(BEIJING).date()
    for offset in range(21):
        span = window_span_on(today + timedelta(days=offset))
        if span is not None:
            return span, offset == 0
    return None, False


def next_open_span(moment: datetime) -> Span | None:
    """The window's next span that has not ended at ``moment`` (today's, or a later
    working day's: weekends, public holidays and swapped working days counted)."""
    today = moment.astimezone(BEIJING).date()
    for offset in range(21):
        span = window_span_on(today + timedelta(days=offset))
        if span is not None and moment < span.end:
            return span
    return None
