"""Load the versioned catalog data files (YAML) into the database.

The files under ``app/catalog/data`` are the source of truth: one file per
item, plus departments/categories and shared form steps. Loading is an upsert
by key or code, so it can be run again after editing a file; items that
disappeared from the files are deactivated, never deleted (cases refer to them).
"""

from decimal import Decimal, InvalidOperation
from pathlib import Path
import re
import unicodedata

import yaml
from flask_babel import lazy_gettext as _l
from peewee import fn

from ..config import LOCALES
from ..models import (Category, Department, Item, ItemSearch, ItemVersion, Jurisdiction, Material,
                      Office, db)
from ..models.organisation import LEVELS, LOCAL_LEVELS
from ..reasons.library import seed_defaults

FIELD_TYPES = {"text", "textarea", "date", "choice", "cn_id", "phone", "phone_cn", "email",
               "name_zh", "name_latin", "passport", "address_abroad", "address_home", "number"}
DELIVERY = {"courier", "agent_pickup", "self_pickup", "electronic"}
FORMATS = {"jpeg", "png", "pdf"}
CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,30}$")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
#: Step keys used by the journey itself; item steps must not take them.
RESERVED_STEPS = {"materials", "check", "declaration", "confirmation", "start", "entrustment"}


class CatalogError(ValueError):
    """A data file does not follow the catalog schema.

    The message is a lazy string: ``str(error)`` says it in the locale of the moment (the
    admin's on a page; the command line forces English). It names the item (or file) and
    the field first; item codes, field keys and the file format's words stay as written.
    """


