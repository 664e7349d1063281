"""The organisation: windows at home (offices) and the overseas service points."""

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from ..clock import utcnow
from .base import BaseModel, JSONField

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


LEVELS = ("province", "city", "county", "district")
#: Levels that run windows, departments and items (a district is a city's county).
LOCAL_LEVELS = ("county", "district")


class Jurisdiction(BaseModel):
    """A place in the network: the province, its cities, their counties and districts."""

    key = CharField(unique=True, max_length=64)
    level = CharField(max_length=16)
    parent = ForeignKeyField("self", null=True, backref="children", on_delete="RESTRICT")
    names = JSONField()
    sort = IntegerField(default=0)

    @property
    def is_local(self) -> bool:
        """A county or district: it has windows, departments and items of its own."""
        return self.level in LOCAL_LEVELS

    def subtree_ids(self) -> list[int]:
        """This jurisdiction's id and those of every place under it."""
        ids, frontier = [self.id], [self.id]
        while frontier:
            frontier = [j.id for j in Jurisdiction.select(Jurisdiction.id)
                        .where(Jurisdiction.parent.in_(frontier))]
            ids += frontier
        return ids

    @classmethod
    def counties(cls):
        """Every county and district, in the network's order."""
        return list(cls.select().where(cls.level.in_(LOCAL_LEVELS))
                    .order_by(cls.sort, cls.id))

    @classmethod
    def local_by_key(cls, key: str | None) -> "Jurisdiction | None":
        """The county or district with this key, or None."""
        if not key:
            return None
        return cls.get_or_none((cls.key == key) & cls.level.in_(LOCAL_LEVELS))


class Office(BaseModel):
    """A one-stop window at home whose clerks review a queue of cases."""

    key = CharField(unique=True, max_length=64)
    names = JSONField()
    sort = IntegerField(default=0)
    # The county or district the window belongs to.
    jurisdiction = ForeignKeyField(Jurisdiction, null=True, backref="offices",
                                   on_delete="RESTRICT")


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
    # The window at home that looks after the point (its volunteers' accounts, its hours).
    office = ForeignKeyField(Office, null=True, backref="service_points", on_delete="SET NULL")
    active = BooleanField(default=True)
    sort = IntegerField(default=0)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    def jurisdiction_ids(self) -> list[int]:
        """The counties and districts the point serves: its volunteers start their cases."""
        return [row.jurisdiction_id for row in self.served]

    @classmethod
    def managed_by(cls, staff):
        """The condition selecting the points ``staff`` (an admin) may see and edit: those
        its windows look after. A point that only serves the county is its window's."""
        return cls.office.in_(staff.office_ids())


class PointJurisdiction(BaseModel):
    """A county or district a service point serves: its volunteers start cases for it."""

    service_point = ForeignKeyField(ServicePoint, backref="served", on_delete="CASCADE")
    jurisdiction = ForeignKeyField(Jurisdiction, backref="service_points", on_delete="CASCADE")

    class Meta:
        indexes = ((("service_point", "jurisdiction"), True),)
