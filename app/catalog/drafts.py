"""Drafts of items, edited field by field in the browser, previewed, then published.

A draft holds the item as an item file says it (:func:`transfer.item_document`), so it is
checked and published by the same code as an imported file. It is edited in four
sections: the basics (department, fee, time limit, flags, delivery), the texts of one
locale, the materials, and the form's steps and fields. Each section is a flat mapping of
form names to strings (:func:`values`); a save is a three-way merge against the values
the admin's page was built from, so two admins editing one draft never lose each other's
work: a field only one of them changed takes their value, a field both changed keeps the
one saved first and the second admin is told, with what they typed still in the form.

Texts have a status per locale: *missing* (a text every applicant needs is empty),
*needs review* (written, not yet marked done, or the Chinese changed since), *done*.
Chinese is the window's language and the source: an item is published only with every
required Chinese text; any other locale may be missing, and then falls back to English,
then Chinese, on applicants' pages and PDFs (``i18n.localized``), the item list showing
which locales are missing.
"""

import copy
import hashlib
import json
import re
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from flask_babel import gettext as _, lazy_gettext as _l

from .. import audit
from ..clock import utcnow
from ..config import LOCALES
from ..i18n import N_
from ..models import Category, Department, Item, ItemDraft, db
from . import transfer
from .loader import (CODE_RE, DELIVERY, FIELD_TYPES, FORMATS, KEY_RE, RESERVED_STEPS, SLUG_RE,
                     read_shared_steps)

#: The source locale: the window's language, required before publishing.
SOURCE = "zh"
#: The longest text of each kind an editor takes.
SHORT_MAX, LONG_MAX = 300, 6000
#: How a material is needed: (essential, min_files at least).
NEEDS = ("essential", "deferrable", "optional")
#: The attributes each field type has beyond key, type, label, help and required.
TYPE_ATTRS = {"text": ("max_length",), "textarea": ("max_length",),
              "address_abroad": ("max_length",), "address_home": ("max_length",),
              "date": ("constraint",), "number": ("min", "max"), "choice": ("choices",)}
DATE_CONSTRAINTS = ("any", "past", "future")
SECTIONS = ("basics", "text", "materials", "steps")


class Slot(NamedTuple):
    """One text of a draft: where it is, what the editor calls it, whether applicants
    need it, and whether it is a paragraph."""

    id: str
    group: str
    label: str
    required: bool
    long: bool = False
    words: bool = False


class Words:
    """A label shown later, in the page's language, with data in it (a key, an answer).

    Unlike a lazy gettext string it is not marked safe: the page escapes it, data and
    all (an answer an admin typed may hold markup)."""

    def __init__(self, message: str, **values):
        self.message, self.values = message, values

    def __str__(self) -> str:
        return _(self.message, **self.values)

    def __eq__(self, other) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self.message)


def _fp(value) -> str:
    return hashlib.sha1(json.dumps(value, ensure_ascii=False, sort_keys=True)
                        .encode()).hexdigest()[:12]


def _choice_id(value) -> str:
    return hashlib.sha1(str(value).encode()).hexdigest()[:8]


# -- texts --------------------------------------------------------------------------------

def text_slots(doc: dict) -> list[Slot]:
    """Every text of the draft, in the order the editor shows them."""
    service = _l("The service")
    slots = [Slot("name", service, _l("Name of the service"), True),
             Slot("summary", service, _l("Summary (one sentence)"), True, long=True),
             Slot("guidance", service, _l("Guidance"), True, long=True),
             Slot("next_steps", service, _l("What happens next"), True, long=True),
             Slot("fee_note", service, _l("Note on the fee"), False),
             Slot("synonyms", service, _l("Other words people search with (comma-separated)"),
                  False, words=True)]
    for m in doc.get("materials") or []:
        group = Words(N_("Material %(key)s"), key=m["key"])
        slots += [Slot(f"m.{m['key']}.name", group, _l("Name"), True),
                  Slot(f"m.{m['key']}.record", group, _l("Name on the case record (staff "
                                                          "pages, documents)"), False),
                  Slot(f"m.{m['key']}.description", group, _l("What a good one looks like"),
                       False, long=True),
                  Slot(f"m.{m['key']}.why", group, _l("Why we ask"), False, long=True)]
    for s in doc.get("steps") or []:
        group = Words(N_("Step %(key)s"), key=s["key"])
        slots += [Slot(f"s.{s['key']}.title", group, _l("Title"), True),
                  Slot(f"s.{s['key']}.intro", group, _l("Introduction"), False, long=True),
                  Slot(f"s.{s['key']}.record", group, _l("Title on the case record (staff "
                                                         "pages, documents)"), False)]
        for f in s.get("fields") or []:
            where = f"{s['key']}.{f['key']}"
            slots += [Slot(f"f.{where}.label", group, Words(N_("Field %(key)s: question"), key=f["key"]),
                           True),
                      Slot(f"f.{where}.help", group, Words(N_("Field %(key)s: hint"), key=f["key"]),
                           False),
                      Slot(f"f.{where}.record", group,
                           Words(N_("Field %(key)s: name on the case record"), key=f["key"]),
                           False)]
            for c in f.get("choices") or []:
                slots.append(Slot(f"c.{where}.{_choice_id(c['value'])}", group,
                                  Words(N_("Field %(key)s: answer “%(value)s”"), key=f["key"],
                                        value=c["value"]), True))
    return slots


