"""Peewee models, one module per aggregate."""

from .base import BaseModel, JSONField, db, utcnow
from .catalog import Category, Department, Item, ItemSearch, Material
from .cases import AccessToken, Case, CaseNote, Event, MaterialReview, TusUpload, Upload
from .documents import IssuedDocument
from .points import WEEKDAYS, Appointment, ServicePoint
from .staff import MFA_ROLES, ROLES, AuditEvent, Office, Staff, StaffSession

#: Every table, in dependency order.
MODELS = [Department, Category, Item, ItemSearch, Material, Case, Upload, Event, Staff,
          IssuedDocument, Office, StaffSession, AuditEvent, MaterialReview, CaseNote, AccessToken,
          TusUpload, ServicePoint, Appointment]

__all__ = ["BaseModel", "JSONField", "db", "utcnow", "Department", "Category", "Item", "ItemSearch",
           "Material", "Case", "Upload", "Event", "Staff", "IssuedDocument", "ROLES", "MODELS",
           "MFA_ROLES", "AuditEvent", "Office", "StaffSession", "MaterialReview", "CaseNote",
           "AccessToken", "TusUpload", "ServicePoint", "Appointment", "WEEKDAYS"]
