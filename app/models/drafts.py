"""Drafts of catalog items: what a catalog admin is changing before it is published."""

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField

from ..clock import utcnow
from .base import BaseModel, JSONField
from .catalog import Item
from .organisation import Jurisdiction
from .staff import Staff


class ItemDraft(BaseModel):
    """The one draft an item may have (CiviForm's model: one published version, at most
    one draft), or a new item not yet published (``item`` empty).

    ``document`` is the item as an item file says it (``transfer.item_document``), so a
    draft is checked and published by the same code as an imported file. ``reviewed``
    maps a locale to the fingerprint of the Chinese text it was marked done against.
    ``revision`` grows with every save: a save reads and writes it, so two admins'
    saves never overwrite each other unseen.
    """

    code = CharField(unique=True, max_length=32)
    item = ForeignKeyField(Item, null=True, unique=True, backref="drafts", on_delete="CASCADE")
    jurisdiction = ForeignKeyField(Jurisdiction, backref="item_drafts", on_delete="RESTRICT")
    document = JSONField()
    reviewed = JSONField(default=dict)
    base_version = IntegerField(default=0)
    revision = IntegerField(default=1)
    created_by = ForeignKeyField(Staff, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    updated_by = ForeignKeyField(Staff, null=True, backref="+", on_delete="SET NULL")
    updated_at = DateTimeField(default=utcnow)
