"""Cases (办件), their uploaded files and their timeline events."""

from peewee import (BigIntegerField, BooleanField, CharField, DateTimeField,
                    ForeignKeyField, IntegerField, TextField)

from .base import BaseModel, JSONField, utcnow
from .catalog import Item


class Case(BaseModel):
    """One applicant's request for one item.

    The applicant has no password: the case is reached through a secret access
    link (only its HMAC is stored) or the reference plus an access code.
    """

    reference = CharField(unique=True, max_length=20)
    item = ForeignKeyField(Item, backref="cases", on_delete="RESTRICT")
    item_version = IntegerField()
    status = CharField(max_length=16, default="draft", index=True)
    locale = CharField(max_length=5)
    contact_email = CharField(max_length=254, null=True)
    contact_phone = CharField(max_length=32, null=True)
    country = CharField(max_length=2)
    city = CharField(max_length=100)
    timezone = CharField(max_length=64)
    answers = JSONField(default=dict)
    # Material keys the applicant will supply later (容缺).
    deferred = JSONField(default=list)
    # Who does the formalities at home: {"mode": "self"} or {"mode": "agent", agent details}.
    entrustment = JSONField(null=True)
    # Where the applicant stopped: a step key, "materials", "check" or "declaration".
    resume_at = CharField(max_length=64, default="")
    access_token_hash = CharField(max_length=64, unique=True)
    access_token_expires = DateTimeField()
    access_code_hash = CharField(max_length=64)
    # One-time key of the start form, so a replayed start POST finds this case.
    start_key = CharField(max_length=64, unique=True)
    version = IntegerField(default=1)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    submitted_at = DateTimeField(null=True, index=True)


class Upload(BaseModel):
    """One stored file for one material slot of a case."""

    case = ForeignKeyField(Case, backref="uploads", on_delete="CASCADE")
    material_key = CharField(max_length=64)
    stored_name = CharField(max_length=64, unique=True)
    original_name = CharField(max_length=255)
    content_type = CharField(max_length=64)
    size = BigIntegerField()
    sha256 = CharField(max_length=64)
    width = IntegerField(null=True)
    height = IntegerField(null=True)
    pages = IntegerField(null=True)
    removed = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("case", "material_key"), False),)


class Event(BaseModel):
    """A step in a case's history, shown on its timeline."""

    case = ForeignKeyField(Case, backref="events", on_delete="CASCADE")
    kind = CharField(max_length=32)
    actor = CharField(max_length=16, default="applicant")  # applicant | staff | system
    actor_id = IntegerField(null=True)
    note = TextField(null=True)
    data = JSONField(null=True)
    created_at = DateTimeField(default=utcnow, index=True)
