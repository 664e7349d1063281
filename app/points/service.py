"""Service points: saving them, the form's values of a stored or seeded point, the queries."""

from flask_babel import gettext as _
from peewee import IntegrityError

from ..clock import utcnow
from ..config import LOCALES
from ..models import WEEKDAYS, Jurisdiction, Office, PointJurisdiction, ServicePoint, db
from ..templating import format_phone
from .forms import format_hours

#: The seed file's fields of a point.
SEED_FIELDS = {"key", "city", "host", "country", "address", "phone", "email", "languages",
               "timezone", "hours", "office", "serves", "active", "sort"}


def form_data(point: ServicePoint) -> dict:
    """The admin form's values for a stored point."""
    values = {"key": point.key, "country": point.country, "address": point.address,
              "phone": format_phone(point.phone) if point.phone else "", "email": point.email,
              "languages": ", ".join(point.languages or []), "timezone": point.timezone,
              "office": str(point.office_id or ""), "active": point.active,
              "serves": [j.key for j in Jurisdiction.select(Jurisdiction.key).where(
                  Jurisdiction.id.in_(point.jurisdiction_ids()))],
              "sort": str(point.sort)}
    for loc in LOCALES:
        values[f"city_{loc}"] = (point.city or {}).get(loc, "")
        values[f"host_{loc}"] = (point.host or {}).get(loc, "")
    for day in WEEKDAYS:
        values[f"hours_{day}"] = format_hours((point.hours or {}).get(day))
    return values


def seed_form_data(entry: dict) -> dict:
    """A point as written in the seed file → the admin form's values.

    Raises ValueError for entries whose shape is wrong (unknown fields,
    locales or weekdays) before the form's own rules are applied.
    """
    if not isinstance(entry, dict):
        raise ValueError("each service point must be a mapping")
    unknown = set(entry) - SEED_FIELDS
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    values = {name: str(entry.get(name) or "").strip()
              for name in ("key", "country", "address", "phone", "email", "timezone")}
    for name in ("city", "host"):
        names = entry.get(name) or {}
        if not isinstance(names, dict) or set(names) - set(LOCALES):
            raise ValueError(f"{name}: a mapping of the locales {', '.join(LOCALES)}")
        values.update({f"{name}_{loc}": str(names.get(loc) or "") for loc in LOCALES})
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
    office = Office.get_or_none(Office.key == entry["office"]) if entry.get("office") else None
    values["office"] = str(office.id) if office else ""
    serves = entry.get("serves") or []
    if not isinstance(serves, list):
        raise ValueError("serves: a list of county or district keys")
    values["serves"] = [str(key) for key in serves]
    if entry.get("active", True):
        values["active"] = "y"
    values["sort"] = str(entry.get("sort", 0))
    return values


def save_point(values: dict, point: ServicePoint | None = None) -> ServicePoint:
    """Create a point from a valid form's values, or update ``point`` with them.

    Raises ValueError when the key was taken in the meantime.
    """
    fields = {k: v for k, v in values.items() if k not in ("key", "serves")}
    fields["updated_at"] = utcnow()
    try:
        with db.atomic():
            if point is None:
                point = ServicePoint.create(key=values["key"], **fields)
            else:
                ServicePoint.update(**fields).where(ServicePoint.id == point.id).execute()
            set_served(point, values["serves"])
    except IntegrityError:
        raise ValueError(_("Another service point already has this key.")) from None
    return ServicePoint.get_by_id(point.id)


def set_served(point: ServicePoint, jurisdiction_ids) -> None:
    """Make ``point`` serve exactly these counties and districts."""
    PointJurisdiction.delete().where(PointJurisdiction.service_point == point.id).execute()
    rows = [{"service_point": point.id, "jurisdiction": j} for j in jurisdiction_ids]
    if rows:
        PointJurisdiction.insert_many(rows).execute()


def active_points() -> list[ServicePoint]:
    """The points shown in the public directory, in their order."""
    return list(ServicePoint.select().where(ServicePoint.active == True)  # noqa: E712
                .order_by(ServicePoint.sort, ServicePoint.key))


def all_points(admin) -> list[ServicePoint]:
    """Every point ``admin`` manages, active or not."""
    return list(ServicePoint.select().where(ServicePoint.managed_by(admin))
                .order_by(ServicePoint.active.desc(), ServicePoint.sort, ServicePoint.key))