def _container(doc: dict, slot_id: str, create: bool = False):
    """The ``{locale: text}`` mapping of a slot (None when absent and not created)."""
    def take(parent, key):
        if not isinstance(parent.get(key), dict):
            if not create:
                return None
            parent[key] = {}
        return parent[key]

    head, _dot, rest = slot_id.partition(".")
    if not rest:
        if slot_id == "fee_note":
            fee = doc.setdefault("fee", {}) if create else doc.get("fee") or {}
            return take(fee, "note")
        return take(doc, slot_id)
    parts = rest.split(".")
    if head == "m":
        row = next((m for m in doc.get("materials") or [] if m["key"] == parts[0]), None)
        return take(row, parts[1]) if row is not None else None
    step = next((s for s in doc.get("steps") or [] if s["key"] == parts[0]), None)
    if step is None:
        return None
    if head == "s":
        return take(step, parts[1])
    field = next((f for f in step.get("fields") or [] if f["key"] == parts[1]), None)
    if field is None:
        return None
    if head == "f":
        return take(field, parts[2])
    choice = next((c for c in field.get("choices") or [] if _choice_id(c["value"]) == parts[2]),
                  None)
    return take(choice, "label") if choice is not None else None


def get_text(doc: dict, slot: Slot, locale: str) -> str:
    texts = _container(doc, slot.id) or {}
    value = texts.get(locale) or ""
    return ", ".join(value) if slot.words else str(value)


def _set_text(doc: dict, slot: Slot, locale: str, value: str) -> None:
    texts = _container(doc, slot.id, create=bool(value))
    if texts is None:
        return  # nothing to write, or the material, step or field was removed meanwhile
    if slot.words:
        words = [w.strip() for w in re.split(r"[,，、;；\n]", value) if w.strip()]
        value = words
    if value:
        texts[locale] = value
    else:
        texts.pop(locale, None)


def missing(doc: dict, locale: str) -> list[Slot]:
    """The required texts of ``locale`` that are empty."""
    return [s for s in text_slots(doc) if s.required and not get_text(doc, s, locale)]


def source_mark(doc: dict) -> str:
    """A fingerprint of the Chinese texts: a locale marked done against another one needs
    review again."""
    return _fp([(s.id, get_text(doc, s, SOURCE)) for s in text_slots(doc)])


def locale_status(draft: ItemDraft, locale: str) -> str:
    """``missing``, ``review`` or ``done``."""
    if missing(draft.document, locale):
        return "missing"
    return "done" if draft.reviewed.get(locale) == source_mark(draft.document) else "review"


# -- the sections as flat values -----------------------------------------------------------

def values(doc: dict, section: str, locale: str = SOURCE) -> dict[str, str]:
    """The section's form values (every one a string; a ticked box is ``"1"``)."""
    if section == "text":
        return {s.id: get_text(doc, s, locale) for s in text_slots(doc)}
    if section == "basics":
        fee = doc.get("fee") or {}
        out = {"kind": doc.get("kind") or "", "department": doc.get("department") or "",
               "category": doc.get("category") or "", "parent": doc.get("parent") or "",
               "fee_amount": str(fee.get("amount", "0")), "fee_currency": fee.get("currency",
                                                                                 "CNY"),
               "time_limit_days": str(doc.get("time_limit_days", "")),
               "agent_allowed": _box(doc.get("agent_allowed")),
               "video_check": _box(doc.get("video_check"))}
        out.update({f"delivery.{d}": _box(d in (doc.get("delivery") or []))
                    for d in sorted(DELIVERY)})
        return out
    if section == "materials":
        out = {}
        for n, m in enumerate(doc.get("materials") or [], 1):
            k = f"m.{m['key']}"
            out[f"{k}.sort"] = str(n)
            out[f"{k}.need"] = _need(m)
            out[f"{k}.min_files"] = str(m.get("min_files", 1))
            out[f"{k}.max_files"] = str(m.get("max_files", 1))
            out.update({f"{k}.fmt.{f}": _box(f in (m.get("formats") or FORMATS))
                        for f in sorted(FORMATS)})
        return out
    out = {}
    for n, s in enumerate(doc.get("steps") or [], 1):
        out[f"s.{s['key']}.sort"] = str(n)
        for i, f in enumerate(s.get("fields") or [], 1):
            k = f"f.{s['key']}.{f['key']}"
            out[f"{k}.sort"] = str(i)
            out[f"{k}.type"] = f["type"]
            out[f"{k}.required"] = _box(f.get("required", True))
            out[f"{k}.max_length"] = str(f.get("max_length") or "")
            out[f"{k}.constraint"] = f.get("constraint") or ""
            out[f"{k}.min"] = "" if f.get("min") is None else str(f["min"])
            out[f"{k}.max"] = "" if f.get("max") is None else str(f["max"])
            out[f"{k}.choices"] = "\n".join(str(c["value"]) for c in f.get("choices") or [])
    return out


