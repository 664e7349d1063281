"""The admins' form of a standard return reason."""

import re

from flask_babel import gettext as _, lazy_gettext as _l
from wtforms import BooleanField

from ..config import LOCALES
from ..forms import Asked, Form, MultiCheckboxField, TrimmedString, options, to_int
from ..i18n import LOCALE_NAMES
from .library import KINDS

KEY_RE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
MAX_REASON = 500


class ReasonForm(Form):
    """A reason's key, its text in each language, what it applies to, order and state."""

    key = TrimmedString(_l("Key"), max_chars=64, validators=[Asked()],
                        description=_l("Lower-case letters, digits and underscores, for example "
                                       "stamp_missing. It cannot be changed later."))
    kinds = MultiCheckboxField(_l("Kinds of material it applies to"), choices=options(
        KINDS.items()), description=_l("Tick none for every material."))
    materials = TrimmedString(_l("Or these materials (their keys, separated by commas)"),
                              max_chars=1000)
    sort = TrimmedString(_l("Order"), max_chars=6, default="0")
    active = BooleanField(_l("Offered to clerks"), default=True)

    def validate(self, extra_validators=None):
        """The fields' own rules, then: a well-formed key, a text in Chinese or English
        (the languages a missing text falls back to), every text short enough."""
        valid = super().validate(extra_validators)
        if "key" in self and not KEY_RE.match(self.key.data or ""):
            self.key.errors.append(_("Use lower-case letters, digits and underscores only."))
        for code in LOCALES:
            field = self[f"text_{code}"]
            if len(field.data or "") > MAX_REASON:
                field.errors.append(_("Keep each text to %(num)d characters or fewer.",
                                      num=MAX_REASON))
        if not (self.text_zh.data or self.text_en.data):
            self.text_en.errors.append(_("Write the reason at least in Chinese or English: a "
                                         "missing language shows the English, else the Chinese."))
        if to_int(self.sort.data, None) is None:
            self.sort.errors.append(_("Enter the order as a whole number."))
        return valid and not any(f.errors for f in self)

    def values(self) -> dict:
        """The reason's fields as the model keeps them."""
        keys = [k.strip() for k in re.split(r"[,\s，]+", self.materials.data or "") if k.strip()]
        return {"texts": {code: self[f"text_{code}"].data for code in LOCALES
                          if self[f"text_{code}"].data},
                "applies_to": list(dict.fromkeys(list(self.kinds.data or []) + keys)),
                "sort": to_int(self.sort.data, 0), "active": bool(self.active.data)}


for _code in LOCALES:
    setattr(ReasonForm, f"text_{_code}", TrimmedString(
        LOCALE_NAMES[_code], max_chars=2000, render_kw={"lang": _code}))


def form_data(reason) -> dict:
    """A reason as the form's fields."""
    data = {f"text_{code}": (reason.texts or {}).get(code, "") for code in LOCALES}
    applies = list(reason.applies_to or [])
    data.update(key=reason.key, sort=str(reason.sort), active=reason.active,
                kinds=[a for a in applies if a in KINDS],
                materials=", ".join(a for a in applies if a not in KINDS))
    return data
