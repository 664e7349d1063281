"""Staff accounts: password hashing (argon2id) and account creation."""

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..models import ROLES, Staff

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


def create_staff(email: str, name: str, role: str, password: str | None = None) -> tuple[Staff, str]:
    """Create (or reset) a staff account; return it and the password set."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    password = password or secrets.token_urlsafe(12)
    if len(password) < 12:
        raise ValueError("a password needs at least 12 characters")
    staff = Staff.get_or_none(Staff.email == email.lower()) or Staff(email=email.lower())
    staff.name = name
    staff.role = role
    staff.password_hash = hash_password(password)
    staff.active = True
    staff.save()
    return staff, password
