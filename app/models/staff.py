"""Staff: accounts, their sessions, and the audit trail."""

from peewee import (BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField)

from ..clock import utcnow
from .base import BaseModel, JSONField
from .catalog import Department
from .organisation import Office, ServicePoint

ROLES = ("clerk", "officer", "supervisor", "admin", "volunteer")


class Staff(BaseModel):
    """A person who signs in with a password (argon2id hash only) and TOTP (every role)."""

    email = CharField(unique=True, max_length=254)
    name = CharField(max_length=100)
    role = CharField(max_length=16)
    password_hash = CharField(max_length=255)
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)
    office = ForeignKeyField(Office, null=True, backref="staff", on_delete="SET NULL")
    department = ForeignKeyField(Department, null=True, backref="staff", on_delete="SET NULL")
    totp_secret = CharField(max_length=64, null=True)
    totp_confirmed = BooleanField(default=False)
    # The last TOTP time step accepted: a code is never accepted twice.
    totp_last_step = IntegerField(default=0)
    recovery_codes = JSONField(default=list)  # hashes of unused recovery codes
    failed_logins = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    last_login_at = DateTimeField(null=True)
    # A volunteer belongs to exactly one overseas service point.
    service_point = ForeignKeyField(ServicePoint, null=True, backref="volunteers",
                                    on_delete="SET NULL")

class StaffSession(BaseModel):
    """A signed-in browser. Ending the row ends the session, wherever the cookie is."""

    token_hash = CharField(unique=True, max_length=64)
    staff = ForeignKeyField(Staff, backref="sessions", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    last_seen_at = DateTimeField(default=utcnow)
    mfa_passed = BooleanField(default=False)
    ended_at = DateTimeField(null=True, index=True)
    ip = CharField(max_length=64, default="")


class AuditEvent(BaseModel):
    """Append-only record of staff logins, views, downloads and decisions."""

    staff = ForeignKeyField(Staff, null=True, backref="audit", on_delete="SET NULL")
    action = CharField(max_length=32, index=True)
    case_id = IntegerField(null=True, index=True)
    target = CharField(max_length=200, default="")
    ip = CharField(max_length=64, default="")
    data = JSONField(null=True)
    created_at = DateTimeField(default=utcnow, index=True)
