"""Items as YAML, out and in: what catalog admins export for bulk work and import back.

An exported item is written exactly as an item file in ``data/items`` (shared steps
expanded), so the file can be edited, validated by the same loader, and imported. An
import is all or nothing: every item is checked first (the loader's checks, and that it
belongs to the admin's county); a broken one refuses the whole file, naming the item and
what is wrong. An item whose content changed is published as its next version (cases
already started keep theirs); an unchanged one is left alone.
"""

import yaml
from flask_babel import gettext as _, lazy_gettext as _l

from ..models import Category, Department, Item, ItemVersion, db
from .loader import CatalogError, _item, read_shared_steps

#: The most items one import may hold (the seed catalog is a few dozen per county).
MAX_ITEMS = 500


class ImportRefused(ValueError):
    """The file is not imported; ``problems`` says why, item by item: plain strings, in the
    locale of the moment they are given (the admin's, on a page)."""

    def __init__(self, problems: list):
        self.problems = [str(problem) for problem in problems]
        super().__init__("; ".join(self.problems))


def _texts(value: dict | None) -> dict | None:
    return {k: v for k, v in (value or {}).items() if v} or None


def _clean(mapping: dict) -> dict:
    """Without the empty texts the loader would refuse (an empty help, say)."""
    return {k: v for k, v in mapping.items() if v is not None and v != {} and v != []}


def _field(field: dict) -> dict:
    out = dict(field, label=field["label"], help=_texts(field.get("help")),
               record=_texts(field.get("record")))
    if field.get("choices"):
        out["choices"] = [dict(c) for c in field["choices"]]
    return _clean(out)


def step_document(step: dict) -> dict:
    """A form step as an item file says it."""
    return _clean({"key": step["key"], "title": step["title"], "intro": _texts(step.get("intro")),
                   "record": _texts(step.get("record")), "fields": [_field(f) for f in step["fields"]]})


def item_document(item: Item, content: dict | None = None) -> dict:
    """``item`` as an item file says it (at a kept version when ``content`` is given)."""
    content = content or ItemVersion.content_of(item)
    return _clean({
        "code": item.code, "kind": content.get("kind") or None, "version": content["version"],
        "department": item.department.key, "category": item.category.key,
        "parent": item.parent.code if item.parent_id else None,
        "name": content["names"], "synonyms": content["synonyms"] or None,
        "summary": content["summary"], "guidance": content["guidance"],
        "next_steps": content["next_steps"],
        "fee": _clean({"amount": content["fee_amount"], "currency": content["fee_currency"],
                       "note": _texts(content["fee_note"])}),
        "time_limit_days": content["time_limit_days"],
        "agent_allowed": content["agent_allowed"], "video_check": content["video_check"],
        "delivery": content["delivery"],
        "steps": [step_document(s) for s in content["steps"]],
        "materials": [_clean({"key": m["key"], "name": m["names"],
                              "record": _texts(m.get("record")),
                              "description": _texts(m["description"]),
                              "why": _texts(m["why"]), "essential": m["essential"],
                              "formats": m["formats"], "min_files": m["min_files"],
                              "max_files": m["max_files"]}) for m in content["materials"]],
    })


def dump(items) -> str:
    """A YAML file of ``items`` (``{version: 1, items: [...]}``), in Unicode."""
    return yaml.safe_dump({"version": 1, "items": [item_document(i) for i in items]},
                          allow_unicode=True, sort_keys=False, width=100)


def _entries(text: str) -> list:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        refusal = (_l("not valid YAML (line %(line)d)", line=mark.line + 1)
                   if mark is not None else _l("not valid YAML"))
        raise ImportRefused([refusal]) from None
    if isinstance(data, dict) and "code" in data:
        data = {"items": [data]}  # one item file
    entries = data.get("items") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ImportRefused([_l("no items: the file needs an 'items' list, or one item")])
    if len(entries) > MAX_ITEMS:
        raise ImportRefused([_l("at most %(max)d items in one file", max=MAX_ITEMS)])
    return entries


def check(text: str, places: list[int]) -> list[dict]:
    """Every item of the file, checked, in the loader's form; or :class:`ImportRefused`."""
    return check_entries(_entries(text), places)


