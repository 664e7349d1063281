"""Template helpers: localized catalog text, dates with their time zone, money."""

from datetime import date, datetime, timezone
from functools import lru_cache
from urllib.parse import urlencode
from decimal import Decimal
from zoneinfo import ZoneInfo

import phonenumbers
from babel import Locale
from babel.dates import format_date, format_time, get_timezone_location
from babel.lists import format_list as babel_format_list
from babel.numbers import format_currency, format_decimal, format_percent
from flask import current_app, g, request, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l

from .auth.permissions import allows
from .cases.entrustment import POWER_LABELS, RELATIONSHIP_LABELS
from .cases.fields import display_value
from .cases.labels import (DELIVERY_LABELS, EVENT_LABELS, STAFF_DELIVERY_LABELS,
                           STAFF_EVENT_LABELS, STAFF_STATUS_LABELS, STATUS_LABELS,
                           event_label)
from .documents.titles import TITLES
from .i18n import (LOCALE_NAMES, language_name, localized, on_record, own_staff_locale,
                   shown_for_applicant)

BEIJING = "Asia/Shanghai"


def current_locale() -> str:
    """The page's locale as a plain string."""
    return str(get_locale() or "zh")


#: The regional variant used to format dates and numbers for each page locale:
#: applicants live mostly in Europe, so English pages use British conventions.
FORMAT_LOCALES = {"zh": "zh_Hans_CN", "en": "en_GB", "it": "it_IT", "fr": "fr_FR",
                  "es": "es_ES", "pt": "pt_PT"}


#: Parsed once: Babel formats several times faster with a Locale than with its name.
_BABEL_LOCALES: dict[str, Locale] = {}


def format_locale() -> Locale:
    """The Babel locale for formatting dates, times and numbers on this page."""
    code = current_locale()
    locale = _BABEL_LOCALES.get(code)
    if locale is None:
        locale = _BABEL_LOCALES[code] = Locale.parse(FORMAT_LOCALES.get(code, code))
    return locale


@lru_cache(maxsize=256)
def _zone_location(tz: str, locale: Locale) -> str:
    return get_timezone_location(ZoneInfo(tz), locale=locale)


def format_phone(value: str) -> str:
    """A stored E.164 phone number in international format."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(value, None),
                                          phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return value or ""


def _in_zone(value: datetime, tz: str) -> tuple[datetime, str, str]:
    """A stored (naive UTC) time in ``tz``, the zone's name for people, and the locale."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    locale = format_locale()
    label = _("Beijing time") if tz == BEIJING else _zone_location(tz, locale)
    return value.astimezone(ZoneInfo(tz)), label, locale


def format_when(value: datetime | None, tz: str = BEIJING) -> str:
    """A stored UTC time shown in ``tz``, with the zone named (e.g. 北京时间)."""
    if value is None:
        return ""
    local, label, locale = _in_zone(value, tz)
    text = f"{format_date(local, 'medium', locale=locale)} {format_time(local, 'HH:mm', locale=locale)}"
    return f"{text} ({label})"


def machine_time(value: datetime | None) -> str:
    """A stored (naive UTC) time as a ``<time datetime>`` value: ISO 8601 in UTC."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def format_slot(value: datetime | None, tz: str = BEIJING, with_date: bool = True) -> str:
    """An appointment time in ``tz``: weekday, date, time, the zone and its UTC offset.

    The offset is spelled out because appointments cross daylight-saving changes.
    """
    if value is None:
        return ""
    local, label, locale = _in_zone(value, tz)
    offset = local.utcoffset().total_seconds() / 3600
    utc = "UTC" + (f"{offset:+g}" if offset else "")
    when = format_time(local, "HH:mm", locale=locale)
    if with_date:
        when = f"{format_date(local, 'full', locale=locale)} {when}"
    return f"{when} ({label}, {utc})"


def zone_date(value: datetime, tz: str):
    """The calendar date of a stored UTC time in ``tz``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(ZoneInfo(tz)).date()


def zone_label(tz: str) -> str:
    """A time zone as people say it (e.g. "Italy Time"), with its IANA name."""
    try:
        return f"{_zone_location(tz, format_locale())} ({tz})"
    except (LookupError, ValueError):
        return tz


