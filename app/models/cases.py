"""Cases (办件), their uploaded files and their timeline events."""

from peewee import (BigIntegerField, BooleanField, CharField, DateField, DateTimeField,
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
    # Review: the window handling it, who works on it, where it was passed.
    office_id = IntegerField(null=True)
    assigned_to_id = IntegerField(null=True, index=True)
    transferred_to_id = IntegerField(null=True)
    # When the case last came (back) to the window: the queue's waiting time.
    queued_at = DateTimeField(null=True)
    accepted_at = DateTimeField(null=True)
    due_date = DateField(null=True)  # time limit: working days from acceptance
    deferred_due = DateField(null=True)  # when deferred materials are owed
    supplement = JSONField(null=True)  # what the window asked to correct
    result = JSONField(null=True)
    delivery = JSONField(null=True)
    applicant_name = CharField(max_length=120, default="", index=True)
    # Assisted at an overseas service point: which one, and the volunteer who helped.
    service_point_id = IntegerField(null=True, index=True)
    assisted_by_id = IntegerField(null=True)
    # The entrusted agent's own access code (HMAC only), issued once identity is confirmed.
    agent_code_hash = CharField(max_length=64, null=True)

    class Meta:
        # The queue's indexes; the deadline and deferred ones are created in
        # migrations.queue_indexes() because they index an expression or are partial.
        indexes = (
            (("office_id", "status", "queued_at", "id"), False),
            (("transferred_to_id", "status", "queued_at", "id"), False),
            (("office_id", "due_date"), False),
            (("office_id", "queued_at", "id", "status", "applicant_name"), False),
        )


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


class MaterialReview(BaseModel):
    """A clerk's verdict on one material of a case (the latest one counts)."""

    case = ForeignKeyField(Case, backref="reviews", on_delete="CASCADE")
    material_key = CharField(max_length=64)
    verdict = CharField(max_length=16)  # accepted | correction
    reason = TextField(default="")
    staff_id = IntegerField()
    created_at = DateTimeField(default=utcnow)


class CaseNote(BaseModel):
    """An internal note between staff, or a message to the applicant."""

    case = ForeignKeyField(Case, backref="notes", on_delete="CASCADE")
    staff_id = IntegerField()
    body = TextField()
    to_applicant = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)


class AccessToken(BaseModel):
    """A further access link for a case (each notification email carries one)."""

    case = ForeignKeyField(Case, backref="access_tokens", on_delete="CASCADE")
    token_hash = CharField(max_length=64, unique=True)
    expires_at = DateTimeField()
    created_at = DateTimeField(default=utcnow)


class Event(BaseModel):
    """A step in a case's history, shown on its timeline."""

    case = ForeignKeyField(Case, backref="events", on_delete="CASCADE")
    kind = CharField(max_length=32)
    actor = CharField(max_length=16, default="applicant")  # applicant | staff | system
    actor_id = IntegerField(null=True)
    note = TextField(null=True)
    data = JSONField(null=True)
    created_at = DateTimeField(default=utcnow, index=True)


class TusUpload(BaseModel):
    """A resumable upload (tus 1.0) in progress for one material slot of a case."""

    id = CharField(primary_key=True, max_length=32)
    case = ForeignKeyField(Case, backref="tus_uploads", on_delete="CASCADE")
    material_key = CharField(max_length=64)
    filename = CharField(max_length=255, default="")
    length = BigIntegerField()
    offset = BigIntegerField(default=0)
    locale = CharField(max_length=5, default="zh")
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField(index=True)
    upload_id = IntegerField(null=True)  # the stored Upload once finished and accepted
