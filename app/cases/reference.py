"""Case reference numbers with check digits, and applicant access codes.

A reference is ``OV-`` and ten digits: eight random digits and two ISO 7064
MOD 97-10 check digits (the scheme of IBAN), printed ``OV-1234-5678-90``.
Every single mistyped digit and every swap of two neighbouring digits is
caught before the database is asked.
"""

import re
import secrets

from stdnum.iso7064 import mod_97_10

PREFIX = "OV"
_DIGITS_RE = re.compile(r"^\d{10}$")
# Crockford's base32 without I, L, O, U: nothing to confuse over the phone.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class ReferenceError_(ValueError):
    """Raised by :func:`parse_reference`; ``reason`` is ``format`` or ``check``."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def new_reference(prefix: str = PREFIX) -> str:
    """A fresh random reference in canonical form (``prefix``: ``OV`` for a case, ``QA``
    for a question)."""
    body = "".join(secrets.choice("0123456789") for _ in range(8))
    if body[0] == "0":
        body = str(secrets.randbelow(9) + 1) + body[1:]
    digits = body + mod_97_10.calc_check_digits(body)
    return format_reference(digits, prefix)


def format_reference(digits: str, prefix: str = PREFIX) -> str:
    """``1234567890`` → ``OV-1234-5678-90``."""
    return f"{prefix}-{digits[0:4]}-{digits[4:8]}-{digits[8:10]}"


def parse_reference(text: str, prefix: str = PREFIX) -> str:
    """Canonical reference from what a person typed; raises ``ReferenceError_``."""
    cleaned = re.sub(r"[\s\-–—._/]", "", (text or "").upper())
    if cleaned.startswith(prefix):
        cleaned = cleaned[len(prefix):]
    if not _DIGITS_RE.match(cleaned):
        raise ReferenceError_("format")
    if not mod_97_10.is_valid(cleaned):
        raise ReferenceError_("check")
    return format_reference(cleaned, prefix)


def read_reference(text: str) -> tuple[str | None, str | None]:
    """``(reference, None)`` for a typed reference, or ``(None, message)`` for the form."""
    from flask_babel import gettext as _
    try:
        return parse_reference(text), None
    except ReferenceError_ as exc:
        if exc.reason == "check":
            return None, _("This reference has a typing mistake: its last two digits do not "
                           "match. Please compare it with your email or receipt.")
        return None, _("A reference looks like OV-1234-5678-90.")


def new_access_code() -> str:
    """An 8-character access code (40 random bits), printed ``ABCD-EF12``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def normalize_access_code(text: str) -> str:
    """Canonical access code from what a person typed (tolerates O/0, I/1, case)."""
    cleaned = re.sub(r"[\s\-–—._]", "", (text or "").upper())
    cleaned = cleaned.replace("O", "0").replace("I", "1").replace("L", "1")
    return f"{cleaned[:4]}-{cleaned[4:]}" if len(cleaned) == 8 else cleaned