def format_day(value, length: str = "medium") -> str:
    """A calendar date in the page's locale (``length="full"``: with the weekday)."""
    if not value:
        return ""
    if isinstance(value, str):  # a date kept as text (an entrustment's validity)
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    return format_date(value, length, locale=format_locale())


#: The currency an applicant reading each locale most likely pays in.
LOCAL_CURRENCY = {"it": "EUR", "fr": "EUR", "es": "EUR", "pt": "EUR"}


def format_money(amount, currency: str = "CNY") -> str:
    """A fee in the page's locale; zero is shown as free.

    With a configured exchange rate (``ONEVISIT_FX_RATES``) an approximate
    amount in the reader's currency follows, e.g. ``CN¥10.00 (≈ 1,28 €)``.
    """
    amount = Decimal(str(amount or 0))
    if amount == 0:
        return _("Free of charge")
    text = format_currency(amount, currency, locale=format_locale())
    local = LOCAL_CURRENCY.get(current_locale())
    rate = current_app.config.get("FX_RATES", {}).get(local) if local else None
    if rate and currency == "CNY":
        try:
            converted = (amount * Decimal(str(rate))).quantize(Decimal("0.01"))
        except ArithmeticError:
            return text
        text += f" (≈ {format_currency(converted, local, locale=format_locale())})"
    return text


def format_number(value) -> str:
    """A number in the page's locale."""
    return format_decimal(value, locale=format_locale())


def format_share(value) -> str:
    """A share (0 to 1) as a percentage in the page's locale, e.g. "87%"."""
    return format_percent(value, locale=format_locale())


#: How each staff role is named.
ROLE_LABELS = {"clerk": _l("Clerk"), "officer": _l("Department officer"),
               "supervisor": _l("Supervisor"), "admin": _l("Administrator"),
               "volunteer": _l("Volunteer")}

FORMAT_NAMES = {"jpeg": "JPEG", "png": "PNG", "pdf": "PDF"}


def format_list(values) -> str:
    """File formats as a list in the page's language, e.g. "JPEG, PNG or PDF"."""
    names = [FORMAT_NAMES.get(v, v) for v in values]
    return babel_format_list(names, style="or", locale=current_locale()) if names else ""


def switch_locale_url(target: str) -> str:
    """The current page in another locale (same endpoint, arguments and query)."""
    if not request.endpoint or request.url_rule is None or "lang" not in request.url_rule.arguments:
        return url_for("core.home", lang=target)
    args = dict(request.view_args or {})
    args["lang"] = target
    args.update({k: v for k, v in request.args.items() if k not in args})
    return url_for(request.endpoint, **args)


#: Public pages worth finding in a search engine; every other page (a case, a form, an
#: error, the staff side) carries ``<meta name="robots" content="noindex">``.
INDEXABLE = {"core.home", "catalog.index", "catalog.guide", "points.directory", "cases.find",
             "faq.index", "faq.entry"}


def indexable() -> bool:
    """Whether this page may be indexed (an error page sets ``noindex`` itself)."""
    return request.endpoint in INDEXABLE


def absolute_url(path: str) -> str:
    """``path`` on the configured public address (alternates must be absolute URLs)."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + path


def default_locale_url() -> str:
    """The ``x-default`` alternate: the language chooser for the home page, elsewhere the
    page in the source language."""
    if request.endpoint == "core.home":
        return url_for("core.root")
    return switch_locale_url("en")


def staff_page_in(target: str | None) -> str:
    """This staff page shown in ``target`` for once (``None``: in the staff member's own
    language again), same address and query otherwise."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    if target:
        args.append(("lang", target))
    return request.path + (f"?{urlencode(args)}" if args else "")


