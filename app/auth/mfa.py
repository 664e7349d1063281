"""TOTP two-step sign-in (RFC 6238, via pyotp) and one-time recovery codes."""

import hashlib
import hmac
import secrets
import time

import pyotp
import segno
from flask import current_app
from peewee import Value

from ..audit import record
from ..models import Staff

ISSUER = "OneVisit"
STEP = 30


def new_secret() -> str:
    """A fresh base32 TOTP secret."""
    return pyotp.random_base32()


def provisioning_qr(staff: Staff) -> tuple[str, str]:
    """``(otpauth URI, QR code as an SVG data URI)`` for the authenticator app."""
    uri = pyotp.TOTP(staff.totp_secret).provisioning_uri(name=staff.email, issuer_name=ISSUER)
    return uri, segno.make(uri, error="m").svg_data_uri(scale=4, border=2)


def _matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step whose code is ``code`` (one step of clock drift allowed)."""
    totp = pyotp.TOTP(secret)
    current = int(now // STEP)
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.at(step * STEP), code):
            return step
    return None


def verify_code(staff: Staff, code: str, now: float | None = None) -> str:
    """Check a TOTP code; ``ok``, ``wrong`` or ``reused``.

    A code is accepted once: the step it belongs to must be later than the
    last accepted step, and that is recorded atomically.
    """
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(code) != 6 or not staff.totp_secret:
        return "wrong"
    step = _matching_step(staff.totp_secret, code, time.time() if now is None else now)
    if step is None:
        return "wrong"
    updated = (Staff.update(totp_last_step=step)
               .where((Staff.id == staff.id) & (Staff.totp_last_step < step)).execute())
    if not updated:
        return "reused"
    staff.totp_last_step = step
    return "ok"


def _code_hash(code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, code.replace("-", "").upper().encode(), hashlib.sha256).hexdigest()


def new_recovery_codes(staff: Staff, count: int = 10) -> list[str]:
    """Replace the account's recovery codes; return the plain codes (shown once)."""
    alphabet = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
    codes = ["".join(secrets.choice(alphabet) for _ in range(10)) for _ in range(count)]
    codes = [f"{c[:5]}-{c[5:]}" for c in codes]
    staff.recovery_codes = [_code_hash(c) for c in codes]
    Staff.update(recovery_codes=staff.recovery_codes).where(Staff.id == staff.id).execute()
    return codes


def use_recovery_code(staff: Staff, code: str) -> bool:
    """Accept a recovery code once: two requests racing with the same code change the
    list only once (the update names the list it read), and only that one passes."""
    digest = _code_hash(code or "")
    remaining = [h for h in (staff.recovery_codes or []) if not hmac.compare_digest(h, digest)]
    if len(remaining) == len(staff.recovery_codes or []):
        return False
    taken = Staff.update(recovery_codes=remaining).where(
        (Staff.id == staff.id)
        & (Staff.recovery_codes == Value(staff.recovery_codes, unpack=False))).execute()
    staff.recovery_codes = remaining
    return taken == 1


def check_second_step(staff: Staff, code: str) -> str:
    """A TOTP code, or a 10-character recovery code: ``ok``, ``wrong`` or ``reused``."""
    if len("".join(c for c in code if c.isalnum())) == 10:
        return "ok" if use_recovery_code(staff, code) else "wrong"
    return verify_code(staff, code)


def ensure_secret(staff: Staff) -> None:
    """Give an account that has not enrolled yet a TOTP secret to enrol with."""
    if not staff.totp_secret:
        staff.totp_secret = new_secret()
        Staff.update(totp_secret=staff.totp_secret).where(Staff.id == staff.id).execute()


def confirm_enrolment(staff: Staff) -> list[str]:
    """The first code was right: two-step sign-in is on; return the recovery codes (shown
    once)."""
    Staff.update(totp_confirmed=True).where(Staff.id == staff.id).execute()
    codes = new_recovery_codes(staff)
    record("mfa_enrolled", staff=staff)
    return codes
