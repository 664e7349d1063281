"""The public directory of service points, ``/<lang>/service-points``, and how its times
are named."""

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton, format_time, get_timezone_location
from babel.lists import format_list
from flask import make_response, render_template, request
from flask_babel import gettext as _

from ..authz import public
from ..clock import now
from ..i18n import localized
from ..models import WEEKDAYS, ServicePoint
from ..templating import current_locale, format_locale
from . import window
from .window import format_span, window_day
from .blueprint import bp
from .service import active_points

#: Zones offered in the "my time zone" list, besides those of the points.
COMMON_ZONES = ("Europe/London", "Europe/Lisbon", "Europe/Madrid", "Europe/Paris",
                "Europe/Rome", "Europe/Berlin", "Europe/Amsterdam", "Europe/Athens",
                "Europe/Istanbul", "Europe/Moscow", "Asia/Dubai", "Africa/Johannesburg",
                "Africa/Lagos", "Africa/Nairobi", "America/New_York", "America/Chicago",
                "America/Los_Angeles", "America/Toronto", "America/Sao_Paulo",
                "Asia/Shanghai", "Asia/Singapore", "Asia/Tokyo",
                "Australia/Sydney", "Pacific/Auckland")


# -- Times, named for people ------------------------------------------------------------------

def utc_offset(moment: datetime) -> str:
    """``UTC+1``, ``UTC-4``, ``UTC+5:30`` or ``UTC`` for an aware datetime."""
    minutes = int(moment.utcoffset().total_seconds() // 60)
    if not minutes:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'+' if minutes > 0 else '-'}{hours}" + (f":{rest:02d}" if rest else "")


def point_zone_label(point: ServicePoint, moment: datetime) -> str:
    """The point's time named after its city, with the offset then: "Milan time (UTC+1)"."""
    local = moment.astimezone(ZoneInfo(point.timezone))
    return _("%(city)s time (%(offset)s)", city=localized(point.city), offset=utc_offset(local))


def zone_label(name: str, moment: datetime, locale: str) -> str:
    """A zone by its place, with the offset at ``moment``: "France Time (UTC+1)"."""
    tz = ZoneInfo(name)
    return f"{get_timezone_location(tz, locale=locale)} ({utc_offset(moment.astimezone(tz))})"


def point_status(point: ServicePoint, moment: datetime, locale: str) -> tuple[bool, str]:
    """``(open now, what to say)``: "Open now · until 12:30", "Closed now · opens Tue 09:30"."""
    tz = ZoneInfo(point.timezone)
    hours = point.hours or {}
    if window.point_is_open(hours, tz, moment):
        local_day = moment.astimezone(tz).date()
        end = next(s.end for s in window.point_spans_on(hours, tz, local_day) if s.contains(moment))
        return True, _("Open now · until %(time)s", time=format_time(end, "HH:mm", locale=locale))
    opening = window.next_point_opening(hours, tz, moment)
    if opening is None:
        return False, _("Closed now")
    days = (opening.date() - moment.astimezone(tz).date()).days
    if days == 0:
        return False, _("Closed now · opens at %(time)s",
                        time=format_time(opening, "HH:mm", locale=locale))
    skeleton = "EHm" if days < 7 else "MMMEdHm"
    return False, _("Closed now · opens %(when)s",
                    when=format_skeleton(skeleton, opening, locale=locale))


@lru_cache(maxsize=64)
def _weekday_names(locale: str) -> tuple[str, ...]:
    days = Locale.parse(locale).days["format"]["wide"]
    return tuple(days[i] for i in range(7))


def point_card(point: ServicePoint, moment: datetime, span: window.Span | None,
               locale: str) -> dict:
    """Everything the directory shows about one point, computed for ``moment``."""
    tz = ZoneInfo(point.timezone)
    names = Locale.parse(current_locale())
    today = WEEKDAYS[moment.astimezone(tz).weekday()]
    is_open, status = point_status(point, moment, locale)
    hours = [(day, _weekday_names(locale)[i],
              ", ".join(f"{a}–{b}" for a, b in (point.hours or {}).get(day, [])), day == today)
             for i, day in enumerate(WEEKDAYS)]
    languages = [names.languages.get(code, code) for code in point.languages or []]
    return {
        "key": point.key, "city": localized(point.city), "host": localized(point.host),
        "country": names.territories.get(point.country, point.country),
        "address": point.address.splitlines(), "phone": point.phone, "email": point.email,
        "languages": format_list(languages, locale=locale) if languages else "",
        "zone": point_zone_label(point, moment), "is_open": is_open, "status": status,
        "hours": hours,
        "window": format_span(span, tz, locale) if span else "",
        "window_zone": point_zone_label(point, span.start) if span else "",
    }


def zone_choices(points, moment: datetime, locale: str, chosen: str = "") -> list:
    """``(zone, label)`` for the time-zone list: the points' zones, common ones and
    the chosen one, ordered by offset."""
    names = list(dict.fromkeys([p.timezone for p in points] + list(COMMON_ZONES)
                               + ([chosen] if chosen else [])))
    names = [n for n in names if window.zone(n) is not None]
    return _zone_choices(tuple(names), moment.replace(minute=0, second=0, microsecond=0), locale)


@lru_cache(maxsize=128)
def _zone_choices(names: tuple, moment: datetime, locale: str) -> list:
    rows = [(moment.astimezone(ZoneInfo(n)).utcoffset(), zone_label(n, moment, locale), n)
            for n in names]
    return [(name, label) for _offset, label, name in sorted(rows)]


# -- The public directory ---------------------------------------------------------------------

@bp.route("/<lang:lang>/service-points")
@public
def directory():
    """Service points abroad: address, languages, hours in local time, open now, and the
    window's hours at home converted to each point's time and to the reader's."""
    moment = now()
    locale = format_locale()
    points = active_points()
    span, span_is_today = window_day(moment)
    raw_tz = (request.args.get("tz") or "").strip()
    viewer_zone = window.zone(raw_tz) if raw_tz else None
    tz_error = bool(raw_tz) and viewer_zone is None
    viewer = None
    if viewer_zone is not None and span is not None:
        viewer = {"zone": zone_label(raw_tz, span.start, locale),
                  "span": format_span(span, viewer_zone, locale)}
    context = dict(
        cards=[point_card(p, moment, span, locale) for p in points],
        window_hours=format_span(span, window.BEIJING, locale) if span else "",
        window_date=format_skeleton("MMMMEEEEd", span.start, locale=locale) if span else "",
        span_is_today=span_is_today, viewer=viewer, tz_error=tz_error,
        chosen_tz=raw_tz if viewer_zone is not None else "",
        zones=zone_choices(points, moment, locale, raw_tz if viewer_zone is not None else ""),
    )
    response = make_response(render_template("points/directory.html", **context),
                             400 if tz_error else 200)
    # No personal data, but "open now" changes with the clock: always ask again.
    response.headers["Cache-Control"] = "private, no-cache"
    return response
