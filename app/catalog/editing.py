"""What the item editor's pages read from a request and show: the new-item form, the
posted values of a section with the fingerprints they were built from, the actions
(add, remove, mark done), and a label for every field an error can name."""

import json
import re

from flask import request
from flask_babel import gettext as _, lazy_gettext as _l
from wtforms import SelectField, StringField, ValidationError

from ..config import LOCALES
from ..forms import Asked, Form, options
from ..i18n import LOCALE_NAMES, localized
from ..models import Category, Department, Item
from . import drafts
from .loader import DELIVERY, FIELD_TYPES, FORMATS

#: What the editor calls each type of answer.
TYPE_LABELS = {"text": _l("Short text"), "textarea": _l("Paragraph"), "date": _l("Date"),
               "choice": _l("One of a list"), "cn_id": _l("Chinese ID number"),
               "phone": _l("Phone number abroad"), "phone_cn": _l("Phone number in China"),
               "email": _l("Email address"), "name_zh": _l("Name in Chinese"),
               "name_latin": _l("Name in Latin letters"), "passport": _l("Passport number"),
               "address_abroad": _l("Address abroad"), "address_home": _l("Address in China"),
               "number": _l("Whole number")}
NEED_LABELS = {"essential": _l("Essential"), "deferrable": _l("May be sent later (容缺)"),
               "optional": _l("Optional")}
DATE_LABELS = {"any": _l("Any date"), "past": _l("A past date"), "future": _l("A future date")}
STATUS_LABELS = {"missing": _l("Missing"), "review": _l("Needs review"), "done": _l("Done")}


