"""Service points: the rules their data must follow, saving them, and the queries.

The admin form and the seed file go through the same :func:`validate_point`:
both are first turned into the form's flat mapping of strings (``city_zh``,
``hours_tue`` …), so one set of rules and messages applies everywhere.
"""

import re

import phonenumbers
from babel import Locale
from flask_babel import gettext as _
from peewee import IntegrityError

from ..config import LOCALES
from ..models import WEEKDAYS, Office, ServicePoint, db, utcnow
from ..templating import format_phone
from . import window

#: Locales in which a point's city and host must be named.
REQUIRED_LOCALES = ("zh", "en")
KEY_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
SPAN_RE = re.compile(r"^(\d{1,2}:\d{2})\s*[-–—~]\s*(\d{1,2}:\d{2})$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")
#: At most this many opening spans on one day.
MAX_SPANS = 4
LIMITS = {"city": 100, "host": 200, "address": 300}

#: Every field of the admin form, in order.
FORM_FIELDS = (("key",) + tuple(f"city_{loc}" for loc in LOCALES)
               + tuple(f"host_{loc}" for loc in LOCALES)
               + ("country", "address", "phone", "email", "languages", "timezone")
               + tuple(f"hours_{day}" for day in WEEKDAYS) + ("office", "active", "sort"))


class HoursError(ValueError):
    """A day's opening hours could not be read; ``args[0]`` is the user message."""


def blank_form() -> dict:
    """The admin form for a new point: empty, active, sorted last."""
    values = {name: "" for name in FORM_FIELDS}
    values["active"] = "yes"
    values["sort"] = "0"
    return values


def format_hours(spans) -> str:
    """``[["09:30", "12:30"], ["15:00", "19:00"]]`` → ``"09:30-12:30, 15:00-19:00"``."""
    return ", ".join(f"{start}-{end}" for start, end in spans or [])


def parse_hours(text: str) -> list[list[str]]:
    """Read one day's hours, e.g. ``"09:30-12:30, 15:00-19:00"``; empty means closed.

    Spans are returned sorted as ``[["09:30", "12:30"], …]``. Raises
    :class:`HoursError` with a message for the user when a span cannot be
    read, ends before it starts, overlaps another, or there are too many.
    """
    parts = [p.strip() for p in re.split(r"[,;，；]", text or "") if p.strip()]
    spans = []
    for part in parts:
        match = SPAN_RE.match(part)
        try:
            start, end = window.parse_hhmm(match[1]), window.parse_hhmm(match[2])
        except (TypeError, ValueError):
            raise HoursError(_("Write each span as HH:MM-HH:MM, separated by commas, for example "
                               "09:30-12:30, 15:00-19:00.")) from None
        if end <= start:
            raise HoursError(_("%(span)s must end after it starts.", span=part))
        spans.append((start, end, part))
    if len(spans) > MAX_SPANS:
        raise HoursError(_("At most %(num)d opening spans a day.", num=MAX_SPANS))
    spans.sort()
    for (_s1, end1, first), (start2, _e2, second) in zip(spans, spans[1:]):
        if start2 < end1:
            raise HoursError(_("%(first)s and %(second)s overlap.", first=first, second=second))
    return [[start.strftime("%H:%M"), end.strftime("%H:%M")] for start, end, _p in spans]


def known_languages() -> dict:
    """Language codes Babel knows, with their English names."""
    return Locale.parse("en").languages


def form_from_point(point: ServicePoint) -> dict:
    """The admin form's values for a stored point."""
    values = blank_form()
    values.update(key=point.key, country=point.country, address=point.address,
                  phone=format_phone(point.phone) if point.phone else "", email=point.email,
                  languages=", ".join(point.languages or []), timezone=point.timezone,
                  office=str(point.office_id or ""), active="yes" if point.active else "",
                  sort=str(point.sort))
    for loc in LOCALES:
        values[f"city_{loc}"] = (point.city or {}).get(loc, "")
        values[f"host_{loc}"] = (point.host or {}).get(loc, "")
    for day in WEEKDAYS:
        values[f"hours_{day}"] = format_hours((point.hours or {}).get(day))
    return values


