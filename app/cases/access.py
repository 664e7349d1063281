"""How an applicant (who has no password) reaches their case.

The emailed access link carries a 256-bit random token; only its HMAC is
stored. Visiting the link puts the case in the signed session cookie and
redirects to a URL without the token. Reference plus access code is the second
way in (rate-limited by the view).
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import abort, current_app, session

from ..models import Case, utcnow

SESSION_KEY = "cases"
#: Cases this browser holds only because a volunteer opened them at a service point.
ASSISTED_KEY = "assisted"
CODES_KEY = "codes"
MAX_CASES_IN_SESSION = 20


def secret_hash(value: str) -> str:
    """Keyed hash of a token or code, as stored in the database."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def new_access_token() -> tuple[str, str]:
    """Return ``(token, stored_hash)`` for a new access link."""
    token = secrets.token_urlsafe(32)
    return token, secret_hash(token)


def access_expiry():
    """When an access link issued now stops working."""
    return utcnow() + timedelta(days=current_app.config["ACCESS_LINK_DAYS"])


def case_for_token(token: str):
    """``(case, state)`` for a token: state is ``ok``, ``expired`` or ``unknown``."""
    if not token or len(token) > 100:
        return None, "unknown"
    digest = secret_hash(token)
    case = Case.get_or_none(Case.access_token_hash == digest)
    if case is not None:
        return case, ("expired" if case.access_token_expires < utcnow() else "ok")
    from ..models import AccessToken
    extra = AccessToken.get_or_none(AccessToken.token_hash == digest)
    if extra is None:
        return None, "unknown"
    return extra.case, ("expired" if extra.expires_at < utcnow() else "ok")


def grant(case: Case, access_code: str | None = None) -> None:
    """Let this browser session open ``case``."""
    if case.id in session.get(ASSISTED_KEY, []):
        # Opened with the applicant's own link or code: no longer tied to a volunteer.
        session[ASSISTED_KEY] = [i for i in session[ASSISTED_KEY] if i != case.id]
    ids = [i for i in session.get(SESSION_KEY, []) if i != case.id]
    ids.append(case.id)
    session[SESSION_KEY] = ids[-MAX_CASES_IN_SESSION:]
    if access_code:
        codes = dict(session.get(CODES_KEY, {}))
        codes[str(case.id)] = access_code
        session[CODES_KEY] = dict(list(codes.items())[-MAX_CASES_IN_SESSION:])
    session.permanent = True


def grant_assisted(case: Case, access_code: str | None = None) -> None:
    """Let a volunteer's browser open ``case`` for as long as they are signed in at its
    service point (signing out, or being disabled, closes it again)."""
    grant(case, access_code)
    ids = [i for i in session.get(ASSISTED_KEY, []) if i != case.id]
    session[ASSISTED_KEY] = (ids + [case.id])[-MAX_CASES_IN_SESSION:]


def _volunteer_here(case_id: int) -> bool:
    from ..auth.sessions import current_staff
    staff = current_staff(require_mfa=True)
    if staff is None or staff.role != "volunteer" or not staff.service_point_id:
        return False
    return Case.select(Case.id).where((Case.id == case_id) & (
        Case.service_point_id == staff.service_point_id)).exists()


def forget(case: Case) -> None:
    """Remove the case from this browser (sign out of the case)."""
    session[SESSION_KEY] = [i for i in session.get(SESSION_KEY, []) if i != case.id]
    codes = dict(session.get(CODES_KEY, {}))
    codes.pop(str(case.id), None)
    session[CODES_KEY] = codes


def shown_access_code(case: Case) -> str | None:
    """The plain access code, if this session created the case (for display)."""
    return session.get(CODES_KEY, {}).get(str(case.id))


def may_open(case_id: int) -> bool:
    """Whether this session holds the case (through a signed-in volunteer, if assisted)."""
    if case_id not in session.get(SESSION_KEY, []):
        return False
    if case_id in session.get(ASSISTED_KEY, []):
        return _volunteer_here(case_id)
    return True


def load_applicant_case(reference: str) -> Case:
    """The case with this reference if this session holds it; 404 otherwise.

    404 rather than 403 so that a guessed reference reveals nothing.
    """
    case = Case.get_or_none(Case.reference == reference)
    if case is None or not may_open(case.id):
        abort(404)
    return case


def check_access_code(case: Case, code: str) -> bool:
    """Constant-time comparison of a typed access code with the stored hash."""
    return hmac.compare_digest(case.access_code_hash, secret_hash(code))