class NewItemForm(Form):
    """A new item: its code, where it belongs, its Chinese name, and optionally the
    service it starts as a copy of."""

    code = StringField(_l("Item code"), validators=[Asked()],
                       description=_l("Capital letters, digits and dashes, such as "
                                      "QT-GA-HJ-006. It appears in links and on forms."),
                       render_kw={"class": "w-m mono", "autocomplete": "off"})
    name = StringField(_l("Name in Chinese"), validators=[Asked()])
    department = SelectField(_l("Department"), choices=[], validate_choice=False,
                             validators=[Asked()])
    category = SelectField(_l("Topic"), choices=[], validate_choice=False, validators=[Asked()])
    parent = SelectField(_l("Variant of"), choices=[], validate_choice=False,
                         description=_l("For a sub-item (子项): the main service it belongs to."))
    copy_of = StringField(_l("Start from a copy of (item code)"),
                          description=_l("Optional: the same service in another county, say. "
                                         "Its texts, materials and steps are copied."),
                          render_kw={"class": "w-m mono", "autocomplete": "off"})

    def __init__(self, *args, places=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.places = list(places)
        self.department.choices = options([("", _("Choose…"))] + [
            (d.key, localized(d.names)) for d in Department.select().where(
                Department.jurisdiction.in_(self.places or [0])).order_by(Department.sort)])
        self.category.choices = options([("", _("Choose…"))] + [
            (c.key, localized(c.names)) for c in Category.select().order_by(Category.sort)])
        self.parent.choices = options([("", _("None: a service of its own"))] + main_items(
            self.places))

    def validate_code(self, field):
        field.data = (field.data or "").strip().upper()
        if not drafts.valid_code(field.data):
            raise ValidationError(_("Use 2 to 31 capital letters, digits and dashes."))
        if drafts.code_taken(field.data):
            raise ValidationError(_("This code is already used by another service or draft."))

    def validate_name(self, field):
        field.data = (field.data or "").strip()
        if not field.data:
            raise ValidationError(_("Enter the service's name in Chinese."))
        if len(field.data) > drafts.SHORT_MAX:
            raise ValidationError(_("At most %(num)d characters.", num=drafts.SHORT_MAX))

    def validate_department(self, field):
        if not Department.select().where((Department.key == field.data) & (
                Department.jurisdiction.in_(self.places or [0]))).exists():
            raise ValidationError(_("Choose a department of your county."))

    def validate_category(self, field):
        if not Category.select().where(Category.key == field.data).exists():
            raise ValidationError(_("Choose a topic."))

    def validate_parent(self, field):
        if field.data and field.data not in {code for code, _name in main_items(self.places)}:
            raise ValidationError(_("Choose a main service of your county, or none."))

    def validate_copy_of(self, field):
        field.data = (field.data or "").strip().upper()
        if field.data and Item.active_by_code(field.data) is None:
            raise ValidationError(_("No published service has this code."))


def main_items(places) -> list[tuple[str, str]]:
    """(code, name) of the published items of ``places`` that are not sub-items."""
    return [(i.code, f"{i.code} · {localized(i.names)}") for i in Item.select(
        Item.code, Item.names).join(Department).where(
        Department.jurisdiction.in_(list(places) or [0]) & Item.parent.is_null()
        & (Item.active == True)).order_by(Item.sort, Item.code)]  # noqa: E712


def posted() -> tuple[dict, dict] | None:
    """``(values, fingerprints)`` a section's page sent back, or None when the page's
    state is not readable (a forged or truncated page)."""
    try:
        originals = json.loads(request.form.get("originals", ""))
    except ValueError:
        return None
    if not isinstance(originals, dict) or not all(isinstance(v, str) for v in originals.values()):
        return None
    return {name: request.form.get(name, "") for name in originals}, originals


def actions(section: str) -> dict:
    """What the page asks beyond changing values: add, remove, mark done."""
    form = request.form
    if section == "text":
        return {"done": form.get("done") == "1"}
    if section == "materials":
        return {"remove": form.getlist("remove"), "new_key": form.get("new_key", "").strip(),
                "new_name": form.get("new_name", "").strip()[:drafts.SHORT_MAX],
                "new_need": form.get("new_need", "essential")}
    if section == "steps":
        new_fields = {}
        for name in form:
            found = re.fullmatch(r"nf\.([a-z0-9_]+)\.key", name)
            if found and form[name].strip():
                step = found.group(1)
                new_fields[step] = _new_field(f"nf.{step}")
        new_step = None
        if form.get("ns.key", "").strip() or form.get("ns.title", "").strip():
            new_step = {"key": form.get("ns.key", "").strip(),
                        "title": form.get("ns.title", "").strip()[:drafts.SHORT_MAX],
                        "field": _new_field("ns.field")}
        return {"remove_step": form.getlist("remove_step"),
                "remove_field": form.getlist("remove_field"), "new_field": new_fields,
                "new_step": new_step}
    return {}


def _new_field(prefix: str) -> dict:
    return {"key": request.form.get(f"{prefix}.key", "").strip(),
            "type": request.form.get(f"{prefix}.type", ""),
            "label": request.form.get(f"{prefix}.label", "").strip()[:drafts.SHORT_MAX]}


def typed(section: str) -> dict:
    """What was typed in the add and remove controls, to show again after an error."""
    return {name: request.form.getlist(name) if name.startswith("remove") else request.form[name]
            for name in request.form if name.startswith(("new_", "nf.", "ns.", "remove"))}


def locale_arg() -> str:
    """The locale a text page edits (``?locale=``, or the posted one)."""
    value = request.values.get("locale", drafts.SOURCE)
    return value if value in LOCALES else drafts.SOURCE


def beside_arg(locale: str) -> str:
    """The locale shown beside the edited one: Chinese, or English beside Chinese."""
    value = request.values.get("beside", "")
    if value in LOCALES and value != locale:
        return value
    return "en" if locale == drafts.SOURCE else drafts.SOURCE


def field_label(doc: dict, name: str) -> str:
    """What the editor calls the control ``name`` (for the error summary)."""
    locale, colon, rest = name.partition(":")
    if colon and locale in LOCALE_NAMES:
        return f"{LOCALE_NAMES[locale]}: {field_label(doc, rest)}"
    slots = {s.id: s for s in drafts.text_slots(doc)}
    if name in slots:
        return f"{slots[name].group}, {slots[name].label}"
    fixed = {"kind": _("Kind of service"), "department": _("Department"), "category": _("Topic"),
             "parent": _("Variant of"), "fee_amount": _("Fee"), "fee_currency": _("Currency"),
             "time_limit_days": _("Time limit in working days"),
             "delivery.courier": _("How the result is received"), "done": _("Done"),
             "new_key": _("New material: key"), "new_name": _("New material: name in Chinese"),
             "ns.key": _("New step: key"), "ns.title": _("New step: title in Chinese"),
             "ns.field.key": _("New step, first field: key"),
             "ns.field.type": _("New step, first field: type of answer"),
             "ns.field.label": _("New step, first field: question in Chinese")}
    if name in fixed:
        return fixed[name]
    parts = name.split(".")
    if len(parts) == 2 and parts[0] in ("m", "s"):  # a row removed by a newer version
        return (_("Material %(key)s", key=parts[1]) if parts[0] == "m"
                else _("Step %(key)s", key=parts[1]))
    if len(parts) == 3 and parts[0] == "f" and name not in drafts.values(doc, "steps"):
        return _("Field %(key)s", key=parts[2])
    if len(parts) < 3 or parts[0] not in ("m", "s", "f", "nf") or (parts[0] == "f"
                                                                   and len(parts) < 4):
        return name
    what = {"sort": _("position"), "need": _("needed"), "min_files": _("fewest files"),
            "max_files": _("most files"), "fmt": _("formats"), "type": _("type of answer"),
            "max_length": _("longest answer"), "constraint": _("dates accepted"),
            "min": _("smallest"), "max": _("largest"), "choices": _("possible answers"),
            "key": _("key"), "label": _("question in Chinese")}
    if parts[0] == "m":
        return _("Material %(key)s", key=parts[1]) + ": " + str(what.get(parts[2], parts[2]))
    if parts[0] == "s":
        return _("Step %(key)s", key=parts[1]) + ": " + str(what.get(parts[2], parts[2]))
    if parts[0] == "f":
        return (_("Field %(key)s", key=parts[2]) + ": " + str(what.get(parts[3], parts[3])))
    if parts[0] == "nf":
        return _("New field in step %(key)s", key=parts[1]) + ": " + str(what.get(parts[2], ""))
    return name


def choices_for(section: str, places, code: str) -> dict:
    """The options of the section's selects."""
    if section == "basics":
        return {"delivery": sorted(DELIVERY),
                "departments": [(d.key, localized(d.names)) for d in Department.select().where(
                    Department.jurisdiction.in_(list(places) or [0])).order_by(Department.sort)],
                "categories": [(c.key, localized(c.names))
                               for c in Category.select().order_by(Category.sort)],
                "parents": [("", _("None: a service of its own"))] + [
                    pair for pair in main_items(places) if pair[0] != code]}
    if section == "materials":
        return {"needs": NEED_LABELS, "formats": sorted(FORMATS)}
    if section == "steps":
        return {"types": {t: TYPE_LABELS[t] for t in sorted(FIELD_TYPES)}, "dates": DATE_LABELS}
    return {"locales": LOCALE_NAMES}
