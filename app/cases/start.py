"""The start form: contact details, language, country and city of residence."""

import re
from functools import lru_cache

from babel import Locale
from babel.core import get_global
from flask_babel import gettext as _

from ..config import LOCALES
from .fields import FieldError, clean_email, clean_phone

#: Where most applicants live, offered first in the country list.
COMMON_COUNTRIES = ("IT", "FR", "ES", "PT", "AE", "ZA", "DE", "NL", "GB", "US")
#: Usual zone for countries that span several.
MAIN_ZONE = {"US": "America/New_York", "PT": "Europe/Lisbon", "ES": "Europe/Madrid",
             "BR": "America/Sao_Paulo", "CA": "America/Toronto", "AU": "Australia/Sydney",
             "RU": "Europe/Moscow", "AR": "America/Argentina/Buenos_Aires",
             "MX": "America/Mexico_City", "CL": "America/Santiago", "ID": "Asia/Jakarta",
             "DE": "Europe/Berlin", "NZ": "Pacific/Auckland", "KZ": "Asia/Almaty",
             "MY": "Asia/Kuala_Lumpur", "CD": "Africa/Kinshasa", "EC": "America/Guayaquil"}


@lru_cache(maxsize=8)
def countries(locale: str) -> tuple[tuple[str, str], ...]:
    """(code, name) for every country, common ones first, names in ``locale``."""
    zones = get_global("territory_zones")
    names = Locale.parse(locale).territories
    codes = [c for c in zones if re.match(r"^[A-Z]{2}$", c) and c in names and c != "CN"]
    common = [c for c in COMMON_COUNTRIES if c in codes]
    rest = sorted((c for c in codes if c not in common), key=lambda c: names[c])
    return tuple((c, names[c]) for c in common + rest)


def zone_for(country: str, reported: str | None) -> str:
    """The applicant's time zone: the browser's if it belongs to the country."""
    zones = get_global("territory_zones").get(country, [])
    if reported and reported in zones:
        return reported
    return MAIN_ZONE.get(country) or (zones[0] if zones else "UTC")


def validate_start(form, locale: str) -> tuple[dict, dict]:
    """Clean the start form; return ``(values, errors)``."""
    values = {k: (form.get(k) or "").strip() for k in ("email", "phone", "language", "country",
                                                      "city", "tz")}
    errors = {}
    country_codes = {c for c, _n in countries(locale)}
    if values["country"] not in country_codes:
        errors["country"] = _("Choose the country where you live.")
    if not values["city"]:
        errors["city"] = _("Enter the city where you live.")
    elif len(values["city"]) > 100:
        errors["city"] = _("Keep this to %(limit)s characters or fewer (now %(count)s).",
                           limit=100, count=len(values["city"]))
    if values["language"] not in LOCALES:
        errors["language"] = _("Choose a language.")
    if not values["email"] and not values["phone"]:
        errors["email"] = _("Give an email address or a phone number, so we can reach you.")
    if values["email"]:
        try:
            values["email"] = clean_email({}, values["email"])
        except FieldError as exc:
            errors["email"] = str(exc)
    if values["phone"]:
        try:
            region = values["country"] if values["country"] in country_codes else None
            values["phone"] = clean_phone({}, values["phone"], region)
        except FieldError as exc:
            errors["phone"] = str(exc)
    if not errors:
        values["tz"] = zone_for(values["country"], values["tz"])
    return values, errors