def _box(flag) -> str:
    return "1" if flag else ""


def _need(material: dict) -> str:
    if material.get("min_files", 1) == 0:
        return "optional"
    return "essential" if material.get("essential", True) else "deferrable"


def fingerprints(flat: dict) -> dict:
    """What a page sends back with its form: each value's fingerprint."""
    return {name: _fp(value) for name, value in flat.items()}


def merge(current: dict, posted: dict, originals: dict) -> tuple[dict, list, list]:
    """Three-way merge of a section's values: ``(merged, changed names, conflicts)``.

    ``originals`` are the fingerprints of the values the page was built from. A value the
    admin did not change keeps what is saved now; one they changed is taken, unless
    someone else changed it too (or removed its row): then it is a conflict, and the
    saved value stays."""
    merged, changed, conflicts = dict(current), [], []
    for name, value in posted.items():
        if name not in originals or _fp(value) == originals[name]:
            continue
        if name in current and current[name] == value:
            continue
        if name not in current or _fp(current[name]) != originals[name]:
            conflicts.append(name)
            continue
        merged[name] = value
        changed.append(name)
    return merged, changed, conflicts


# -- checking and applying a section --------------------------------------------------------

def _int(value, low, high):
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if low <= number <= high else None


def check(doc: dict, section: str, flat: dict, actions: dict, places: list[int],
          locale: str = SOURCE) -> dict[str, str]:
    """``{form name: message}`` for what is wrong with the section's values and actions."""
    return {"basics": _check_basics, "text": _check_text, "materials": _check_materials,
            "steps": _check_steps}[section](doc, flat, actions, places, locale)


def _check_basics(doc, flat, actions, places, locale):
    errors = {}
    if flat["kind"] and not SLUG_RE.match(flat["kind"]):
        errors["kind"] = _("Use lowercase letters, digits and dashes, starting with a letter.")
    department = Department.get_or_none(Department.key == flat["department"])
    if department is None or department.jurisdiction_id not in places:
        errors["department"] = _("Choose a department of your county.")
    if not Category.select().where(Category.key == flat["category"]).exists():
        errors["category"] = _("Choose a topic.")
    if flat["parent"]:
        parent = Item.get_or_none(Item.code == flat["parent"])
        if (parent is None or parent.code == doc["code"] or parent.parent_id
                or parent.department.jurisdiction_id not in places):
            errors["parent"] = _("Choose a main service of your county, or none.")
        elif Item.select().where(Item.parent.in_(Item.select(Item.id).where(
                Item.code == doc["code"])) & (Item.active == True)).exists():  # noqa: E712
            errors["parent"] = _("This service has variants of its own, so it cannot become "
                                 "a variant.")
    try:
        amount = Decimal(flat["fee_amount"].strip().replace(",", "."))
        if amount < 0 or amount >= 10 ** 7 or amount.as_tuple().exponent < -2:
            raise InvalidOperation
    except InvalidOperation:
        errors["fee_amount"] = _("Enter an amount such as 0 or 35.50.")
    if not re.fullmatch(r"[A-Z]{3}", flat["fee_currency"].strip().upper()):
        errors["fee_currency"] = _("Enter a three-letter currency code such as CNY.")
    if _int(flat["time_limit_days"], 1, 365) is None:
        errors["time_limit_days"] = _("Enter a whole number of working days from 1 to 365.")
    if not any(flat[f"delivery.{d}"] for d in DELIVERY):
        errors["delivery.courier"] = _("Choose at least one way to receive the result.")
    return errors


