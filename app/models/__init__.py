"""Peewee models, one module per aggregate."""

from .appointments import Appointment
from .base import BaseModel, JSONField, db
from .catalog import Category, Department, Item, ItemSearch, Material
from .cases import AccessToken, Case, CaseNote, Event, MaterialReview, TusUpload, Upload
from .documents import IssuedDocument
from .organisation import WEEKDAYS, Office, ServicePoint
from .staff import ROLES, AuditEvent, Staff, StaffSession

#: Every table, in dependency order.
MODELS = [Office, ServicePoint, Department, Category, Item, ItemSearch, Material, Staff, Case,
          Upload, Event, IssuedDocument, StaffSession, AuditEvent, MaterialReview, CaseNote,
          AccessToken, TusUpload, Appointment]

__all__ = ["BaseModel", "JSONField", "db", "Department", "Category", "Item", "ItemSearch",
           "Material", "Case", "Upload", "Event", "Staff", "IssuedDocument", "ROLES", "MODELS",
           "AuditEvent", "Office", "StaffSession", "MaterialReview", "CaseNote",
           "AccessToken", "TusUpload", "ServicePoint", "Appointment", "WEEKDAYS"]
