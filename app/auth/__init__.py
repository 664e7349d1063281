"""Staff accounts: argon2id passwords, TOTP, sessions with timeouts, lockout."""

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..clock import utcnow
from ..models import ROLES, Department, Office, Staff

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``."""
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_staff(email: str, name: str, role: str, password: str | None = None,
                 office: str | None = None, department: str | None = None,
                 totp_secret: str | None = None,
                 service_point: str | None = None,
                 jurisdiction: str | None = None,
                 must_change: bool | None = None) -> tuple[Staff, str]:
    """Create (or reset) a staff account; return it and the password set.

    ``office``, ``department``, ``service_point`` and ``jurisdiction`` are keys; a
    volunteer needs a service point, and an account with neither office nor
    department names its jurisdiction (a county's admin, or a read-only
    supervisor of a city or the province). With ``totp_secret`` the account
    is enrolled in two-step sign-in already (demo and test accounts).

    A password made here (none given) is for the first sign-in only: it must be changed
    then, and stops working after a week (``must_change``, default: whether the
    password was made here). Resetting an account ends every session it has.
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if jurisdiction and (office or department):
        raise ValueError("an account belongs to an office or a department, or else to a "
                         "jurisdiction: not both")
    if must_change is None:
        must_change = password is None
    password = password or secrets.token_urlsafe(12)
    from flask import has_request_context
    from flask_babel import force_locale

    from .passwords import weakness
    if has_request_context():
        problem = weakness(password, email, name)
    else:  # the command line: its messages are in English
        with force_locale("en"):
            problem = weakness(password, email, name)
    if problem:
        raise ValueError(problem)
    staff = Staff.get_or_none(Staff.email == email.lower()) or Staff(email=email.lower())
    staff.name = name
    staff.role = role
    staff.password_hash = hash_password(password)
    staff.must_change_password = must_change
    staff.password_set_at = utcnow()
    staff.active = True
    staff.failed_logins = 0
    staff.locked_until = None
    # A reset account belongs to what it is given now, nothing it had before.
    staff.office = staff.department = staff.service_point = staff.jurisdiction = None
    if office:
        found = Office.get_or_none(Office.key == office)
        if found is None:
            raise ValueError(f"no office {office!r}")
        staff.office = found
    if department:
        found = Department.get_or_none(Department.key == department)
        if found is None:
            raise ValueError(f"no department {department!r}")
        staff.department = found
    if service_point:
        from ..models import ServicePoint
        point = ServicePoint.get_or_none(ServicePoint.key == service_point)
        if point is None:
            raise ValueError(f"no service point {service_point!r}")
        staff.service_point_id = point.id
    elif role == "volunteer":
        raise ValueError("a volunteer needs --service-point")
    if jurisdiction:
        from ..models import Jurisdiction
        place = Jurisdiction.get_or_none(Jurisdiction.key == jurisdiction)
        if place is None:
            raise ValueError(f"no jurisdiction {jurisdiction!r}")
        staff.jurisdiction = place
    elif role != "volunteer" and not office and not department:
        raise ValueError("an account needs --office, --department or --jurisdiction")
    if totp_secret:
        staff.totp_secret = totp_secret
        staff.totp_confirmed = True
        staff.totp_last_step = 0
    reset = staff.id is not None
    staff.save()
    if reset:  # whoever was signed in with the old password is not any more
        from ..models import StaffSession
        StaffSession.update(ended_at=utcnow()).where(
            (StaffSession.staff == staff) & StaffSession.ended_at.is_null()).execute()
    return staff, password