def _check_text(doc, flat, actions, places, locale):
    errors = {}
    slots = {s.id: s for s in text_slots(doc)}
    for name, value in flat.items():
        slot = slots.get(name)
        if slot is not None and len(value) > (LONG_MAX if slot.long else SHORT_MAX):
            errors[name] = _("At most %(num)d characters.",
                             num=LONG_MAX if slot.long else SHORT_MAX)
    if actions.get("done"):
        empty = [s for s in slots.values() if s.required and not flat.get(s.id, "").strip()]
        if empty:
            errors["done"] = _("Write every required text before marking this language done "
                               "(first empty: %(group)s, %(label)s).",
                               group=empty[0].group, label=empty[0].label)
    return errors


def _check_materials(doc, flat, actions, places, locale):
    errors = {}
    for m in doc.get("materials") or []:
        k = f"m.{m['key']}"
        if f"{k}.need" not in flat or m["key"] in actions.get("remove", ()):
            continue
        if flat[f"{k}.need"] not in NEEDS:
            errors[f"{k}.need"] = _("Choose how the material is needed.")
        low = 0 if flat[f"{k}.need"] == "optional" else 1
        least = _int(flat[f"{k}.min_files"], low, 20)
        most = _int(flat[f"{k}.max_files"], 1, 20)
        if least is None:
            errors[f"{k}.min_files"] = _("Enter a whole number from %(low)d to 20.", low=low)
        if most is None or (least is not None and most < least):
            errors[f"{k}.max_files"] = _("Enter a whole number from 1 to 20, not below the "
                                         "least.")
        if not any(flat[f"{k}.fmt.{f}"] for f in FORMATS):
            errors[f"{k}.fmt.jpeg"] = _("Choose at least one format.")
        if _int(flat[f"{k}.sort"], 1, 999) is None:
            errors[f"{k}.sort"] = _("Enter a position such as 1, 2 or 3.")
    new_key = actions.get("new_key", "")
    if new_key or actions.get("new_name"):
        keys = {m["key"] for m in doc.get("materials") or []}
        if not KEY_RE.match(new_key) or new_key in keys:
            errors["new_key"] = _("Enter a new key of lowercase letters, digits and "
                                  "underscores, starting with a letter.")
        if not actions.get("new_name"):
            errors["new_name"] = _("Enter the material's name in Chinese.")
    return errors


def _check_steps(doc, flat, actions, places, locale):
    errors = {}
    keys = {f["key"] for s in doc.get("steps") or [] for f in s.get("fields") or []}
    removed_fields = set(actions.get("remove_field", ()))
    for s in doc.get("steps") or []:
        if s["key"] in actions.get("remove_step", ()):
            continue
        if _int(flat.get(f"s.{s['key']}.sort", "1"), 1, 999) is None:
            errors[f"s.{s['key']}.sort"] = _("Enter a position such as 1, 2 or 3.")
        kept = [f for f in s.get("fields") or [] if f"{s['key']}.{f['key']}" not in removed_fields]
        new = actions.get("new_field", {}).get(s["key"])
        if not kept and not new:
            errors[f"s.{s['key']}.sort"] = _("A step needs at least one field; remove the "
                                             "step instead.")
        for f in kept:
            errors.update(_check_field(f"f.{s['key']}.{f['key']}", flat))
        if new:
            prefix = f"nf.{s['key']}"
            if not KEY_RE.match(new["key"]) or new["key"] in keys:
                errors[f"{prefix}.key"] = _("Enter a new key of lowercase letters, digits and "
                                            "underscores, starting with a letter.")
            keys.add(new["key"])
            if new["type"] not in FIELD_TYPES:
                errors[f"{prefix}.type"] = _("Choose a type of answer.")
            if not new["label"]:
                errors[f"{prefix}.label"] = _("Enter the question in Chinese.")
    new_step = actions.get("new_step")
    if new_step:
        steps = {s["key"] for s in doc.get("steps") or []}
        if (not KEY_RE.match(new_step["key"]) or new_step["key"] in steps
                or new_step["key"] in RESERVED_STEPS):
            errors["ns.key"] = _("Enter a new key of lowercase letters, digits and underscores, "
                                 "starting with a letter.")
        if not new_step["title"]:
            errors["ns.title"] = _("Enter the step's title in Chinese.")
        field = new_step.get("field") or {}
        if not KEY_RE.match(field.get("key", "")) or field["key"] in keys:
            errors["ns.field.key"] = _("Enter a new key of lowercase letters, digits and "
                                       "underscores, starting with a letter.")
        if field.get("type") not in FIELD_TYPES:
            errors["ns.field.type"] = _("Choose a type of answer.")
        if not field.get("label"):
            errors["ns.field.label"] = _("Enter the question in Chinese.")
    return errors


