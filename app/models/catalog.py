"""Service catalog: departments, categories, items, their materials, and the published
version of each item that cases keep."""

from decimal import Decimal

from peewee import (BooleanField, CharField, DateTimeField, DecimalField, ForeignKeyField,
                    IntegerField, TextField)

from ..clock import utcnow

from .base import BaseModel, JSONField
from .organisation import Jurisdiction, Office


class Department(BaseModel):
    """A government department that is responsible for items (e.g. 公安户政)."""

    key = CharField(unique=True, max_length=64)
    names = JSONField()
    short = JSONField(null=True)
    sort = IntegerField(default=0)
    # The window whose clerks receive this department's cases.
    office = ForeignKeyField(Office, null=True, backref="departments", on_delete="SET NULL")
    # The county or district the department belongs to.
    jurisdiction = ForeignKeyField(Jurisdiction, null=True, backref="departments",
                                   on_delete="RESTRICT")


class Category(BaseModel):
    """A topic for browsing the catalog across departments."""

    key = CharField(unique=True, max_length=64)
    names = JSONField()
    sort = IntegerField(default=0)


class Item(BaseModel):
    """A service item (事项); ``parent`` is set for sub-items (子项)."""

    code = CharField(unique=True, max_length=32)
    # The kind of service: the same kind in another county has the same kind key.
    kind = CharField(max_length=64, default="", index=True)
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
    # The locales in which every required text is written (the rest fall back).
    locales = JSONField(default=list)
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
    # How the case record (staff pages, documents) names it; the name stands in without.
    record = JSONField(default=dict)
    description = JSONField(default=dict)
    why = JSONField(default=dict)
    essential = BooleanField(default=True)
    formats = JSONField(default=list)
    min_files = IntegerField(default=1)
    max_files = IntegerField(default=1)
    sort = IntegerField(default=0)

    class Meta:
        indexes = ((("item", "key"), True),)

    @property
    def optional(self) -> bool:
        """The applicant may send no file at all (min_files 0)."""
        return self.min_files == 0


class ItemSearch(BaseModel):
    """A narrow copy of what search reads, one row per item.

    Substring search scans every row; keeping the scanned text out of the wide
    ``item`` rows (whose form steps are kilobytes of JSON) keeps the scan small.
    """

    item = ForeignKeyField(Item, primary_key=True, backref="search_row", on_delete="CASCADE")
    active = BooleanField(default=True)
    department = IntegerField(index=True)
    category = IntegerField(index=True)
    jurisdiction = IntegerField(null=True, index=True)
    sort = IntegerField(default=0)
    code = CharField(max_length=32)
    # Case-folded, accent-free names in every locale (for ranking) and names,
    # synonyms and material names in every locale (for matching).
    name_text = TextField(default="")
    search_text = TextField(default="")


#: What a published version keeps of an item (its materials are kept too).
SPEC_FIELDS = ("code", "kind", "version", "names", "synonyms", "summary", "guidance",
               "next_steps", "fee_currency", "fee_note", "time_limit_days", "agent_allowed",
               "video_check", "delivery", "steps")
#: What it keeps of each material.
MATERIAL_FIELDS = ("key", "names", "record", "description", "why", "essential", "formats",
                   "min_files", "max_files", "sort")


class ItemVersion(BaseModel):
    """An item as it was published at one version: a case keeps the version it was
    started with, through its answers, materials, documents and review, whatever is
    published later."""

    item = ForeignKeyField(Item, backref="versions", on_delete="CASCADE")
    version = IntegerField()
    content = JSONField()
    published_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("item", "version"), True),)

    @staticmethod
    def content_of(item: Item) -> dict:
        """What a version keeps of ``item`` as it is now."""
        content = {name: getattr(item, name) for name in SPEC_FIELDS}
        content["fee_amount"] = format(Decimal(str(item.fee_amount)), ".2f")
        content["materials"] = [{name: getattr(m, name) for name in MATERIAL_FIELDS}
                                for m in item.ordered_materials()]
        return content

    @staticmethod
    def differs(one: dict, other: dict) -> bool:
        """Whether two versions' contents differ in what applicants and staff read (the
        kind of service and the version number aside)."""
        ignored = ("kind", "version")
        return ({k: v for k, v in one.items() if k not in ignored}
                != {k: v for k, v in other.items() if k not in ignored})

    @classmethod
    def keep(cls, item: Item) -> "ItemVersion":
        """Store ``item``'s current version (again: the same version number is one text)."""
        content = cls.content_of(item)
        (cls.insert(item=item.id, version=item.version, content=content, published_at=utcnow())
         .on_conflict(conflict_target=[cls.item, cls.version],
                      update={cls.content: content}).execute())
        return cls.get((cls.item == item.id) & (cls.version == item.version))


class MaterialSpec:
    """A material as a published version lists it (read like a Material row)."""

    def __init__(self, item_id: int, data: dict):
        self.item_id = item_id
        for name in MATERIAL_FIELDS:
            setattr(self, name, data.get(name))

    @property
    def optional(self) -> bool:
        """The applicant may send no file at all (min_files 0)."""
        return self.min_files == 0


class ItemSpec:
    """An item at the version a case was started with (read like an Item row).

    The text, form steps, materials, fee, time limit and flags are the version's; the
    department, category and parent are the item's own (who handles it does not
    change with a new text).
    """

    def __init__(self, item: Item, content: dict):
        self.item = item
        self.id = item.id
        for name in SPEC_FIELDS:
            setattr(self, name, content.get(name))
        self.fee_amount = Decimal(content.get("fee_amount") or "0")
        self._materials = [MaterialSpec(item.id, m) for m in content.get("materials") or []]

    def __getattr__(self, name):
        # department, department_id, category, parent… are the item's own.
        if name.startswith("_") or name == "item":
            raise AttributeError(name)
        return getattr(self.item, name)

    def step(self, key):
        """Return the step definition with this key, or ``None``."""
        return next((s for s in self.steps if s["key"] == key), None)

    def ordered_materials(self) -> list[MaterialSpec]:
        """The version's materials in display order."""
        return sorted(self._materials, key=lambda m: (m.sort or 0))

    def material(self, key: str) -> MaterialSpec | None:
        """The version's material with this key, or None."""
        return next((m for m in self._materials if m.key == key), None)

    @classmethod
    def of(cls, item: Item, version: int) -> "ItemSpec":
        """``item`` at ``version`` (its current state when that version was not kept)."""
        row = ItemVersion.get_or_none((ItemVersion.item == item.id)
                                      & (ItemVersion.version == version))
        return cls(item, row.content if row else ItemVersion.content_of(item))
