"""Service catalog: departments, categories, items and their materials."""

from peewee import (BooleanField, CharField, DecimalField, ForeignKeyField,
                    IntegerField, TextField)

from .base import BaseModel, JSONField
from .organisation import Office


class Department(BaseModel):
    """A government department that is responsible for items (e.g. 公安户政)."""

    key = CharField(unique=True, max_length=64)
    names = JSONField()
    short = JSONField(null=True)
    sort = IntegerField(default=0)
    # The window whose clerks receive this department's cases.
    office = ForeignKeyField(Office, null=True, backref="departments", on_delete="SET NULL")


class Category(BaseModel):
    """A topic for browsing the catalog across departments."""

    key = CharField(unique=True, max_length=64)
    names = JSONField()
    sort = IntegerField(default=0)


class Item(BaseModel):
    """A service item (事项); ``parent`` is set for sub-items (子项)."""

    code = CharField(unique=True, max_length=32)
    version = IntegerField(default=1)
    department = ForeignKeyField(Department, backref="items", on_delete="RESTRICT")
    category = ForeignKeyField(Category, backref="items", on_delete="RESTRICT")
    parent = ForeignKeyField("self", null=True, backref="children", on_delete="SET NULL")
    names = JSONField()
    synonyms = JSONField(default=dict)
    summary = JSONField(default=dict)
    guidance = JSONField(default=dict)
    next_steps = JSONField(default=dict)
    fee_amount = DecimalField(max_digits=10, decimal_places=2, default=0)
    fee_currency = CharField(max_length=3, default="CNY")
    fee_note = JSONField(null=True)
    time_limit_days = IntegerField()
    agent_allowed = BooleanField(default=False)
    video_check = BooleanField(default=False)
    delivery = JSONField(default=list)
    # Form steps with shared steps already expanded: [{key, title, intro, fields: [...]}].
    steps = JSONField(default=list)
    active = BooleanField(default=True, index=True)
    sort = IntegerField(default=0)

    @classmethod
    def active_by_code(cls, code: str) -> "Item | None":
        """The active item with this code, or None."""
        return cls.get_or_none((cls.code == code) & (cls.active == True))  # noqa: E712

    def step(self, key):
        """Return the step definition with this key, or ``None``."""
        return next((s for s in self.steps if s["key"] == key), None)

    def ordered_materials(self):
        """The item's materials in display order."""
        return list(self.materials.order_by(Material.sort, Material.id))


class Material(BaseModel):
    """A document an item requires; essential, or deferrable (容缺)."""

    item = ForeignKeyField(Item, backref="materials", on_delete="CASCADE")
    key = CharField(max_length=64)
    names = JSONField()
    description = JSONField(default=dict)
    why = JSONField(default=dict)
    essential = BooleanField(default=True)
    formats = JSONField(default=list)
    min_files = IntegerField(default=1)
    max_files = IntegerField(default=1)
    sort = IntegerField(default=0)

    class Meta:
        indexes = ((("item", "key"), True),)


class ItemSearch(BaseModel):
    """A narrow copy of what search reads, one row per item.

    Substring search scans every row; keeping the scanned text out of the wide
    ``item`` rows (whose form steps are kilobytes of JSON) keeps the scan small.
    """

    item = ForeignKeyField(Item, primary_key=True, backref="search_row", on_delete="CASCADE")
    active = BooleanField(default=True)
    department = IntegerField(index=True)
    category = IntegerField(index=True)
    sort = IntegerField(default=0)
    code = CharField(max_length=32)
    # Case-folded, accent-free names in every locale (for ranking) and names,
    # synonyms and material names in every locale (for matching).
    name_text = TextField(default="")
    search_text = TextField(default="")