def _check_field(k: str, flat: dict) -> dict:
    errors = {}
    kind = flat.get(f"{k}.type")
    if kind is None:
        return errors
    if kind not in FIELD_TYPES:
        errors[f"{k}.type"] = _("Choose a type of answer.")
    if _int(flat[f"{k}.sort"], 1, 999) is None:
        errors[f"{k}.sort"] = _("Enter a position such as 1, 2 or 3.")
    if "max_length" in TYPE_ATTRS.get(kind, ()) and flat[f"{k}.max_length"] and _int(
            flat[f"{k}.max_length"], 1, LONG_MAX) is None:
        errors[f"{k}.max_length"] = _("Enter a whole number from 1 to %(num)d, or nothing.",
                                      num=LONG_MAX)
    if kind == "date" and flat[f"{k}.constraint"] not in ("", *DATE_CONSTRAINTS):
        errors[f"{k}.constraint"] = _("Choose which dates are accepted.")
    if kind == "number":
        ends = {}
        for end in ("min", "max"):
            ends[end] = _int(flat[f"{k}.{end}"], -10 ** 9, 10 ** 9) if flat[f"{k}.{end}"] else 0
            if flat[f"{k}.{end}"] and ends[end] is None:
                errors[f"{k}.{end}"] = _("Enter a whole number, or nothing.")
        if (flat[f"{k}.min"] and flat[f"{k}.max"] and None not in ends.values()
                and ends["min"] > ends["max"]):
            errors[f"{k}.max"] = _("The largest cannot be below the smallest.")
    if kind == "choice":
        lines = [v.strip() for v in flat[f"{k}.choices"].splitlines() if v.strip()]
        if not lines or len(lines) != len(set(lines)) or any(len(v) > 64 for v in lines):
            errors[f"{k}.choices"] = _("Enter each possible answer on its own line, every one "
                                       "different (at most 64 characters).")
    return errors


def apply(doc: dict, section: str, flat: dict, actions: dict, locale: str = SOURCE) -> dict:
    """A copy of ``doc`` with the section's (checked) values and actions applied."""
    doc = copy.deepcopy(doc)
    {"basics": _apply_basics, "text": _apply_text, "materials": _apply_materials,
     "steps": _apply_steps}[section](doc, flat, actions, locale)
    return doc


def _apply_basics(doc, flat, actions, locale):
    doc["kind"] = flat["kind"] or None
    doc["department"], doc["category"] = flat["department"], flat["category"]
    doc["parent"] = flat["parent"] or None
    fee = doc.setdefault("fee", {})
    fee["amount"] = format(Decimal(flat["fee_amount"].strip().replace(",", ".")), ".2f")
    fee["currency"] = flat["fee_currency"].strip().upper()
    doc["time_limit_days"] = int(flat["time_limit_days"])
    doc["agent_allowed"] = bool(flat["agent_allowed"])
    doc["video_check"] = bool(flat["video_check"])
    doc["delivery"] = _ticked(doc.get("delivery") or [],
                              ("courier", "electronic", "agent_pickup", "self_pickup"),
                              lambda d: flat[f"delivery.{d}"])


def _ticked(before: list, options: tuple, ticked) -> list:
    """The ticked options: those already chosen in their order, then the new ones (an
    unchanged choice is the same list, so publishing it makes no new version)."""
    kept = [o for o in before if o in options and ticked(o)]
    return kept + [o for o in options if ticked(o) and o not in kept]


def _apply_text(doc, flat, actions, locale):
    for slot in text_slots(doc):
        if slot.id in flat:
            _set_text(doc, slot, locale, flat[slot.id].strip())


def _apply_materials(doc, flat, actions, locale):
    rows = []
    for m in doc.get("materials") or []:
        k = f"m.{m['key']}"
        if m["key"] in actions.get("remove", ()):
            continue
        if f"{k}.need" in flat:
            need = flat[f"{k}.need"]
            m["essential"] = need != "deferrable"
            m["min_files"] = 0 if need == "optional" else int(flat[f"{k}.min_files"])
            m["max_files"] = int(flat[f"{k}.max_files"])
            m["formats"] = _ticked(m.get("formats") or [], ("jpeg", "png", "pdf"),
                                   lambda f: flat[f"{k}.fmt.{f}"])
        rows.append(_placed(flat.get(f"{k}.sort"), len(rows), m))
    doc["materials"] = [m for *_order, m in sorted(rows, key=lambda r: r[:3])]
    if actions.get("new_key"):
        need = actions.get("new_need") if actions.get("new_need") in NEEDS else "essential"
        doc["materials"].append({"key": actions["new_key"], "name": {SOURCE: actions["new_name"]},
                                 "essential": need != "deferrable",
                                 "formats": ["jpeg", "png", "pdf"],
                                 "min_files": 0 if need == "optional" else 1, "max_files": 1})