def check_entries(entries: list, places: list[int]) -> list[dict]:
    """Every item (as an item file says it), checked, in the loader's form; or
    :class:`ImportRefused`.

    ``places`` are the jurisdictions whose items the admin may change: an item of a
    department elsewhere, or with the code of another county's item, is refused.
    """
    shared = read_shared_steps()
    departments = {d.key: d.jurisdiction_id for d in Department.select()}
    mine = {key for key, place in departments.items() if place in places}
    categories = {c.key for c in Category.select()}
    problems, items, codes = [], [], set()
    for number, raw in enumerate(entries, 1):
        label = str((raw.get("code") if isinstance(raw, dict) else None)
                    or _("item #%(number)d", number=number))
        try:
            if not isinstance(raw, dict):
                raise CatalogError(_l("%(where)s: an item is a mapping of its fields",
                                      where=label))
            if raw.get("department") in departments and raw["department"] not in mine:
                raise CatalogError(_l("%(where)s: department %(department)s belongs to "
                                      "another county", where=label,
                                      department=repr(raw["department"])))
            item = _item(raw, label, shared, mine, categories, number)
            existing = Item.get_or_none(Item.code == item["code"])
            if existing is not None and existing.department.jurisdiction_id not in places:
                raise CatalogError(_l("%(where)s: the code belongs to another county's item",
                                      where=label))
            if item["code"] in codes:
                raise CatalogError(_l("%(where)s: the code appears twice in the file",
                                      where=label))
            codes.add(item["code"])
            items.append(item)
        except CatalogError as error:
            problems.append(str(error))  # said now, in the admin's language
    problems += _variant_problems(items, codes)
    if problems:
        raise ImportRefused(problems)
    return items


def _variant_problems(items: list[dict], codes: set) -> list[str]:
    """Sub-items are one level deep: a parent exists and is no sub-item itself, and an
    item with sub-items of its own is no sub-item (the file's items as they will be)."""
    from peewee import JOIN
    parent = Item.alias()
    parents = {row.code: (row.parent.code if row.parent_id else None) for row in (
        Item.select(Item.code, Item.parent, parent.code)
        .join(parent, JOIN.LEFT_OUTER, on=(Item.parent == parent.id))
        .where(Item.active == True))}  # noqa: E712
    parents.update({i["code"]: i["parent"] for i in items})
    problems = []
    for item in items:
        wanted = item["parent"]
        if not wanted:
            continue
        if wanted not in parents and not Item.select().where(Item.code == wanted).exists():
            problems.append(_("%(code)s: parent %(parent)s does not exist",
                              code=item["code"], parent=wanted))
        elif parents.get(wanted):
            problems.append(_("%(code)s: parent %(parent)s is itself a sub-item of "
                              "%(grandparent)s (one level only)", code=item["code"],
                              parent=wanted, grandparent=parents[wanted]))
        elif any(p == item["code"] for p in parents.values()):
            problems.append(_("%(code)s: has sub-items of its own, so it cannot be one",
                              code=item["code"]))
    return problems


def publish(items: list[dict]) -> dict:
    """Store checked items: each changed one as its next version. Returns the codes
    ``{"new": [...], "changed": [...], "unchanged": [...]}``."""
    from .loader import upsert_item
    outcome = {"new": [], "changed": [], "unchanged": []}
    departments = {d.key: d.id for d in Department.select()}
    categories = {c.key: c.id for c in Category.select()}
    with db.atomic():
        for raw in items:
            current = Item.get_or_none(Item.code == raw["code"])
            if current is None:
                last = Item.select(Item.sort).order_by(Item.sort.desc()).first()
                upsert_item(dict(raw, version=max(1, raw["version"]),
                                 sort=(last.sort + 1) if last else 0), departments, categories)
                outcome["new"].append(raw["code"])
                continue
            # A changed content becomes the next version (upsert_item sees to it).
            upsert_item(dict(raw, sort=current.sort), departments, categories)
            after = Item.get_by_id(current.id)
            same = (after.version == current.version
                    and after.department_id == current.department_id)
            outcome["unchanged" if same else "changed"].append(raw["code"])
        for raw in items:  # an item without a parent is a service of its own (again)
            parent = Item.get(Item.code == raw["parent"]).id if raw["parent"] else None
            Item.update(parent=parent).where(Item.code == raw["code"]).execute()
    return outcome
