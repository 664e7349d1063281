"""What a volunteer at a service point does to a case: start it with the applicant's
consent, replace a lost access code, add the scan of a signed paper form.

These changes do not depend on a version the volunteer saw: one that meets another
change (the applicant's upload finishing) is made again on the case as it is now.
"""

from types import SimpleNamespace

from ..uploads.service import StoredFiles, store
from . import lifecycle
from .access import secret_hash
from .journey import Started, start_case
from .reference import new_access_code

#: Scans of signed papers are kept as PDF or photos.
SCAN_FORMATS = ["pdf", "jpeg", "png"]


def start_assisted(item, volunteer, values: dict, start_key: str) -> Started:
    """A draft case for a walk-in applicant, started by ``volunteer`` at their point."""
    point = volunteer.service_point
    return start_case(item, start_key=start_key, locale=values["language"],
                      email=values["email"] or None, phone=values["phone"] or None,
                      country=point.country, city=values["city"] or point.city.get("en", ""),
                      tz=point.timezone, assisted_by=volunteer)


def replace_access_code(case, volunteer) -> str:
    """A new access code (the old one stops working); return it, shown once."""
    code = new_access_code()
    lifecycle.retried(case, lambda current: lifecycle.change(
        current, "access_code_replaced", actor="staff", staff=volunteer,
        changes={"access_code_hash": secret_hash(code)}))
    return code


def add_signed_scan(case, volunteer, kind: str, data: bytes, filename: str):
    """Keep the scan of a signed paper form with the case. Raises ``UploadError``."""
    slot = SimpleNamespace(key=kind, formats=SCAN_FORMATS)

    def attempt(current):
        with StoredFiles() as kept:
            return lifecycle.change(
                current, "signed_scan", actor="staff", staff=volunteer,
                within=lambda: kept(store(current, slot, data, filename)),
                data=lambda upload: {"kind": kind, "upload": upload.id}).result
    return lifecycle.retried(case, attempt)