def _placed(position, index: int, row) -> tuple:
    """A row's sort key: its position; a row moved to a position taken by another goes
    there (before the one that was there), the others keep their order."""
    wanted = int(position) if position not in (None, "") else index + 1
    return (wanted, 0 if wanted != index + 1 else 1, index, row)


def _apply_steps(doc, flat, actions, locale):
    steps = []
    removed_fields = set(actions.get("remove_field", ()))
    for s in doc.get("steps") or []:
        if s["key"] in actions.get("remove_step", ()):
            continue
        fields = []
        for f in s.get("fields") or []:
            if f"{s['key']}.{f['key']}" in removed_fields:
                continue
            k = f"f.{s['key']}.{f['key']}"
            if f"{k}.type" in flat:
                f = _field_from(f, k, flat)
            fields.append(_placed(flat.get(f"{k}.sort"), len(fields), f))
        s["fields"] = [f for *_order, f in sorted(fields, key=lambda r: r[:3])]
        new = actions.get("new_field", {}).get(s["key"])
        if new:
            s["fields"].append(_new_field(new))
        steps.append(_placed(flat.get(f"s.{s['key']}.sort"), len(steps), s))
    doc["steps"] = [s for *_order, s in sorted(steps, key=lambda r: r[:3])]
    if actions.get("new_step"):
        new = actions["new_step"]
        doc["steps"].append({"key": new["key"], "title": {SOURCE: new["title"]},
                             "fields": [_new_field(new["field"])] if new.get("field") else []})


def _new_field(new: dict) -> dict:
    field = {"key": new["key"], "type": new["type"], "label": {SOURCE: new["label"]},
             "required": True}
    if new["type"] == "choice":
        field["choices"] = [{"value": "yes", "label": {}}, {"value": "no", "label": {}}]
    return field


def _field_from(old: dict, k: str, flat: dict) -> dict:
    kind = flat[f"{k}.type"]
    field = {"key": old["key"], "type": kind, "label": old.get("label") or {},
             "required": bool(flat[f"{k}.required"])}
    for text in ("help", "record"):
        if old.get(text):
            field[text] = old[text]
    attrs = TYPE_ATTRS.get(kind, ())
    if "max_length" in attrs and flat[f"{k}.max_length"]:
        field["max_length"] = int(flat[f"{k}.max_length"])
    if "constraint" in attrs:
        field["constraint"] = flat[f"{k}.constraint"] or "any"
    for end in ("min", "max"):
        if end in attrs and flat[f"{k}.{end}"]:
            field[end] = int(flat[f"{k}.{end}"])
    if "choices" in attrs:
        labels = {str(c["value"]): c.get("label") or {} for c in old.get("choices") or []}
        field["choices"] = [{"value": v, "label": labels.get(v, {})}
                            for v in (line.strip() for line in flat[f"{k}.choices"].splitlines())
                            if v]
    return field


# -- drafts -------------------------------------------------------------------------------

class Saved(NamedTuple):
    """What a save did: the draft now, the names it changed, those it could not, and the
    draft as the save found it (who saved it last, when)."""

    draft: ItemDraft | None
    errors: dict
    changed: list
    conflicts: list
    found: ItemDraft | None = None


def draft_for(code: str, places: list[int]) -> ItemDraft | None:
    """The draft with this code, when it belongs to one of ``places``."""
    return ItemDraft.get_or_none((ItemDraft.code == code)
                                 & ItemDraft.jurisdiction.in_(places or [0]))


def open_draft(item: Item, staff) -> ItemDraft:
    """The item's draft, started from its published version when it has none."""
    existing = ItemDraft.get_or_none(ItemDraft.item == item.id)
    if existing is not None:
        return existing
    doc = transfer.item_document(item)
    mark = source_mark(doc)
    with db.atomic():
        draft, created = ItemDraft.get_or_create(item=item.id, defaults=dict(
            code=item.code, jurisdiction=item.department.jurisdiction_id, document=doc,
            reviewed={loc: mark for loc in LOCALES if not missing(doc, loc)},
            base_version=item.version, created_by=staff.id, updated_by=staff.id))
    if created:
        audit.record("catalog_draft_start", staff=staff, target=item.code,
                     data={"version": item.version})
    return draft


def new_document(code: str, department: Department, category: str, parent: str | None,
                 name: str, source: Item | None = None) -> dict:
    """The document of a new item: a copy of ``source`` (another county's same service,
    say), or an empty item with the shared applicant step."""
    if source is not None:
        doc = transfer.item_document(source)
        doc.update(code=code, version=1, department=department.key, category=category,
                   parent=parent, name={SOURCE: name})
        return doc
    shared = read_shared_steps()
    steps = [transfer.step_document(shared["applicant"])] if "applicant" in shared else []
    return {"code": code, "version": 1, "department": department.key, "category": category,
            "parent": parent, "name": {SOURCE: name}, "summary": {}, "guidance": {},
            "next_steps": {}, "fee": {"amount": "0.00", "currency": "CNY"},
            "time_limit_days": 20, "agent_allowed": False, "video_check": False,
            "delivery": ["courier"], "steps": steps, "materials": []}


