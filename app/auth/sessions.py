"""Staff sign-in and server-side sessions (the guards are in :mod:`app.authz`).

The browser holds only a random token in the signed cookie; the session row
decides. A session ends on logout, after 30 minutes idle, 12 hours after
sign-in, or when a supervisor disables the account. Signing in rotates the
token (and clears whatever the cookie held before).
"""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, g, session

from ..audit import client_ip, record
from ..clock import utcnow
from ..models import Staff, StaffSession
from . import verify_password

COOKIE_KEY = "staff"
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
ABSOLUTE = timedelta(hours=12)


class LoginError(Exception):
    """Sign-in refused; ``reason`` is ``credentials``, ``locked`` or ``disabled``."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


_DUMMY = []


def _dummy_hash() -> str:
    if not _DUMMY:
        from . import hash_password
        _DUMMY.append(hash_password(secrets.token_hex(16)))
    return _DUMMY[0]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(email: str, password: str) -> Staff:
    """Check email and password, counting failures and locking the account."""
    staff = Staff.get_or_none(Staff.email == (email or "").strip().lower())
    now = utcnow()
    if staff is None:
        verify_password(_dummy_hash(), password or "")  # same work as for a real account
        record("login_failed", target=(email or "")[:60], data={"reason": "unknown"})
        raise LoginError("credentials")
    if staff.locked_until and staff.locked_until > now:
        record("login_failed", staff=staff, data={"reason": "locked"})
        raise LoginError("locked")
    if not verify_password(staff.password_hash, password or ""):
        failures = staff.failed_logins + 1
        locked = now + LOCKOUT if failures >= MAX_FAILURES else None
        Staff.update(failed_logins=0 if locked else failures, locked_until=locked).where(
            Staff.id == staff.id).execute()
        record("login_failed", staff=staff, data={"reason": "password", "locked": bool(locked)})
        raise LoginError("locked" if locked else "credentials")
    if not staff.active:
        record("login_failed", staff=staff, data={"reason": "disabled"})
        raise LoginError("disabled")
    Staff.update(failed_logins=0, locked_until=None).where(Staff.id == staff.id).execute()
    return staff


def start_session(staff: Staff) -> StaffSession:
    """A new session for ``staff``; the cookie is cleared and given a new token."""
    token = secrets.token_urlsafe(32)
    previous = session.get(COOKIE_KEY)
    if previous:  # signing in again ends the session this browser had
        StaffSession.update(ended_at=utcnow()).where(
            (StaffSession.token_hash == _hash(previous)) & StaffSession.ended_at.is_null()).execute()
    session.clear()
    row = StaffSession.create(token_hash=_hash(token), staff=staff, ip=client_ip())
    session[COOKIE_KEY] = token
    session.permanent = False
    Staff.update(last_login_at=utcnow()).where(Staff.id == staff.id).execute()
    record("login", staff=staff, data={"mfa": False})
    return row


def pass_mfa(row: StaffSession) -> None:
    """Mark the session as through two-step sign-in, rotating its token again."""
    token = secrets.token_urlsafe(32)
    StaffSession.update(token_hash=_hash(token), mfa_passed=True, last_seen_at=utcnow()).where(
        StaffSession.id == row.id).execute()
    session[COOKIE_KEY] = token
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
    if now - row.last_seen_at > timedelta(seconds=60):
        StaffSession.update(last_seen_at=now).where(StaffSession.id == row.id).execute()
    g.staff_session = row
    return row


def current_staff() -> Staff | None:
    """The signed-in staff member, once through two-step sign-in."""
    row = current_session()
    if row is None or not row.mfa_passed:
        return None
    return row.staff
