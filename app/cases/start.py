"""Where applicants live: the country list of the start form and their time zone."""

import re
from functools import lru_cache

from babel import Locale
from babel.core import get_global

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