def form_from_request(form, point: ServicePoint | None = None) -> dict:
    """What the admin typed, kept as typed (for showing it again); the key of an
    existing point cannot change."""
    values = {name: (form.get(name) or "")[:1000] for name in FORM_FIELDS}
    values["active"] = "yes" if form.get("active") else ""
    if point is not None:
        values["key"] = point.key
    return values


def form_from_data(entry: dict) -> dict:
    """A point as written in the seed file → the admin form's values.

    Raises ValueError for entries whose shape is wrong (unknown fields,
    locales or weekdays) before the form's own rules are applied.
    """
    if not isinstance(entry, dict):
        raise ValueError("each service point must be a mapping")
    allowed = {"key", "city", "host", "country", "address", "phone", "email", "languages",
               "timezone", "hours", "office", "active", "sort"}
    unknown = set(entry) - allowed
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    values = blank_form()
    for name in ("key", "country", "address", "phone", "email", "timezone"):
        values[name] = str(entry.get(name) or "").strip()
    for name in ("city", "host"):
        names = entry.get(name) or {}
        if not isinstance(names, dict) or set(names) - set(LOCALES):
            raise ValueError(f"{name}: a mapping of the locales {', '.join(LOCALES)}")
        for loc in LOCALES:
            values[f"{name}_{loc}"] = str(names.get(loc) or "")
    languages = entry.get("languages") or []
    values["languages"] = ", ".join(languages) if isinstance(languages, list) else str(languages)
    hours = entry.get("hours") or {}
    if not isinstance(hours, dict) or set(hours) - set(WEEKDAYS):
        raise ValueError(f"hours: a mapping of the weekdays {', '.join(WEEKDAYS)}")
    for day in WEEKDAYS:
        spans = hours.get(day) or ""
        if isinstance(spans, list):
            spans = ", ".join("-".join(s) if isinstance(s, list) else str(s) for s in spans)
        values[f"hours_{day}"] = str(spans)
    office = entry.get("office")
    found = Office.get_or_none(Office.key == office) if office else None
    values["office"] = str(found.id) if found else ""
    values["active"] = "yes" if entry.get("active", True) else ""
    values["sort"] = str(entry.get("sort", 0))
    return values