ERROR_TITLES = {
    400: _l("The request could not be understood"),
    403: _l("You do not have access to this page"),
    404: _l("Page not found"),
    405: _l("This action is not possible here"),
    409: _l("This was already done"),
    410: _l("This is no longer available"),
    413: _l("The file is too large"),
    415: _l("This type of file is not accepted"),
    422: _l("Some answers need correcting"),
    408: _l("The connection went quiet"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong on our side"),
    503: _l("Busy for a moment"),
}
ERROR_TEXTS = {
    400: _l("Something in the page you sent was missing or damaged. Go back, check the page and try again."),
    403: _l("If you think you should see this, sign in again or ask the person who sent you the link."),
    404: _l("The address may be mistyped, or the page may have moved. If you followed a link to your application, open it with the reference and access code."),
    405: _l("Go back and use the buttons on the page."),
    409: _l("This form was already sent once. Open your application to see where it stands."),
    410: _l("It was removed or has expired."),
    413: _l("Please take a new photo at a lower resolution, or scan the document at 200 dpi."),
    415: _l("Please send a photo (JPEG, PNG, HEIC) or a PDF."),
    422: _l("Go back and check the highlighted answers."),
    408: _l("Nothing more arrived for a while, so the page was not received whole. Check your connection, then send it again."),
    429: _l("For your safety, please wait a few minutes before trying again."),
    500: _l("Your answers already saved are safe. Please try again in a moment."),
    503: _l("Many files are arriving at once. Your answers already saved are safe: wait a few seconds, then send the page again."),
}


def answer_text(field: dict, value) -> str:
    """A stored answer as people read it (choices by label, dates in the locale)."""
    if field["type"] == "date" and value:
        try:
            return format_day(date.fromisoformat(value))
        except ValueError:
            return str(value)
    return display_value(field, value, localized)


def country_name(code: str) -> str:
    """A country's name in the page's language."""
    return format_locale().territories.get(code, code)


def doc_title(doc_type: str) -> str:
    """A document's name in the page's language."""
    return _(TITLES[doc_type])


def staff_may(permission: str) -> bool:
    """Whether the signed-in staff member's role has ``permission`` (menus, links)."""
    staff = getattr(g, "staff", None)
    return staff is not None and allows(staff.role, permission)


def init_templating(app) -> None:
    """Register filters and globals."""
    app.jinja_env.filters["lt"] = localized
    app.jinja_env.filters["on_record"] = lambda entry, question="label": localized(
        on_record(entry, question))
    app.jinja_env.filters["when"] = format_when
    app.jinja_env.filters["iso"] = machine_time
    app.jinja_env.globals["indexable"] = indexable
    app.jinja_env.globals["absolute_url"] = absolute_url
    app.jinja_env.globals["default_locale_url"] = default_locale_url
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["slot"] = format_slot
    app.jinja_env.filters["zone_date"] = zone_date
    app.jinja_env.filters["zone_label"] = zone_label
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["share"] = format_share
    app.jinja_env.filters["phone"] = format_phone
    app.jinja_env.globals["LOCALE_NAMES"] = LOCALE_NAMES
    app.jinja_env.globals["language_name"] = language_name
    app.jinja_env.globals["DELIVERY_LABELS"] = DELIVERY_LABELS
    app.jinja_env.globals["ROLE_LABELS"] = ROLE_LABELS
    app.jinja_env.globals["format_list"] = format_list
    app.jinja_env.globals["ERROR_TITLES"] = ERROR_TITLES
    app.jinja_env.globals["ERROR_TEXTS"] = ERROR_TEXTS
    app.jinja_env.globals["answer_text"] = answer_text
    app.jinja_env.globals["country_name"] = country_name
    app.jinja_env.globals["STATUS_LABELS"] = STATUS_LABELS
    app.jinja_env.globals["STAFF_STATUS_LABELS"] = STAFF_STATUS_LABELS
    app.jinja_env.globals["STAFF_EVENT_LABELS"] = STAFF_EVENT_LABELS
    app.jinja_env.globals["STAFF_DELIVERY_LABELS"] = STAFF_DELIVERY_LABELS
    app.jinja_env.globals["doc_title"] = doc_title
    app.jinja_env.globals["staff_may"] = staff_may
    app.jinja_env.globals["staff_page_in"] = staff_page_in
    app.jinja_env.globals["shown_for_applicant"] = shown_for_applicant
    app.jinja_env.globals["staff_language"] = own_staff_locale
    app.jinja_env.globals["EVENT_LABELS"] = EVENT_LABELS
    app.jinja_env.globals["event_label"] = event_label
    app.jinja_env.globals["POWER_LABELS"] = POWER_LABELS
    app.jinja_env.globals["RELATIONSHIP_LABELS"] = RELATIONSHIP_LABELS
    app.jinja_env.globals["switch_locale_url"] = switch_locale_url
    app.jinja_env.globals["current_locale"] = current_locale
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
