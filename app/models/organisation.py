"""The organisation: windows at home (offices) and the overseas service points."""

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from ..clock import utcnow
from .base import BaseModel, JSONField

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Office(BaseModel):
    """A one-stop window at home whose clerks review a queue of cases."""

    key = CharField(unique=True, max_length=64)
    names = JSONField()
    sort = IntegerField(default=0)


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
    # The window at home that serves it.
    office = ForeignKeyField(Office, null=True, backref="service_points", on_delete="SET NULL")
    active = BooleanField(default=True)
    sort = IntegerField(default=0)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
