"""The clocks over a shift: Beijing time with the window's hours, and the local time of
each overseas service point the staff member works with, with whether it is open now.

Computed on the server for the moment of the request (the page refreshes them every
minute through htmx; without JavaScript they are as of the page's loading)."""

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_time, get_timezone_location

from ..clock import now
from ..i18n import localized
from ..models import PointJurisdiction, ServicePoint
from ..templating import format_locale
from .window import BEIJING, next_open_span, next_point_opening, point_is_open, window_span_on

#: Points listed under one clock; the others are counted.
POINTS_SHOWN = 6


@dataclass
class PointState:
    name: str
    open: bool
    opens: str  # when a closed point opens next, in its own time ("" if not within 2 weeks)


@dataclass
class Clock:
    zone: str
    place: str  # the zone named for people ("Italy Time", "China Time")
    time: str
    day: str
    moment: datetime
    window_open: bool | None = None  # only on Beijing's clock
    window_opens: str = ""
    points: list = field(default_factory=list)
    more: int = 0


def _points_of(staff) -> list:
    """The active service points whose cases reach this staff member: a volunteer's own
    point; for the window, the points serving the counties in its scope."""
    if staff.role == "volunteer":
        return [staff.service_point] if staff.service_point_id else []
    serving = PointJurisdiction.select(PointJurisdiction.service_point).where(
        PointJurisdiction.jurisdiction.in_(staff.scope_ids()))
    return list(ServicePoint.select().where(ServicePoint.active & ServicePoint.id.in_(serving))
                .order_by(ServicePoint.sort, ServicePoint.id))


def _clock(zone: str, moment: datetime, locale: str) -> Clock:
    local = moment.astimezone(ZoneInfo(zone))
    return Clock(zone=zone, place=get_timezone_location(ZoneInfo(zone), locale=locale,
                                                        return_city=False),
                 time=format_time(local, "HH:mm", locale=locale),
                 day=format_skeleton("MMMEd", local, locale=locale), moment=local)


def _when(moment: datetime, locale: str) -> str:
    return format_skeleton("EHm", moment, locale=locale)


def clocks(staff, moment: datetime | None = None) -> list[Clock]:
    """Beijing first, then one clock per time zone of the staff member's points (east to
    west, as the day moves), each with its points open or closed, in the page's language."""
    moment, locale = moment or now(), format_locale()
    beijing = _clock("Asia/Shanghai", moment, locale)
    today = window_span_on(moment.astimezone(BEIJING).date())
    beijing.window_open = bool(today and today.contains(moment))
    if not beijing.window_open:
        upcoming = next_open_span(moment)
        beijing.window_opens = _when(upcoming.start, locale) if upcoming else ""
    zones: dict[str, Clock] = {}
    for point in _points_of(staff):
        tz = ZoneInfo(point.timezone)
        clock = zones.get(point.timezone)
        if clock is None:
            clock = zones[point.timezone] = _clock(point.timezone, moment, locale)
        if len(clock.points) >= POINTS_SHOWN:
            clock.more += 1
            continue
        is_open = point_is_open(point.hours, tz, moment)
        opens = "" if is_open else next_point_opening(point.hours, tz, moment)
        clock.points.append(PointState(localized(point.city), is_open,
                                       _when(opens, locale) if opens else ""))
    others = sorted((c for z, c in zones.items() if z != "Asia/Shanghai"),
                    key=lambda c: -c.moment.utcoffset().total_seconds())
    if "Asia/Shanghai" in zones:
        beijing.points = zones["Asia/Shanghai"].points
    return [beijing, *others]
