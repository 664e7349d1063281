"""How an applicant (who has no password) reaches their case.

The emailed access link carries a 256-bit random token; only its HMAC is
stored. Visiting the link gives this browser a hold on the case and redirects to
a URL without the token. Reference plus access code is the second way in
(rate-limited by the view). A hold is a row on the server (:class:`CaseGrant`)
named by the keyed hash of a random token the browser's cookie carries: the
cookie holds no case, no code, nothing to replay once the row has ended (forget,
a new access code, a withdrawal, 30 days unused, 180 days in all). The cookie
also remembers where in the journey this browser stopped.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app, g, session

from ..clock import utcnow
from ..models import AccessToken, Case, CaseGrant, QuestionGrant
from ..models.base import Compiled
from ..sealing import seal, unseal

#: The browser's random token (the only thing about access its cookie holds).
BROWSER_KEY = "browser"
#: Where in each case's journey this browser stopped (not a secret).
RESUME_KEY = "resume"
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


#: Every applicant request reads its hold this way: the SQL is built once.
_HOLD = Compiled(lambda token_hash, case_id, kind: CaseGrant.select().where(
    (CaseGrant.token_hash == token_hash) & (CaseGrant.case == case_id)
    & (CaseGrant.kind == kind) & CaseGrant.ended_at.is_null()).limit(1),
    marks=("\x00token\x00", -918273645, "\x00kind\x00"))


def _hold(kind: str, case_id: int, now=None) -> CaseGrant | None:
    """This browser's live hold of ``kind`` on the case (timeouts end it here)."""
    token = session.get(BROWSER_KEY)
    if not token:
        return None
    cache = g.setdefault("case_grants", {})
    if (kind, case_id) in cache:
        return cache[(kind, case_id)]
    row = live(_HOLD.first(secret_hash(token), case_id, kind), now)
    cache[(kind, case_id)] = row
    return row


def live(row, now=None):
    """A hold (:class:`CaseGrant` or :class:`QuestionGrant`) as it stands now: ended here
    when unused for ``APPLICANT_IDLE_DAYS`` or older than ``APPLICANT_ABSOLUTE_DAYS``
    (None), else seen now (written at most every 5 minutes)."""
    if row is None:
        return None
    now = now or utcnow()
    model = type(row)
    config = current_app.config
    if (now - row.last_seen_at > timedelta(days=config["APPLICANT_IDLE_DAYS"])
            or now - row.created_at > timedelta(days=config["APPLICANT_ABSOLUTE_DAYS"])):
        model.update(ended_at=now).where(model.id == row.id).execute()
        return None
    if now - row.last_seen_at > timedelta(minutes=5):
        model.update(last_seen_at=now).where(model.id == row.id).execute()
    return row


def _renew_token() -> str:
    """A new token for this browser, given at every hold it takes: a copy of its cookie
    made before (planted by someone, or left on a shared computer) holds nothing of
    what it opens now. Its live holds on other cases, and on questions, move to the new
    token."""
    old = session.get(BROWSER_KEY)
    new = session[BROWSER_KEY] = secrets.token_urlsafe(32)
    session.permanent = True
    if old:
        for model in (CaseGrant, QuestionGrant):
            model.update(token_hash=secret_hash(new)).where(
                (model.token_hash == secret_hash(old)) & model.ended_at.is_null()).execute()
    g.pop("case_grants", None)
    g.pop("question_grants", None)
    return new


def renew_browser_token() -> str:
    """A new random token for this browser (see :func:`_renew_token`): taken with every
    hold, on a case or on a question."""
    return _renew_token()


def _end(case: Case, kinds, everywhere: bool = False) -> None:
    condition = (CaseGrant.case == case.id) & CaseGrant.kind.in_(list(kinds)) \
        & CaseGrant.ended_at.is_null()
    if not everywhere:
        token = session.get(BROWSER_KEY)
        if not token:
            return
        condition &= CaseGrant.token_hash == secret_hash(token)
    CaseGrant.update(ended_at=utcnow()).where(condition).execute()
    g.pop("case_grants", None)


def grant(case: Case, access_code: str | None = None, kind: str = "applicant") -> None:
    """Let this browser open ``case`` (``assisted``: while a volunteer of its point is
    signed in here); ``access_code``: the code it was shown, kept sealed to show again."""
    before = _hold("applicant", case.id) or _hold("assisted", case.id)
    sealed = seal({"code": access_code}) if access_code else (
        before.sealed_code if before is not None else None)
    _end(case, ("applicant", "assisted"))
    CaseGrant.create(token_hash=secret_hash(_renew_token()), case=case.id, kind=kind,
                     sealed_code=sealed)


#: The start forms this browser was given (their one-time keys), newest last.
START_KEYS = "start_keys"


