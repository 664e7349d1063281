"""Peewee models, one module per aggregate."""

from .appointments import Appointment
from .base import BaseModel, JSONField, db
from .catalog import Category, Department, Item, ItemSearch, ItemSpec, ItemVersion, Material
from .cases import (AccessToken, Case, CaseGrant, CaseNote, Event, MaterialReview, TusUpload,
                    Upload)
from .documents import IssuedDocument
from .drafts import ItemDraft
from .jobs import PeriodicRun, RateCounter
from .questions import (FaqEntry, FaqItem, Question, QuestionEvent, QuestionFile, QuestionGrant,
                        StandardAnswer, SuggestionShown)
from .ratings import (RATING_MODELS, FollowUp, FollowUpEvent, Rating, StaffCell, StatCell,
                      StatDays)
from .reasons import ReturnReason
from .organisation import WEEKDAYS, Jurisdiction, Office, PointJurisdiction, ServicePoint
from .staff import ROLES, AuditEvent, HeldRefusal, Staff, StaffSession

#: Every table, in dependency order.
MODELS = [Jurisdiction, Office, ServicePoint, PointJurisdiction, Department, Category, Item,
          ItemSearch, Material, ItemVersion, Staff, Case,
          Upload, Event, IssuedDocument, StaffSession, AuditEvent, MaterialReview, CaseNote,
          AccessToken, TusUpload, Appointment, ItemDraft, PeriodicRun, RateCounter, CaseGrant,
          HeldRefusal, ReturnReason, Question, QuestionEvent, QuestionFile, QuestionGrant,
          SuggestionShown, StandardAnswer, FaqEntry, FaqItem, *RATING_MODELS]

__all__ = ["BaseModel", "JSONField", "db", "Department", "Category", "Item", "ItemSearch",
           "Material", "Case", "Upload", "Event", "Staff", "IssuedDocument", "ROLES", "MODELS",
           "AuditEvent", "Office", "StaffSession", "MaterialReview", "CaseNote",
           "AccessToken", "TusUpload", "ServicePoint", "Appointment", "WEEKDAYS", "Jurisdiction", "ItemSpec", "ItemVersion",
           "PointJurisdiction", "ItemDraft", "PeriodicRun", "RateCounter", "CaseGrant", "HeldRefusal",
           "ReturnReason", "Question", "QuestionEvent", "QuestionFile", "QuestionGrant",
           "SuggestionShown", "StandardAnswer", "FaqEntry", "FaqItem", "Rating", "FollowUp",
           "FollowUpEvent", "StatCell", "StaffCell", "StatDays"]
