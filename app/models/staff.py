"""Staff: accounts, their sessions, and the audit trail."""

from datetime import timedelta

from peewee import (BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField)

from ..clock import utcnow
from .base import BaseModel, JSONField
from .catalog import Department
from .organisation import Jurisdiction, Office, ServicePoint

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
    # A password the system made (create-staff without --password, or a reset) opens the
    # account for INITIAL_PASSWORD_DAYS, and only to choose one's own.
    must_change_password = BooleanField(default=False)
    # Made by `flask load-demo`: signs in only while ONEVISIT_DEMO is on.
    demo = BooleanField(default=False)
    password_set_at = DateTimeField(null=True)
    # The language of the staff pages and staff emails ("" until the person chooses).
    lang = CharField(max_length=5, default="")
    # A volunteer belongs to exactly one overseas service point.
    service_point = ForeignKeyField(ServicePoint, null=True, backref="volunteers",
                                    on_delete="SET NULL")
    # Accounts above the counties (a city's or the province's supervisors) name their
    # jurisdiction here; everyone else belongs to one through their office or department.
    jurisdiction = ForeignKeyField(Jurisdiction, null=True, backref="staff",
                                   on_delete="RESTRICT")

    @property
    def scope(self) -> "Jurisdiction | None":
        """The jurisdiction whose cases, staff and data this account works with."""
        if self.jurisdiction_id:
            return self.jurisdiction
        if self.office_id and self.office.jurisdiction_id:
            return self.office.jurisdiction
        if self.department_id and self.department.jurisdiction_id:
            return self.department.jurisdiction
        return None

    def scope_ids(self) -> list[int]:
        """The ids of the jurisdictions in this account's scope: its own and those under it
        (read once per loaded account)."""
        if "_scope_ids" not in self.__dict__:
            scope = self.scope
            self.__dict__["_scope_ids"] = scope.subtree_ids() if scope else []
        return self.__dict__["_scope_ids"]

    def office_ids(self) -> list[int]:
        """The windows in this account's scope."""
        if "_office_ids" not in self.__dict__:
            self.__dict__["_office_ids"] = [o.id for o in Office.select(Office.id).where(
                Office.jurisdiction.in_(self.scope_ids()))]
        return self.__dict__["_office_ids"]

    @classmethod
    def managed_by(cls, manager: "Staff"):
        """The condition selecting the accounts ``manager`` may see and manage.

        A supervisor manages their window's accounts; a county's admin (or a read-only
        supervisor above the counties) every account in their jurisdiction, with the
        volunteers of the service points its windows look after.
        """
        if manager.role != "admin" and not manager.read_only:
            return cls.office == manager.office_id if manager.office_id else None
        places, offices = manager.scope_ids(), manager.office_ids()
        if not places:
            return None
        departments = Department.select(Department.id).where(Department.jurisdiction.in_(places))
        points = ServicePoint.select(ServicePoint.id).where(ServicePoint.office.in_(offices))
        return (cls.office.in_(offices) | cls.department.in_(departments)
                | cls.jurisdiction.in_(places) | cls.service_point.in_(points))

    @classmethod
    def holders_in(cls, office_ids):
        """The active clerks and supervisors of these windows: who may hold a case."""
        return (cls.select().where(cls.office.in_(office_ids) & (cls.active == True)  # noqa: E712
                                   & cls.role.in_(["clerk", "supervisor"]))
                .order_by(cls.name))

    @property
    def read_only(self) -> bool:
        """An account above the counties: it sees everything under it and changes nothing."""
        scope = self.scope
        return scope is not None and not scope.is_local

class StaffSession(BaseModel):
    """A signed-in browser. Ending the row ends the session, wherever the cookie is."""

    token_hash = CharField(unique=True, max_length=64)
    staff = ForeignKeyField(Staff, backref="sessions", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    last_seen_at = DateTimeField(default=utcnow)
    mfa_passed = BooleanField(default=False)
    ended_at = DateTimeField(null=True, index=True)
    ip = CharField(max_length=64, default="")


class HeldRefusal(BaseModel):
    """A refused decision waiting for the case page that shows it (Post/Redirect/Get):
    what the clerk typed (``values``: the posted fields, no files) and why it was refused
    (``errors`` by field, ``form_errors``). Kept under the session, the case and the
    decision; the page takes it once, and it lapses after :attr:`KEPT` unshown."""

    KEPT = timedelta(minutes=10)

    session = ForeignKeyField(StaffSession, on_delete="CASCADE")
    case_id = IntegerField()
    action = CharField(max_length=32)
    data = JSONField()
    created_at = DateTimeField(default=utcnow, index=True)

    class Meta:
        indexes = ((("session", "case_id", "action"), True),)

    @classmethod
    def purge(cls) -> int:
        """Drop what lapsed unshown."""
        return cls.delete().where(cls.created_at < utcnow() - cls.KEPT).execute()


class AuditEvent(BaseModel):
    """Append-only record of staff logins, views, downloads and decisions."""

    staff = ForeignKeyField(Staff, null=True, backref="audit", on_delete="SET NULL")
    action = CharField(max_length=32, index=True)
    case_id = IntegerField(null=True, index=True)
    target = CharField(max_length=200, default="")
    ip = CharField(max_length=64, default="")
    data = JSONField(null=True)
    created_at = DateTimeField(default=utcnow, index=True)