def remember_start_key(key: str) -> None:
    """Remember in this browser's session the key of the start form it was given: if the
    answer to its post is lost, a replay from here can still open the case it made."""
    keys = [k for k in session.get(START_KEYS, []) if k != key][-4:]
    session[START_KEYS] = keys + [key]


#: How long after its start a case may still be opened by replaying its start form.
LOST_ANSWER_WINDOW = timedelta(hours=1)


def started_here(key: str) -> bool:
    """Whether this browser was given the start form with ``key`` and never received the
    answer to its post (that answer takes the key out of the session)."""
    return bool(key) and any(hmac.compare_digest(key, k) for k in session.get(START_KEYS, []))


def lost_answer_of(case: Case) -> bool:
    """Whether this browser may open ``case`` by replaying the start form that made it:
    it was given that form and never got the answer, and the case is a draft started
    within the last hour (an old cookie kept somewhere opens nothing)."""
    return (started_here(case.start_key) and case.is_draft
            and case.created_at >= utcnow() - LOST_ANSWER_WINDOW)


def spend_start_key(key: str) -> None:
    """The answer to a start form's post: its key no longer opens anything here (a later
    user of a shared computer replaying the form after "remove access" gets nothing)."""
    keys = [k for k in session.get(START_KEYS, []) if k != key]
    if keys:
        session[START_KEYS] = keys
    else:
        session.pop(START_KEYS, None)


def grant_lost_answer(case: Case) -> None:
    """Hold the case in this browser after a replayed start, with the access code the
    first (lost) answer would have shown: the one sealed on the first hold."""
    first = (CaseGrant.select().where((CaseGrant.case == case.id)
                                      & (CaseGrant.kind.in_(["applicant", "assisted"]))
                                      & CaseGrant.sealed_code.is_null(False))
             .order_by(CaseGrant.id).first())
    code = unseal(first.sealed_code).get("code") if first is not None else None
    grant(case, code)
    spend_start_key(case.start_key)


def grant_assisted(case: Case, access_code: str | None = None) -> None:
    """Let a volunteer's browser open ``case`` for as long as they are signed in at its
    service point (signing out, or being disabled, closes it again)."""
    grant(case, access_code or shown_access_code(case), kind="assisted")


def forget(case: Case) -> None:
    """Remove the case from this browser: every copy of its cookie loses it too."""
    _end(case, ("applicant", "assisted"))
    pages = dict(session.get(RESUME_KEY, {}))
    if pages.pop(str(case.id), None) is not None:
        session[RESUME_KEY] = pages


def revoke_everywhere(case: Case) -> None:
    """End every browser's hold on ``case`` (a new access code, a withdrawal). This
    browser's token is replaced, so that copies of its cookie hold nothing either; its
    holds on other cases move to the new token."""
    _end(case, ("applicant", "assisted", "agent"), everywhere=True)
    _renew_token()


def shown_access_code(case: Case) -> str | None:
    """The plain access code, if this browser was given it (for display)."""
    row = _hold("applicant", case.id) or _hold("assisted", case.id)
    return unseal(row.sealed_code).get("code") if row is not None and row.sealed_code else None


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
    return _hold("applicant", case.id) is not None or _hold("assisted", case.id) is not None


def holds(case_id: int, volunteer_here) -> bool:
    """Whether this browser holds the case; an assisted case only while ``volunteer_here``
    (a signed-in volunteer of the case's service point) says so."""
    if _hold("applicant", case_id) is not None:
        return True
    return _hold("assisted", case_id) is not None and volunteer_here(case_id)


def grant_agent(case: Case) -> None:
    """Let this browser open the agent's page of ``case``."""
    _end(case, ("agent",))
    CaseGrant.create(token_hash=secret_hash(_renew_token()), case=case.id, kind="agent")


def holds_as_agent(case: Case) -> bool:
    """Whether this browser opened the case with the agent's code."""
    return case.agent_code_issued and _hold("agent", case.id) is not None


def purge_ended_grants(model=CaseGrant) -> int:
    """Forget holds (on cases, or ``model``'s: on questions) that ended, or that can no
    longer be used, a week ago (nightly)."""
    config = current_app.config
    week = utcnow() - timedelta(days=7)
    return model.delete().where(
        (model.ended_at < week)
        | (model.last_seen_at < week - timedelta(days=config["APPLICANT_IDLE_DAYS"]))
        | (model.created_at < week - timedelta(days=config["APPLICANT_ABSOLUTE_DAYS"]))
    ).execute()


def check_access_code(case: Case, code: str) -> bool:
    """Constant-time comparison of a typed access code with the stored hash."""
    return hmac.compare_digest(case.access_code_hash, secret_hash(code))
