"""Overseas service points (海外服务点) and video identity-check appointments."""

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel, JSONField, utcnow
from .cases import Case

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ServicePoint(BaseModel):
    """A liaison desk abroad, run by an association, where volunteers help walk-ins.

    ``hours`` maps a weekday key (``mon`` … ``sun``) to a list of ``["HH:MM", "HH:MM"]``
    opening spans in the point's own ``timezone``.
    """

    key = CharField(unique=True, max_length=64)
    city = JSONField()  # {locale: name}
    country = CharField(max_length=2)
    host = JSONField()  # {locale: association name}
    address = TextField(default="")
    phone = CharField(max_length=40, default="")
    email = CharField(max_length=254, default="")
    languages = JSONField(default=list)  # language codes, e.g. ["zh", "wuu", "it"]
    timezone = CharField(max_length=64)
    hours = JSONField(default=dict)
    office_id = IntegerField(null=True)  # the window at home that serves it
    active = BooleanField(default=True)
    sort = IntegerField(default=0)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)


class Appointment(BaseModel):
    """A video call with the window that confirms the applicant's identity.

    ``slot_key`` is set while the appointment holds its slot and cleared when it
    is cancelled; its unique index is what makes two bookings of one slot
    impossible, whatever the timing.
    """

    case = ForeignKeyField(Case, backref="appointments", on_delete="CASCADE")
    office_id = IntegerField(null=True)
    starts_at = DateTimeField(index=True)  # naive UTC
    minutes = IntegerField(default=20)
    status = CharField(max_length=16, default="booked")  # booked | cancelled | held
    slot_key = CharField(max_length=64, null=True, unique=True)
    manage_token_hash = CharField(max_length=64, unique=True)
    room = CharField(max_length=64)
    sequence = IntegerField(default=0)  # iCalendar SEQUENCE: bumped on each change
    timezone = CharField(max_length=64)  # the zone the booker saw
    booked_by = CharField(max_length=16, default="applicant")  # applicant | volunteer
    booked_by_id = IntegerField(null=True)
    outcome = JSONField(null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    cancelled_at = DateTimeField(null=True)