def _phone(raw: str, country: str) -> str:
    try:
        number = phonenumbers.parse(raw, country or None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise ValueError(_("Enter a valid phone number with its country code, for example "
                           "+39 312 345 6789."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_point(values: dict, point: ServicePoint | None = None,
                   check_unique: bool = True) -> tuple[dict, dict]:
    """Check the form's values; return ``(fields for the model, errors by form field)``.

    ``point`` is the row being edited (its key is kept); for a new point the
    key must be a free slug.
    """
    errors, clean = {}, {}
    text = {k: (v or "").strip() if isinstance(v, str) else v for k, v in values.items()}

    key = point.key if point is not None else text.get("key", "")
    if point is None:
        if not key or len(key) > 64 or not KEY_RE.match(key):
            errors["key"] = _("Use lower-case letters, digits and hyphens, for example milan or "
                              "la-spezia.")
        elif check_unique and ServicePoint.select().where(ServicePoint.key == key).exists():
            errors["key"] = _("Another service point already has this key.")
    clean["key"] = key

    for name in ("city", "host"):
        names = {}
        for loc in LOCALES:
            field, value = f"{name}_{loc}", " ".join(text.get(f"{name}_{loc}", "").split())
            if len(value) > LIMITS[name]:
                errors[field] = _("Keep this to %(limit)s characters or fewer (now %(count)s).",
                                  limit=LIMITS[name], count=len(value))
            elif value:
                names[loc] = value
            elif loc in REQUIRED_LOCALES:
                errors[field] = _("Enter the name in Chinese and in English at least.")
        clean[name] = names

    country = text.get("country", "").upper()
    if not re.match(r"^[A-Z]{2}$", country) or country not in Locale.parse("en").territories:
        errors["country"] = _("Choose a country.")
    clean["country"] = country

    address = "\n".join(line.strip() for line in text.get("address", "").splitlines()
                        if line.strip())
    if not address:
        errors["address"] = _("Enter the address where applicants can find the point.")
    elif len(address) > LIMITS["address"]:
        errors["address"] = _("Keep this to %(limit)s characters or fewer (now %(count)s).",
                              limit=LIMITS["address"], count=len(address))
    clean["address"] = address

    clean["phone"] = ""
    if text.get("phone"):
        try:
            clean["phone"] = _phone(text["phone"], country if "country" not in errors else "")
        except ValueError as exc:
            errors["phone"] = str(exc)

    email = text.get("email", "")
    if email and (len(email) > 254 or not EMAIL_RE.match(email)):
        errors["email"] = _("Enter an email address like name@example.com.")
    clean["email"] = email

    codes = [c for c in re.split(r"[\s,，、;]+", text.get("languages", "").lower()) if c]
    codes = list(dict.fromkeys(codes))
    unknown = [c for c in codes if not LANGUAGE_RE.match(c) or c not in known_languages()]
    if unknown:
        errors["languages"] = _("Unknown language code: %(code)s. Use codes such as zh, wuu, it.",
                                code=unknown[0][:20])
    elif not codes:
        errors["languages"] = _("Give at least one language, for example zh, wuu, it.")
    elif len(codes) > 12:
        errors["languages"] = _("At most %(num)d languages.", num=12)
    clean["languages"] = codes

    tz = text.get("timezone", "")
    if window.zone(tz) is None:
        errors["timezone"] = _("Unknown time zone. Use a name such as Europe/Rome.")
    clean["timezone"] = tz

    hours = {}
    for day in WEEKDAYS:
        try:
            spans = parse_hours(text.get(f"hours_{day}", ""))
        except HoursError as exc:
            errors[f"hours_{day}"] = str(exc)
            continue
        if spans:
            hours[day] = spans
    clean["hours"] = hours

    office = text.get("office", "")
    clean["office_id"] = None
    if office:
        found = Office.get_or_none(Office.id == int(office)) if office.isdigit() else None
        if found is None:
            errors["office"] = _("Choose an office from the list.")
        else:
            clean["office_id"] = found.id

    clean["active"] = bool(text.get("active"))
    sort = str(text.get("sort") or "0")
    if not re.match(r"^-?\d{1,5}$", sort):
        errors["sort"] = _("Enter a whole number.")
        clean["sort"] = 0
    else:
        clean["sort"] = int(sort)
    return clean, errors


def save_point(clean: dict, point: ServicePoint | None = None) -> ServicePoint:
    """Create a point from validated fields, or update ``point`` with them.

    Raises ValueError when the key was taken in the meantime.
    """
    fields = {k: v for k, v in clean.items() if k != "key"}
    fields["updated_at"] = utcnow()
    try:
        with db.atomic():
            if point is None:
                return ServicePoint.create(key=clean["key"], **fields)
            ServicePoint.update(**fields).where(ServicePoint.id == point.id).execute()
    except IntegrityError:
        raise ValueError(_("Another service point already has this key.")) from None
    return ServicePoint.get_by_id(point.id)


def active_points() -> list[ServicePoint]:
    """The points shown in the public directory, in their order."""
    return list(ServicePoint.select().where(ServicePoint.active == True)  # noqa: E712
                .order_by(ServicePoint.sort, ServicePoint.key))


def all_points() -> list[ServicePoint]:
    """Every point, active or not, for the admins."""
    return list(ServicePoint.select().order_by(ServicePoint.active.desc(), ServicePoint.sort,
                                               ServicePoint.key))


def office_choices() -> list[Office]:
    """The windows at home a point may be attached to."""
    return list(Office.select().order_by(Office.sort, Office.key))
