"""Peewee models, one module per aggregate."""

from .base import BaseModel, JSONField, db, utcnow
from .catalog import Category, Department, Item, Material
from .cases import Case, Event, Upload
from .staff import ROLES, Staff

#: Every table, in dependency order.
MODELS = [Department, Category, Item, Material, Case, Upload, Event, Staff]

__all__ = ["BaseModel", "JSONField", "db", "utcnow", "Department", "Category", "Item",
           "Material", "Case", "Upload", "Event", "Staff", "ROLES", "MODELS"]
