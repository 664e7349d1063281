"""Peewee models, one module per aggregate."""

from .base import BaseModel, JSONField, db, utcnow
from .catalog import Category, Department, Item, ItemSearch, Material
from .cases import Case, Event, Upload
from .documents import IssuedDocument
from .staff import ROLES, Staff

#: Every table, in dependency order.
MODELS = [Department, Category, Item, ItemSearch, Material, Case, Upload, Event, Staff,
          IssuedDocument]

__all__ = ["BaseModel", "JSONField", "db", "utcnow", "Department", "Category", "Item", "ItemSearch",
           "Material", "Case", "Upload", "Event", "Staff", "IssuedDocument", "ROLES", "MODELS"]
