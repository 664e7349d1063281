"""How an applicant (who has no password) reaches their case.

The emailed access link carries a 256-bit random token; only its HMAC is
stored. Visiting the link puts the case in the signed session cookie and
redirects to a URL without the token. Reference plus access code is the second
way in (rate-limited by the view). The session also remembers where in the
journey this browser stopped, so reading a page never writes to the database.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app, session

from ..clock import utcnow
from ..models import AccessToken, Case

SESSION_KEY = "cases"
#: Cases this browser holds only because a volunteer opened them at a service point.
ASSISTED_KEY = "assisted"
CODES_KEY = "codes"
RESUME_KEY = "resume"
#: Cases this browser opened with the agent's own code.
AGENT_KEY = "agent_cases"
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
    extra = AccessToken.get_or_none(AccessToken.token_hash == digest)
    if extra is None:
        return None, "unknown"
    return extra.case, ("expired" if extra.expires_at < utcnow() else "ok")


def _ids(key: str) -> list:
    return list(session.get(key, []))


def grant(case: Case, access_code: str | None = None) -> None:
    """Let this browser session open ``case``."""
    if case.id in _ids(ASSISTED_KEY):
        # Opened with the applicant's own link or code: no longer tied to a volunteer.
        session[ASSISTED_KEY] = [i for i in _ids(ASSISTED_KEY) if i != case.id]
    ids = [i for i in _ids(SESSION_KEY) if i != case.id] + [case.id]
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
    ids = [i for i in _ids(ASSISTED_KEY) if i != case.id]
    session[ASSISTED_KEY] = (ids + [case.id])[-MAX_CASES_IN_SESSION:]


def forget(case: Case) -> None:
    """Remove the case from this browser (sign out of the case)."""
    session[SESSION_KEY] = [i for i in _ids(SESSION_KEY) if i != case.id]
    for key in (CODES_KEY, RESUME_KEY):
        values = dict(session.get(key, {}))
        values.pop(str(case.id), None)
        session[key] = values


def shown_access_code(case: Case) -> str | None:
    """The plain access code, if this browser was given it (for display)."""
    return session.get(CODES_KEY, {}).get(str(case.id))


def remember_page(case: Case, page: str) -> None:
    """The journey page this browser reached (where "continue" leads)."""
    pages = dict(session.get(RESUME_KEY, {}))
    if pages.get(str(case.id)) != page:
        pages[str(case.id)] = page
        session[RESUME_KEY] = dict(list(pages.items())[-MAX_CASES_IN_SESSION:])


def remembered_page(case: Case) -> str | None:
    """The journey page this browser last reached, if any."""
    return session.get(RESUME_KEY, {}).get(str(case.id))


def in_session(case: Case) -> bool:
    """Whether this browser was given the case (whoever is signed in)."""
    return case.id in _ids(SESSION_KEY)


def holds(case_id: int, volunteer_here) -> bool:
    """Whether this session holds the case; an assisted case only while ``volunteer_here``
    (a signed-in volunteer of the case's service point) says so."""
    if case_id not in _ids(SESSION_KEY):
        return False
    if case_id in _ids(ASSISTED_KEY):
        return volunteer_here(case_id)
    return True


def grant_agent(case: Case) -> None:
    """Let this browser open the agent's page of ``case``."""
    ids = [i for i in _ids(AGENT_KEY) if i != case.id][-(MAX_CASES_IN_SESSION - 1):]
    session[AGENT_KEY] = ids + [case.id]
    session.permanent = True


def holds_as_agent(case: Case) -> bool:
    """Whether this browser opened the case with the agent's code."""
    return case.id in _ids(AGENT_KEY) and case.agent_code_issued


def check_access_code(case: Case, code: str) -> bool:
    """Constant-time comparison of a typed access code with the stored hash."""
    return hmac.compare_digest(case.access_code_hash, secret_hash(code))
