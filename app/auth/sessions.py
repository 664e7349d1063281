"""Staff sign-in and server-side sessions (the guards are in :mod:`app.authz`).

The browser holds only a random token in the signed cookie; the session row
decides. A session ends on logout, after 30 minutes idle, 12 hours after
sign-in, when a supervisor disables the account, or when the account's password
is reset. Signing in, the second step and a password change rotate the token
(signing in also clears whatever the cookie held before).
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, g, request, session

from ..audit import client_ip, record
from ..clock import utcnow
from ..config import LOCALES
from ..i18n import LANGUAGE_KEY
from ..models import Staff, StaffSession
from ..ratelimits import SlowDown
from . import verify_password

COOKIE_KEY = "staff"
#: Requests a page makes by itself (the clocks refresh every minute): they do not keep a
#: session alive, or an open queue would never be signed out for being left.
NOT_ACTIVITY = frozenset({"points.shift_clocks"})
ABSOLUTE = timedelta(hours=12)
#: Wrong passwords per email address (real or not): five free, then a wait that doubles
#: up to a minute. The owner is slowed like anyone, never locked out.
PASSWORDS = SlowDown("password", free=5, most=60)
#: Wrong second-step codes per account: three free, then the same growing wait; every
#: third failure also ends the half-signed-in session (the password is asked again).
SECOND_STEPS = SlowDown("second-step", free=3, most=60)
SECOND_STEP_TRIES = 3
#: A password the system made works this long, and only to choose one's own.
INITIAL_PASSWORD_DAYS = 7


class LoginError(Exception):
    """Sign-in refused; ``reason`` is ``credentials``, ``slowed`` (``wait`` seconds) or
    ``disabled``."""

    def __init__(self, reason, wait: int = 0):
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


_DUMMY = []


def _dummy_hash() -> str:
    if not _DUMMY:
        from . import hash_password
        _DUMMY.append(hash_password(secrets.token_hex(16)))
    return _DUMMY[0]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(email: str, password: str) -> Staff:
    """Check email and password. Failures are counted per email address, whether an
    account has it or not, and every refusal reads and takes the same (no way to learn
    which addresses have accounts)."""
    address = (email or "").strip().lower()
    wait = PASSWORDS.wait(address)
    if wait:
        record("login_failed", target=address[:60], data={"reason": "slowed"})
        raise LoginError("slowed", wait)
    staff = Staff.get_or_none(Staff.email == address)
    if staff is None:
        verify_password(_dummy_hash(), password or "")  # same work as for a real account
        PASSWORDS.failed(address)
        record("login_failed", target=address[:60], data={"reason": "unknown"})
        raise LoginError("credentials")
    if not verify_password(staff.password_hash, password or ""):
        PASSWORDS.failed(address)
        record("login_failed", staff=staff, data={"reason": "password"})
        raise LoginError("credentials")
    if staff.must_change_password and (staff.password_set_at or datetime.min) < utcnow() - \
            timedelta(days=INITIAL_PASSWORD_DAYS):
        # A system-made password that was never replaced in time opens nothing; the
        # answer is a wrong password's (an administrator makes a new one).
        PASSWORDS.failed(address)
        record("login_failed", staff=staff, data={"reason": "initial_password_expired"})
        raise LoginError("credentials")
    if not staff.active:
        record("login_failed", staff=staff, data={"reason": "disabled"})
        raise LoginError("disabled")
    if staff.demo and not current_app.config["DEMO"]:
        # A demo account's codes can be printed by anyone at the console: it opens
        # nothing once the demo is off.
        record("login_failed", staff=staff, data={"reason": "demo_off"})
        raise LoginError("disabled")
    PASSWORDS.passed(address)
    return staff


def second_step_failed(row: StaffSession) -> bool:
    """Count a wrong code on the account; True when the half-signed-in session ended."""
    failures = SECOND_STEPS.failed(str(row.staff_id))
    if failures % SECOND_STEP_TRIES:
        return False
    StaffSession.update(ended_at=utcnow()).where(StaffSession.id == row.id).execute()
    session.pop(COOKIE_KEY, None)
    return True


def start_session(staff: Staff) -> StaffSession:
    """A new session for ``staff``; the cookie is cleared and given a new token."""
    token = secrets.token_urlsafe(32)
    previous = session.get(COOKIE_KEY)
    if previous:  # signing in again ends the session this browser had
        StaffSession.update(ended_at=utcnow()).where(
            (StaffSession.token_hash == _hash(previous)) & StaffSession.ended_at.is_null()).execute()
    chosen = session.get(LANGUAGE_KEY)
    session.clear()
    keep_language(staff, staff.lang or chosen)
    row = StaffSession.create(token_hash=_hash(token), staff=staff, ip=client_ip())
    session[COOKIE_KEY] = token
    session.permanent = False
    Staff.update(last_login_at=utcnow()).where(Staff.id == staff.id).execute()
    record("login", staff=staff, data={"mfa": False})
    return row


def keep_language(staff: Staff | None, lang: str | None) -> None:
    """Show the staff pages in ``lang`` in this browser and, signed in, on every sign-in
    of the account (its emails follow it too); an unknown language changes nothing."""
    if lang not in LOCALES:
        return
    session[LANGUAGE_KEY] = lang
    if staff is not None and staff.lang != lang:
        Staff.update(lang=lang).where(Staff.id == staff.id).execute()
        staff.lang = lang


def _rotate(row: StaffSession, **changes) -> None:
    """Give the session a new token (a copy of the cookie from before holds nothing)."""
    token = secrets.token_urlsafe(32)
    StaffSession.update(token_hash=_hash(token), last_seen_at=utcnow(), **changes).where(
        StaffSession.id == row.id).execute()
    session[COOKIE_KEY] = token


def pass_mfa(row: StaffSession) -> None:
    """Mark the session as through two-step sign-in, rotating its token again."""
    _rotate(row, mfa_passed=True)
    record("login_mfa", staff=row.staff)


def end_session() -> None:
    """Log out: end the session row and clear the cookie."""
    token = session.get(COOKIE_KEY)
    if token:
        StaffSession.update(ended_at=utcnow()).where(
            (StaffSession.token_hash == _hash(token)) & StaffSession.ended_at.is_null()).execute()
    session.clear()


def end_all_sessions(staff: Staff) -> int:
    """End every session of an account (used when it is disabled)."""
    return StaffSession.update(ended_at=utcnow()).where(
        (StaffSession.staff == staff) & StaffSession.ended_at.is_null()).execute()


def open_sessions(staff: Staff) -> list[StaffSession]:
    """The account's sessions still in use (not ended, not past a timeout), newest use
    first."""
    now = utcnow()
    idle = timedelta(minutes=current_app.config.get("STAFF_IDLE_MINUTES", 30))
    return list(StaffSession.select().where(
        (StaffSession.staff == staff) & StaffSession.ended_at.is_null()
        & (StaffSession.last_seen_at > now - idle) & (StaffSession.created_at > now - ABSOLUTE))
        .order_by(StaffSession.last_seen_at.desc()))


def end_own_sessions(row: StaffSession, password: str, chosen: list[int]) -> dict:
    """End the chosen sessions of the signed-in account (never this one), once its
    password is given again: ``{"ended": n}``, or ``{"password": "wrong"}`` /
    ``{"password": "slowed", "wait": s}`` / ``{"signed_out": True}`` (a third wrong
    password ended this session, as a wrong code would)."""
    wait = SECOND_STEPS.wait(str(row.staff_id))
    if wait:
        return {"password": "slowed", "wait": wait}
    if not verify_password(row.staff.password_hash, password or ""):
        return {"signed_out": True} if second_step_failed(row) else {"password": "wrong"}
    SECOND_STEPS.passed(str(row.staff_id))
    ended = StaffSession.update(ended_at=utcnow()).where(
        (StaffSession.staff == row.staff_id) & StaffSession.ended_at.is_null()
        & StaffSession.id.in_([number for number in chosen if number != row.id])).execute()
    record("sessions_ended", staff=row.staff, data={"count": ended})
    return {"ended": ended}


def set_active(target: Staff, active: bool) -> None:
    """Enable or disable an account; disabling ends all its sessions at once."""
    Staff.update(active=active).where(Staff.id == target.id).execute()
    if not active:
        end_all_sessions(target)


def current_session() -> StaffSession | None:
    """The live session of this request, or ``None`` (expired ones are ended here)."""
    if "staff_session" in g.__dict__:
        return g.staff_session
    g.staff_session = None
    token = session.get(COOKIE_KEY)
    if not token:
        return None
    row = (StaffSession.select(StaffSession, Staff).join(Staff)
           .where((StaffSession.token_hash == _hash(token)) & StaffSession.ended_at.is_null())
           .first())
    if row is None:
        return None
    now = utcnow()
    idle = timedelta(minutes=current_app.config.get("STAFF_IDLE_MINUTES", 30))
    if (now - row.last_seen_at > idle or now - row.created_at > ABSOLUTE
            or not row.staff.active):
        StaffSession.update(ended_at=now).where(StaffSession.id == row.id).execute()
        return None
    if (now - row.last_seen_at > timedelta(seconds=60)
            and request.endpoint not in NOT_ACTIVITY):
        StaffSession.update(last_seen_at=now).where(StaffSession.id == row.id).execute()
    g.staff_session = row
    return row


def current_staff() -> Staff | None:
    """The signed-in staff member, once through two-step sign-in."""
    row = current_session()
    if row is None or not row.mfa_passed:
        return None
    return row.staff


def change_password(row: StaffSession, current: str, new: str, again: str,
                    code: str) -> dict:
    """Change the signed-in account's password: ``{field: what}`` of what is wrong
    (``{"ended": True}``: a third failure ended this session), or ``{}`` once changed
    (every other session of the account then ends). The password in use and the code
    count as second-step failures, so a session left open cannot try passwords."""
    from . import hash_password, mfa
    from .passwords import weakness
    staff = row.staff
    wait = SECOND_STEPS.wait(str(staff.id))
    if wait:
        return {"code": "slowed", "wait": wait}
    if not verify_password(staff.password_hash, current or ""):
        return {"ended": True} if second_step_failed(row) else {"current": "wrong"}
    if mfa.check_second_step(staff, code or "") != "ok":
        return {"ended": True} if second_step_failed(row) else {"code": "wrong"}
    SECOND_STEPS.passed(str(staff.id))
    if new != again:
        return {"again": "different"}
    if new == current:
        return {"new": "same"}
    problem = weakness(new, staff.email, staff.name)
    if problem:
        return {"new": problem}
    Staff.update(password_hash=hash_password(new), must_change_password=False,
                 password_set_at=utcnow()).where(Staff.id == staff.id).execute()
    StaffSession.update(ended_at=utcnow()).where(
        (StaffSession.staff == staff) & StaffSession.ended_at.is_null()
        & (StaffSession.id != row.id)).execute()
    _rotate(row)
    record("password_changed", staff=staff)
    return {}