def normalize(text: str) -> str:
    """Case-fold and strip accents, so ``Patènte`` finds ``patente``."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.casefold().split())


def _texts(value, where, required=True):
    if value is None and not required:
        return {}
    if not isinstance(value, dict) or not value.get("zh"):
        raise CatalogError(_l("%(where)s: needs text in at least zh (other locales fall back "
                              "to en, then zh)", where=where))
    return {str(k): str(v).strip() for k, v in value.items() if v}


def _read(path: Path):
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        raise CatalogError(_l("%(file)s: not valid YAML (%(error)s)", file=path.name,
                              error=str(exc))) from exc


def _field(raw, where):
    key = raw.get("key", "")
    if not KEY_RE.match(key):
        raise CatalogError(_l("%(where)s: bad field key %(key)s", where=where, key=repr(key)))
    kind = raw.get("type")
    if kind not in FIELD_TYPES:
        raise CatalogError(_l("%(where)s.%(key)s: unknown field type %(type)s", where=where,
                              key=key, type=repr(kind)))
    field = {
        "key": key,
        "type": kind,
        "label": _texts(raw.get("label"), f"{where}.{key}.label"),
        "help": _texts(raw.get("help"), f"{where}.{key}.help", required=False),
        # How the case record, the staff pages and the documents name the answer (the
        # label is a question to the applicant); the label stands in where it is absent.
        "record": _texts(raw.get("record"), f"{where}.{key}.record", required=False),
        "required": bool(raw.get("required", True)),
    }
    if kind in {"text", "textarea", "address_abroad", "address_home"}:
        field["max_length"] = int(raw.get("max_length") or (2000 if kind == "textarea" else 200))
    if kind == "date":
        field["constraint"] = raw.get("constraint", "any")
        if field["constraint"] not in {"past", "future", "any"}:
            raise CatalogError(_l("%(where)s.%(key)s: date constraint must be past, future or "
                                  "any", where=where, key=key))
    if kind == "number":
        field["min"] = raw.get("min")
        field["max"] = raw.get("max")
        for end in ("min", "max"):
            if field[end] is not None and (isinstance(field[end], bool)
                                           or not isinstance(field[end], int)):
                raise CatalogError(_l("%(where)s.%(key)s: %(end)s must be a whole number",
                                      where=where, key=key, end=end))
        if field["min"] is not None and field["max"] is not None and field["min"] > field["max"]:
            raise CatalogError(_l("%(where)s.%(key)s: min is above max", where=where, key=key))
    if kind == "choice":
        choices = raw.get("choices") or []
        if not choices:
            raise CatalogError(_l("%(where)s.%(key)s: a choice field needs choices",
                                  where=where, key=key))
        field["choices"] = [{"value": str(c["value"]),
                             "label": _texts(c.get("label"), f"{where}.{key}.choices")}
                            for c in choices]
    return field


def _step(raw, where):
    key = raw.get("key", "")
    if not KEY_RE.match(key) or key in RESERVED_STEPS:
        raise CatalogError(_l("%(where)s: bad step key %(key)s", where=where, key=repr(key)))
    fields = [_field(f, f"{where}.{key}") for f in raw.get("fields") or []]
    if not fields:
        raise CatalogError(_l("%(where)s.%(key)s: a step needs fields", where=where, key=key))
    return {"key": key, "title": _texts(raw.get("title"), f"{where}.{key}.title"),
            "intro": _texts(raw.get("intro"), f"{where}.{key}.intro", required=False),
            "record": _texts(raw.get("record"), f"{where}.{key}.record", required=False),
            "fields": fields}


def _jurisdictions(raw_list) -> list[dict]:
    places, keys = [], set()
    for n, raw in enumerate(raw_list or []):
        if not isinstance(raw, dict):
            raise CatalogError(_l("jurisdiction #%(number)d: a mapping of key, level, parent, "
                                  "name", number=n + 1))
        key, level, parent = raw.get("key", ""), raw.get("level"), raw.get("parent")
        where = f"jurisdiction {key}"
        if not SLUG_RE.match(key) or key in keys:
            raise CatalogError(_l("%(where)s: bad or repeated key", where=where))
        if level not in LEVELS:
            raise CatalogError(_l("%(where)s: level must be one of %(levels)s", where=where,
                                  levels=", ".join(LEVELS)))
        if (level == "province") != (parent is None) or (parent and parent not in keys):
            raise CatalogError(_l("%(where)s: the province has no parent; every other place "
                                  "names one listed before it", where=where))
        keys.add(key)
        places.append({"key": key, "level": level, "parent": parent,
                       "names": _texts(raw.get("name"), where), "sort": n})
    return places


def _local(raw, where, local_keys, default):
    key = raw.get("jurisdiction") or default
    if not local_keys:
        raise CatalogError(_l("departments.yaml: the 'jurisdictions' list (province, cities, "
                              "counties) is missing; offices and departments name their "
                              "county"))
    if key not in local_keys:
        raise CatalogError(_l("%(where)s: jurisdiction must be a county or district, not "
                              "%(key)s", where=where, key=repr(key)))
    return key


def read_shared_steps(directory=None) -> dict:
    """The shared form steps by key (``use: applicant`` in an item file)."""
    from flask import current_app
    path = Path(directory or current_app.config["CATALOG_DIR"]) / "shared_steps.yaml"
    shared = {}
    if path.exists():
        for raw in (_read(path) or {}).get("steps") or []:
            step = _step(raw, "shared_steps")
            shared[step["key"]] = step
    return shared


def read_catalog(directory) -> dict:
    """Parse and validate every data file; return plain dicts (no database)."""
    directory = Path(directory)
    meta = _read(directory / "departments.yaml") or {}
    places = _jurisdictions(meta.get("jurisdictions"))
    local = [p["key"] for p in places if p["level"] in LOCAL_LEVELS]
    default = local[0] if len(local) == 1 else None
    offices = [{"key": o["key"], "names": _texts(o.get("name"), f"office {o.get('key')}"),
                "jurisdiction": _local(o, f"office {o.get('key')}", local, default),
                "sort": n} for n, o in enumerate(meta.get("offices") or [])]
    office_keys = {o["key"]: o["jurisdiction"] for o in offices}
    departments = []
    for n, d in enumerate(meta.get("departments") or []):
        place = _local(d, f"department {d.get('key')}", local, default)
        # Without an office named: the first window of the department's own county.
        own = [o["key"] for o in offices if o["jurisdiction"] == place]
        departments.append({
            "key": d["key"], "names": _texts(d.get("name"), f"department {d.get('key')}"),
            "short": _texts(d.get("short"), f"department {d.get('key')}.short", False),
            "office": d.get("office") or (own[0] if own else None),
            "jurisdiction": place, "sort": n})
    for d in departments:
        if d["office"] and d["office"] not in office_keys:
            raise CatalogError(_l("department %(key)s: unknown office %(office)s",
                                  key=d["key"], office=repr(d["office"])))
        if d["office"] and office_keys[d["office"]] != d["jurisdiction"]:
            raise CatalogError(_l("department %(key)s: its office %(office)s belongs to "
                                  "another jurisdiction", key=d["key"],
                                  office=repr(d["office"])))
    categories = [{"key": c["key"], "names": _texts(c.get("name"), f"category {c.get('key')}"),
                   "sort": n} for n, c in enumerate(meta.get("categories") or [])]
    shared = read_shared_steps(directory)
    dept_keys = {d["key"] for d in departments}
    cat_keys = {c["key"] for c in categories}
    items = []
    for n, path in enumerate(sorted((directory / "items").glob("*.yaml"))):
        raw = _read(path) or {}
        items.append(_item(raw, path.name, shared, dept_keys, cat_keys, n))
    codes = {i["code"] for i in items}
    if len(codes) != len(items):
        raise CatalogError(_l("two item files share a code"))
    for item in items:
        if item["parent"] and item["parent"] not in codes:
            raise CatalogError(_l("%(code)s: parent %(parent)s does not exist",
                                  code=item["code"], parent=item["parent"]))
    return {"jurisdictions": places, "offices": offices, "departments": departments,
            "categories": categories, "items": items}


def _item(raw, where, shared, dept_keys, cat_keys, sort):
    code = str(raw.get("code", ""))
    if not CODE_RE.match(code):
        raise CatalogError(_l("%(where)s: bad item code %(code)s", where=where,
                              code=repr(code)))
    if raw.get("department") not in dept_keys:
        raise CatalogError(_l("%(where)s: unknown department %(department)s", where=where,
                              department=repr(raw.get("department"))))
    if raw.get("category") not in cat_keys:
        raise CatalogError(_l("%(where)s: unknown category %(category)s", where=where,
                              category=repr(raw.get("category"))))
    kind = str(raw.get("kind") or "")
    if kind and not SLUG_RE.match(kind):
        raise CatalogError(_l("%(where)s: bad kind %(kind)s (lowercase letters, digits, "
                              "dashes)", where=where, kind=repr(kind)))
    steps = []
    for entry in raw.get("steps") or []:
        if "use" in entry:
            base = shared.get(entry["use"])
            if base is None:
                raise CatalogError(_l("%(where)s: unknown shared step %(step)s", where=where,
                                      step=repr(entry["use"])))
            omit = set(entry.get("omit") or [])
            optional = set(entry.get("optional") or [])
            fields = [dict(f, required=f["required"] and f["key"] not in optional)
                      for f in base["fields"] if f["key"] not in omit]
            steps.append(dict(base, fields=fields))
        else:
            steps.append(_step(entry, where))
    keys = [f["key"] for s in steps for f in s["fields"]]
    if len(keys) != len(set(keys)) or len({s["key"] for s in steps}) != len(steps):
        raise CatalogError(_l("%(where)s: field or step keys repeat", where=where))
    if not any(f["type"] in ("name_zh", "name_latin") and f["required"]
               for s in steps for f in s["fields"]):
        raise CatalogError(_l("%(where)s: the form must ask for the applicant's name (a "
                              "required field of type name_zh or name_latin, as in the shared "
                              "step 'applicant')", where=where))
    materials = []
    for m_sort, m in enumerate(raw.get("materials") or []):
        key = m.get("key", "")
        if not KEY_RE.match(key):
            raise CatalogError(_l("%(where)s: bad material key %(key)s", where=where,
                                  key=repr(key)))
        formats = [f for f in (m.get("formats") or ["jpeg", "png", "pdf"])]
        if not set(formats) <= FORMATS:
            raise CatalogError(_l("%(where)s.%(key)s: formats must be among %(formats)s",
                                  where=where, key=key, formats=", ".join(sorted(FORMATS))))
        min_files = int(m.get("min_files", 1))
        max_files = int(m.get("max_files", max(1, min_files)))
        if not 0 <= min_files <= max_files <= 20 or max_files < 1:
            raise CatalogError(_l("%(where)s.%(key)s: need 0 <= min_files <= max_files <= 20 "
                                  "and max_files >= 1", where=where, key=key))
        if min_files == 0 and not m.get("essential", True):
            raise CatalogError(_l("%(where)s.%(key)s: an optional material (min_files 0) "
                                  "cannot also be one to send later (essential: false)",
                                  where=where, key=key))
        materials.append({
            "key": key, "names": _texts(m.get("name"), f"{where}.{key}.name"),
            "record": _texts(m.get("record"), f"{where}.{key}.record", False),
            "description": _texts(m.get("description"), f"{where}.{key}.description", False),
            "why": _texts(m.get("why"), f"{where}.{key}.why", False),
            "essential": bool(m.get("essential", True)), "formats": formats,
            "min_files": min_files, "max_files": max_files, "sort": m_sort})
    if len({m["key"] for m in materials}) != len(materials):
        raise CatalogError(_l("%(where)s: material keys repeat", where=where))
    fee = raw.get("fee") or {}
    try:
        amount = Decimal(str(fee.get("amount", "0")))
    except InvalidOperation as exc:
        raise CatalogError(_l("%(where)s: bad fee amount", where=where)) from exc
    delivery = list(raw.get("delivery") or [])
    if not delivery or not set(delivery) <= DELIVERY:
        raise CatalogError(_l("%(where)s: delivery must be a non-empty subset of %(options)s",
                              where=where, options=", ".join(sorted(DELIVERY))))
    limit = int(raw.get("time_limit_days", 0))
    if limit < 1:
        raise CatalogError(_l("%(where)s: time_limit_days must be at least 1", where=where))
    return {
        "code": code, "kind": kind, "version": int(raw.get("version", 1)),
        "department": raw["department"], "category": raw["category"],
        "parent": raw.get("parent") or None,
        "names": _texts(raw.get("name"), f"{where}.name"),
        "synonyms": {k: [str(x) for x in v] for k, v in (raw.get("synonyms") or {}).items()},
        "summary": _texts(raw.get("summary"), f"{where}.summary"),
        "guidance": _texts(raw.get("guidance"), f"{where}.guidance"),
        "next_steps": _texts(raw.get("next_steps"), f"{where}.next_steps"),
        "fee_amount": amount, "fee_currency": fee.get("currency", "CNY"),
        "fee_note": _texts(fee.get("note"), f"{where}.fee.note", False) or None,
        "time_limit_days": limit,
        "agent_allowed": bool(raw.get("agent_allowed", False)),
        "video_check": bool(raw.get("video_check", False)),
        "delivery": delivery, "steps": steps, "materials": materials, "sort": sort,
    }


def search_text_for(item: dict) -> tuple[str, str]:
    """(names only, everything searchable) normalized, for substring search."""
    names = list(item["names"].values())
    words = names + [w for ws in item["synonyms"].values() for w in ws]
    words += [n for m in item["materials"] for n in m["names"].values()]
    return normalize(" \n ".join(names)), normalize(" \n ".join(words))


def load_catalog(directory) -> dict:
    """Upsert the catalog from ``directory``; return counts."""
    data = read_catalog(directory)
    with db.atomic():
        place_ids = {}
        for p in data["jurisdictions"]:
            obj = Jurisdiction.get_or_none(Jurisdiction.key == p["key"]) or Jurisdiction(
                key=p["key"])
            obj.level, obj.names, obj.sort = p["level"], p["names"], p["sort"]
            obj.parent = place_ids.get(p["parent"])
            obj.save()
            place_ids[p["key"]] = obj.id
        office_ids = {}
        for o in data["offices"]:
            obj = Office.get_or_none(Office.key == o["key"]) or Office(key=o["key"])
            obj.names, obj.sort = o["names"], o["sort"]
            obj.jurisdiction = place_ids[o["jurisdiction"]]
            obj.save()
            office_ids[o["key"]] = obj.id
        dept_ids = {}
        for d in data["departments"]:
            obj = Department.get_or_none(Department.key == d["key"]) or Department(key=d["key"])
            obj.names, obj.short, obj.sort = d["names"], d["short"] or None, d["sort"]
            obj.office_id = office_ids.get(d["office"])
            obj.jurisdiction = place_ids[d["jurisdiction"]]
            obj.save()
            dept_ids[d["key"]] = obj.id
        cat_ids = {}
        for c in data["categories"]:
            obj = Category.get_or_none(Category.key == c["key"]) or Category(key=c["key"])
            obj.names, obj.sort = c["names"], c["sort"]
            obj.save()
            cat_ids[c["key"]] = obj.id
        item_ids = {}
        for raw in data["items"]:
            item_ids[raw["code"]] = upsert_item(raw, dept_ids, cat_ids)
        for raw in data["items"]:
            Item.update(parent=item_ids.get(raw["parent"])).where(
                Item.id == item_ids[raw["code"]]).execute()
        Item.update(active=False).where(Item.code.not_in(list(item_ids))).execute()
        ItemSearch.update(active=False).where(ItemSearch.code.not_in(list(item_ids))).execute()
        adopt_older_rows()
        # The default library of return reasons comes with the catalog's first load
        # (only missing keys are added: an admin's edits stay).
        seed_defaults()
        # So do each county's default standard answers to questions.
        from ..questions.answers import seed_standard_answers
        seed_standard_answers()
    return {"jurisdictions": len(place_ids), "offices": len(office_ids),
            "departments": len(dept_ids), "categories": len(cat_ids),
            "items": len(item_ids)}


def adopt_older_rows() -> None:
    """Rows from before the network (schema 9) join it: an admin with neither office nor
    department belonged to the one county there was, the first; a service point serves
    the county of the window that looks after it."""
    from ..models import PointJurisdiction, ServicePoint, Staff
    first = (Jurisdiction.select().where(Jurisdiction.level.in_(LOCAL_LEVELS))
             .order_by(Jurisdiction.sort, Jurisdiction.id).first())
    if first is not None:
        Staff.update(jurisdiction=first.id).where(
            (Staff.role == "admin") & Staff.office.is_null() & Staff.department.is_null()
            & Staff.jurisdiction.is_null()).execute()
    serving = PointJurisdiction.select(PointJurisdiction.service_point)
    for point in (ServicePoint.select(ServicePoint, Office).join(Office)
                  .where(ServicePoint.id.not_in(serving) & Office.jurisdiction.is_null(False))):
        PointJurisdiction.create(service_point=point.id, jurisdiction=point.office.jurisdiction_id)


def complete_locales(entry: dict) -> list[str]:
    """The locales in which every required text of an item is written (an item file, or
    the loader's form of one); applicants of the others read English, then Chinese."""
    def texts():
        yield entry.get("name") or entry.get("names")
        for key in ("summary", "guidance", "next_steps"):
            yield entry.get(key)
        for m in entry.get("materials") or []:
            yield m.get("name") or m.get("names")
        for s in entry.get("steps") or []:
            yield s.get("title")
            for f in s.get("fields") or []:
                yield f.get("label")
                for c in f.get("choices") or []:
                    yield c.get("label")
    required = list(texts())
    return [loc for loc in LOCALES if all((t or {}).get(loc) for t in required)]


def upsert_item(raw: dict, dept_ids: dict, cat_ids: dict) -> int:
    """Create or update one item and its materials; return its id.

    The item's published version never changes under a case: a file whose version is
    not above the stored one but whose content differs is published as the next version.
    """
    item = Item.get_or_none(Item.code == raw["code"]) or Item(code=raw["code"])
    name_text, search_text = search_text_for(raw)
    for attr in ("kind", "names", "synonyms", "summary", "guidance", "next_steps",
                 "fee_amount", "fee_currency", "fee_note", "time_limit_days", "agent_allowed",
                 "video_check", "delivery", "steps", "sort"):
        setattr(item, attr, raw[attr])
    item.version = max(raw["version"], item.version if item.id else 0)
    item.department = dept_ids[raw["department"]]
    item.category = cat_ids[raw["category"]]
    item.active = True
    item.locales = complete_locales(raw)
    item.save()
    row = {"active": True, "department": item.department_id, "category": item.category_id,
           "jurisdiction": Department.get_by_id(item.department_id).jurisdiction_id,
           "sort": item.sort, "code": item.code, "name_text": name_text,
           "search_text": search_text}
    (ItemSearch.insert(item=item.id, **row)
     .on_conflict(conflict_target=[ItemSearch.item], update=row).execute())
    existing = {m.key: m for m in Material.select().where(Material.item == item)}
    for m in raw["materials"]:
        obj = existing.pop(m["key"], None) or Material(item=item, key=m["key"])
        for attr in ("names", "record", "description", "why", "essential", "formats",
                     "min_files", "max_files", "sort"):
            setattr(obj, attr, m[attr])
        obj.save()
    for stale in existing.values():
        stale.delete_instance()
    stored = ItemVersion.get_or_none((ItemVersion.item == item.id)
                                     & (ItemVersion.version == item.version))
    if stored is not None and ItemVersion.differs(stored.content, ItemVersion.content_of(item)):
        item.version = ItemVersion.select(fn.MAX(ItemVersion.version)).where(
            ItemVersion.item == item.id).scalar() + 1
        item.save()
    ItemVersion.keep(item)
    return item.id
