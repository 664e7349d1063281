"""Staff accounts (clerks, department officers, supervisors, admins, volunteers)."""

from peewee import BooleanField, CharField, DateTimeField

from .base import BaseModel, utcnow

ROLES = ("clerk", "officer", "supervisor", "admin", "volunteer")


class Staff(BaseModel):
    """A person who signs in with a password (argon2id hash only)."""

    email = CharField(unique=True, max_length=254)
    name = CharField(max_length=100)
    role = CharField(max_length=16)
    password_hash = CharField(max_length=255)
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)