def create_draft(doc: dict, department: Department, staff) -> ItemDraft:
    """Store a new item's first draft."""
    draft = ItemDraft.create(code=doc["code"], jurisdiction=department.jurisdiction_id,
                             document=doc, created_by=staff.id, updated_by=staff.id)
    audit.record("catalog_draft_new", staff=staff, target=doc["code"])
    return draft


def code_taken(code: str) -> bool:
    return (Item.select().where(Item.code == code).exists()
            or ItemDraft.select().where(ItemDraft.code == code).exists())


def valid_code(code: str) -> bool:
    return bool(CODE_RE.match(code))


def save(draft: ItemDraft, staff, section: str, posted: dict, originals: dict, actions: dict,
         locale: str = SOURCE) -> Saved:
    """Merge one section's posted values into the draft and store it (see :func:`merge`).
    Nothing is stored when a value is wrong; ``errors`` name the fields."""
    for _attempt in range(5):
        row = ItemDraft.get_or_none(ItemDraft.id == draft.id)
        if row is None:
            return Saved(None, {}, [], list(posted))
        current = values(row.document, section, locale)
        merged, changed, conflicts = merge(current, posted, originals)
        errors = check(row.document, section, merged, actions, staff.scope_ids(), locale)
        if errors:
            return Saved(row, errors, [], conflicts, row)
        doc = apply(row.document, section, merged, actions, locale)
        reviewed = _reviewed(row, doc, section, actions, locale)
        if doc == row.document and reviewed == row.reviewed:
            return Saved(row, {}, [], conflicts, row)
        place = (Department.select(Department.jurisdiction).where(
            Department.key == doc["department"]).scalar() or row.jurisdiction_id)
        done = (ItemDraft.update(document=doc, reviewed=reviewed, revision=row.revision + 1,
                                 jurisdiction=place, updated_by=staff.id, updated_at=utcnow())
                .where((ItemDraft.id == row.id) & (ItemDraft.revision == row.revision))
                .execute())
        if done:
            audit.record("catalog_draft_edit", staff=staff, target=row.code, data={
                "section": section if section != "text" else f"text:{locale}",
                "changed": changed + sorted(k for k, v in actions.items() if v),
                "conflicts": conflicts, "revision": row.revision + 1})
            return Saved(ItemDraft.get_by_id(row.id), {}, changed, conflicts, row)
    return Saved(draft, {}, [], list(posted))


def newer(draft: ItemDraft) -> Item | None:
    """The item, when a version was published after the draft began (by an import, say)."""
    if not draft.item_id:
        return None
    item = Item.get_or_none(Item.id == draft.item_id)
    return item if item is not None and item.version > draft.base_version else None


def _rows_merged(base: list, theirs: list, mine: list, key, inner=None, where="") -> tuple:
    """Rows (materials, steps, a step's fields) merged by key: rows the newer version added
    join the draft's; rows it removed leave, unless the draft changed them (a conflict)."""
    base_by = {key(r): r for r in base}
    mine_by = {key(r): r for r in mine}
    theirs_by = {key(r): r for r in theirs}
    rows, conflicts = [], []
    for row in mine:
        k = key(row)
        if k in base_by and k not in theirs_by:
            if row == base_by[k]:
                continue
            conflicts.append(f"{where}{k}")
        if inner and k in base_by and k in theirs_by:
            row, more = inner(base_by[k], theirs_by[k], row)
            conflicts += more
        rows.append(row)
    rows += [copy.deepcopy(r) for r in theirs if key(r) not in base_by and key(r) not in mine_by]
    return rows, conflicts


def _merge_fields(base: dict, theirs: dict, mine: dict) -> tuple:
    fields, conflicts = _rows_merged(base.get("fields") or [], theirs.get("fields") or [],
                                     mine.get("fields") or [], lambda f: f["key"],
                                     where=f"f.{mine['key']}.")
    return dict(mine, fields=fields), conflicts


