"""Issued documents: every PDF handed out for a case, with its verification code."""

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField

from ..clock import utcnow
from .base import BaseModel
from .cases import Case


class IssuedDocument(BaseModel):
    """A rendered PDF of a case, kept so its SHA-256 can be verified later.

    The same case version, document type, language and paper size is issued
    once and served again from disk; a change to the case issues a new one.
    """

    case = ForeignKeyField(Case, backref="documents", on_delete="CASCADE")
    doc_type = CharField(max_length=16)
    code = CharField(max_length=16, unique=True)
    # What the document was made from (answers, files, status): same fingerprint, same PDF.
    fingerprint = CharField(max_length=64)
    locale = CharField(max_length=5)
    page_size = CharField(max_length=8)
    stored_name = CharField(max_length=64)
    sha256 = CharField(max_length=64)
    size = IntegerField()
    pages = IntegerField()
    # Only initials leave the case on the public verification page.
    initials = CharField(max_length=16, default="")
    issued_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("case", "doc_type", "fingerprint", "locale", "page_size"), False),)
