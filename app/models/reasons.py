"""The library of standard reasons a clerk gives when a material needs correcting."""

from peewee import BooleanField, CharField, ForeignKeyField, IntegerField

from .base import BaseModel, JSONField
from .organisation import Jurisdiction


class ReturnReason(BaseModel):
    """A standard reason (blurred, cut off, expired…) with its text in each locale.

    A reason without a jurisdiction belongs to the default library every county
    offers; a county (or a city, the province) may keep its own reason under the
    same key, which then replaces the default for its cases. ``applies_to`` lists
    kinds of material or material keys; empty means every material.
    """

    key = CharField(max_length=64)
    texts = JSONField(default=dict)
    applies_to = JSONField(default=list)
    active = BooleanField(default=True)
    sort = IntegerField(default=0)
    jurisdiction = ForeignKeyField(Jurisdiction, null=True, backref="return_reasons",
                                   on_delete="CASCADE")

    class Meta:
        indexes = ((("jurisdiction", "key"), True),)