def rebase(draft: ItemDraft, staff) -> list[str]:
    """Take into the draft what versions published since it began changed (a three-way
    merge, as between two admins): what the draft did not change takes the newer value;
    what both changed keeps the draft's, and is returned (``section:name``)."""
    item = newer(draft)
    if item is None:
        return []
    from ..models import ItemVersion
    kept = ItemVersion.get_or_none((ItemVersion.item == item.id)
                                   & (ItemVersion.version == draft.base_version))
    theirs = transfer.item_document(item)
    base = transfer.item_document(item, kept.content) if kept else theirs
    doc = copy.deepcopy(draft.document)
    doc["materials"], conflicts = _rows_merged(base.get("materials") or [],
                                               theirs.get("materials") or [],
                                               doc.get("materials") or [], lambda m: m["key"],
                                               where="m.")
    doc["steps"], more = _rows_merged(base.get("steps") or [], theirs.get("steps") or [],
                                      doc.get("steps") or [], lambda s: s["key"],
                                      inner=_merge_fields, where="s.")
    conflicts += more
    for section, locale in [("basics", SOURCE), ("materials", SOURCE), ("steps", SOURCE)] + [
            ("text", loc) for loc in LOCALES]:
        was, now, ours = (values(d, section, locale) for d in (base, theirs, doc))
        merged = dict(ours)
        for name, value in now.items():
            if name in was and value == was[name]:
                continue  # the newer version left it alone
            if name not in ours or ours[name] == was.get(name, ours[name]):
                merged[name] = value
            elif ours[name] != value:
                conflicts.append(f"{locale}:{name}" if section == "text" else name)
        doc = apply(doc, section, merged, {}, locale)
    done = (ItemDraft.update(document=doc, base_version=item.version,
                             revision=draft.revision + 1, updated_by=staff.id,
                             updated_at=utcnow())
            .where((ItemDraft.id == draft.id) & (ItemDraft.revision == draft.revision))
            .execute())
    if done:
        audit.record("catalog_draft_rebase", staff=staff, target=draft.code,
                     data={"version": item.version, "conflicts": conflicts})
    return conflicts


def _reviewed(row: ItemDraft, doc: dict, section: str, actions: dict, locale: str) -> dict:
    reviewed = dict(row.reviewed or {})
    if section == "text":
        if actions.get("done"):
            reviewed[locale] = source_mark(doc)
        else:
            reviewed.pop(locale, None)
    return reviewed


def checked(draft: ItemDraft, places: list[int]) -> tuple[list[str], dict | None]:
    """``(problems, item)``: why the draft cannot be published yet (translated, then the
    loader's own checks), or none and the item in the loader's form, ready to preview or
    publish."""
    found = _problems(draft)
    if found:
        return found, None
    try:
        return [], transfer.check_entries([draft.document], places)[0]
    except transfer.ImportRefused as refused:
        return refused.problems, None


def _problems(draft: ItemDraft) -> list[str]:
    empty = missing(draft.document, SOURCE)
    if empty:
        return [_("%(group)s, %(label)s: the Chinese text is empty.", group=s.group,
                  label=s.label) for s in empty]
    item = newer(draft)
    if item is not None:
        return [_("Version %(version)d was published after this draft began. Take in its "
                  "changes first.", version=item.version)]
    found = [_("Step %(key)s has no fields.", key=s["key"])
             for s in draft.document.get("steps") or [] if not s.get("fields")]
    if not any(f["type"] in ("name_zh", "name_latin") and f.get("required", True)
               for s in draft.document.get("steps") or [] for f in s.get("fields") or []):
        found.append(_("The form does not ask for the applicant's name: keep the step "
                       "“About you”, or add a required answer of the type Name in Chinese "
                       "or Name in Latin letters."))
    return found


def publish(draft: ItemDraft, staff, item: dict) -> tuple[Item, bool]:
    """Publish the draft (``item``: as :func:`checked` found it) as the item's next version
    (or its first) and drop the draft; returns the item and whether applicants now read a
    new version."""
    with db.atomic():
        transfer.publish([item])
        ItemDraft.delete().where(ItemDraft.id == draft.id).execute()
        item = Item.get(Item.code == draft.code)
        audit.record("catalog_publish", staff=staff, target=item.code,
                     data={"version": item.version, "revision": draft.revision})
    return item, item.version != draft.base_version


def discard(draft: ItemDraft, staff) -> None:
    ItemDraft.delete().where(ItemDraft.id == draft.id).execute()
    audit.record("catalog_draft_discard", staff=staff, target=draft.code,
                 data={"revision": draft.revision})


#: The audit actions of the catalog, shown as an item's history.
HISTORY = {"catalog_draft_start": _l("Draft started"), "catalog_draft_new": _l("New item drafted"),
           "catalog_draft_edit": _l("Draft edited"), "catalog_publish": _l("Published"),
           "catalog_draft_rebase": _l("Newer version taken in"),
           "catalog_draft_discard": _l("Draft discarded")}


def history(code: str, limit: int = 40):
    """The latest catalog audit events of an item, newest first."""
    return audit.about(code, list(HISTORY), limit)
