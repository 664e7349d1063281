"""The entrustment step: doing the formalities oneself, or entrusting a relative at home.

For items that allow an agent (受托人), the applicant either does everything
herself or names a relative in China, what that person may do (submit, sign,
collect the result) and for how long. The answers feed the entrustment letter
(委托书) and, later, the video identity check.
"""

from datetime import date, timedelta

from flask_babel import gettext as _, lazy_gettext as _l

from ..models import utcnow
from .fields import FieldError, clean_field

def N_(message):
    """Mark a message id for extraction (translated where it is shown)."""
    return message


POWERS = ("submit", "sign", "collect")
#: Message ids, so documents can print them in two languages at once.
POWER_MESSAGES = {
    "submit": N_("Hand in the application and materials at the window"),
    "sign": N_("Sign forms and records on my behalf"),
    "collect": N_("Collect the result (certificate, document or licence)"),
}
RELATIONSHIPS = ("spouse", "parent", "child", "sibling", "grandparent", "grandchild",
                 "other_relative")
RELATIONSHIP_MESSAGES = {
    "spouse": N_("Spouse"), "parent": N_("Parent"), "child": N_("Son or daughter"),
    "sibling": N_("Brother or sister"), "grandparent": N_("Grandparent"),
    "grandchild": N_("Grandchild"), "other_relative": N_("Other relative"),
}
POWER_LABELS = {key: _l(message) for key, message in POWER_MESSAGES.items()}
RELATIONSHIP_LABELS = {key: _l(message) for key, message in RELATIONSHIP_MESSAGES.items()}
MAX_VALIDITY_DAYS = 731


def agent_fields() -> list[dict]:
    """The agent's details, as catalog-style field definitions."""
    return [
        {"key": "agent_name_zh", "type": "name_zh", "required": True,
         "label": _l("Your relative's name in Chinese characters"),
         "help": _l("As on their Chinese ID card.")},
        {"key": "agent_cn_id", "type": "cn_id", "required": True,
         "label": _l("Your relative's Chinese ID card number"),
         "help": _l("The window checks it against their ID card when they come.")},
        {"key": "agent_relationship", "type": "choice", "required": True,
         "label": _l("How is this person related to you?"),
         "choices": [{"value": v, "label": RELATIONSHIP_LABELS[v]} for v in RELATIONSHIPS]},
        {"key": "agent_phone", "type": "phone_cn", "required": True,
         "label": _l("Your relative's phone number in China"),
         "help": _l("The window calls this number to arrange the visit.")},
    ]


def validate(form) -> tuple[dict, dict]:
    """Clean the posted entrustment form; return ``(entrustment, errors)``."""
    mode = form.get("mode", "")
    errors = {}
    if mode not in {"self", "agent"}:
        return {}, {"mode": _("Choose who will do the formalities in China.")}
    if mode == "self":
        return {"mode": "self"}, {}
    values = {"mode": "agent"}
    for field in agent_fields():
        try:
            values[field["key"]] = clean_field(field, form.get(field["key"]), "CN")
        except FieldError as exc:
            errors[field["key"]] = str(exc)
    powers = [p for p in form.getlist("powers") if p in POWERS]
    if not powers:
        errors["powers"] = _("Choose at least one thing your relative may do.")
    values["powers"] = powers
    today = utcnow().date()
    for key in ("valid_from", "valid_until"):
        try:
            values[key] = clean_field({"type": "date", "constraint": "any", "required": True},
                                      form.get(key))
        except FieldError as exc:
            errors[key] = str(exc)
    if "valid_from" not in errors and date.fromisoformat(values["valid_from"]) < today:
        errors["valid_from"] = _("The entrustment cannot start before today.")
    if not {"valid_from", "valid_until"} & errors.keys():
        start = date.fromisoformat(values["valid_from"])
        end = date.fromisoformat(values["valid_until"])
        if end <= start:
            errors["valid_until"] = _("The end date must be after the start date.")
        elif end - start > timedelta(days=MAX_VALIDITY_DAYS):
            errors["valid_until"] = _("An entrustment can last at most two years.")
    return values, errors


def default_values() -> dict:
    """What the form shows before anything is chosen: valid from today for six months."""
    today = utcnow().date()
    return {"mode": "", "valid_from": today.isoformat(),
            "valid_until": (today + timedelta(days=182)).isoformat(), "powers": list(POWERS)}


def is_complete(entrustment) -> bool:
    """Whether a stored entrustment still passes validation (re-checked at submission)."""
    if not entrustment or entrustment.get("mode") not in {"self", "agent"}:
        return False
    if entrustment["mode"] == "self":
        return True
    from werkzeug.datastructures import MultiDict
    data = MultiDict([(k, v) for k, v in entrustment.items() if k != "powers"])
    for power in entrustment.get("powers", []):
        data.add("powers", power)
    _values, errors = validate(data)
    # A start date that has since passed is still fine for a stored entrustment.
    errors.pop("valid_from", None)
    return not errors
