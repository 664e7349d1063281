"""The applicant's forms: start, the item's own steps, entrustment, declaration, find.

The steps of an item are defined in the catalog; :func:`step_form` builds
their form class when the page is shown, from the item's definition, with
one validator per field (:class:`app.forms.Cleaned`).
"""

from datetime import date, timedelta

from flask_babel import gettext as _, lazy_gettext as _l
from wtforms import (BooleanField, HiddenField, RadioField, SelectField, StringField,
                     TextAreaField)
from werkzeug.datastructures import MultiDict
from wtforms.validators import StopValidation, ValidationError

from ..clock import utcnow
from ..config import LOCALES
from ..forms import (Asked, Check, Cleaned, Form, MultiCheckboxField, Needed, TrimmedString,
                     options)
from ..i18n import LOCALE_NAMES, localized
from .entrustment import MAX_VALIDITY_DAYS, POWER_LABELS, POWERS, agent_fields
from .reference import read_reference
from .start import countries, zone_for

#: Controls and attributes for each catalog field type.
CONTROLS = {
    "date": {"type": "date", "class": "w-date"},
    "phone": {"type": "tel", "autocomplete": "tel", "class": "w-m"},
    "phone_cn": {"type": "tel", "autocomplete": "tel", "class": "w-m"},
    "email": {"type": "email", "autocomplete": "email"},
    "cn_id": {"autocomplete": "off", "class": "w-m", "autocapitalize": "characters",
              "spellcheck": "false"},
    "passport": {"autocomplete": "off", "class": "w-m", "autocapitalize": "characters",
                 "spellcheck": "false"},
    "name_zh": {"autocomplete": "name", "class": "w-m", "lang": "zh"},
    "name_latin": {"autocomplete": "name", "spellcheck": "false"},
    "number": {"inputmode": "numeric", "class": "w-s"},
}
LONG_TEXT = {"textarea": 4, "address_abroad": 3, "address_home": 3}


def catalog_field(definition: dict, country=None):
    """The WTForms field for one catalog field definition."""
    label = localized(definition["label"])
    hint = localized(definition["help"]) if definition.get("help") else ""
    validators = [Cleaned(definition, country)]
    kind = definition["type"]
    if kind == "choice":
        choices = [(c["value"], localized(c["label"])) for c in definition["choices"]]
        if len(choices) <= 6:
            return RadioField(label, choices=options(choices), description=hint,
                              validators=validators, validate_choice=False)
        return SelectField(label, choices=options([("", _("Choose…"))] + choices),
                           description=hint, validators=validators, validate_choice=False)
    if kind in LONG_TEXT:
        render = {"rows": LONG_TEXT[kind]}
        if definition.get("max_length"):
            render["maxlength"] = definition["max_length"]
        return TextAreaField(label, description=hint, validators=validators, render_kw=render)
    return StringField(label, description=hint, validators=validators,
                       render_kw=dict(CONTROLS.get(kind, {})))


def step_form(step: dict, country: str | None):
    """The form class of one step of an item (built from its catalog definition)."""
    attrs = {f["key"]: catalog_field(f, country) for f in step["fields"]}
    return type(f"Step_{step['key']}", (Form,), attrs)


def unknown_fields(form, posted) -> list[str]:
    """Posted names that are not fields of ``form`` (a page of another item, a forgery)."""
    controls = {"csrf_token", "action", "switch_lang"}
    return sorted(k for k in posted.keys() if k not in form._fields and k not in controls)


# -- Start ----------------------------------------------------------------------------------

class StartForm(Form):
    """How to reach the applicant, their language and where they live."""

    start_key = HiddenField()
    tz = HiddenField(id="f-tz")
    email = StringField(_l("Email address"), description=_l("Your private link is sent here."),
                        validators=[Cleaned({"type": "email", "required": False})],
                        render_kw={"type": "email", "autocomplete": "email"})
    phone = StringField(_l("Phone number"),
                        description=_l("With the country code, for example +39 312 345 6789."),
                        validators=[Cleaned({"type": "phone", "required": False},
                                            country=lambda form: form.region())],
                        render_kw={"type": "tel", "autocomplete": "tel", "class": "w-m"})
    language = SelectField(_l("Language for letters and emails"),
                           description=_l("Forms are printed in Chinese and in this language."),
                           choices=options(LOCALE_NAMES.items()), validate_choice=False,
                           validators=[Check(lambda v: v in LOCALES, _l("Choose a language."))])
    country = SelectField(_l("Country where you live"), choices=[], validate_choice=False,
                          validators=[Asked()])
    city = TrimmedString(_l("City"), render_kw={"autocomplete": "address-level2", "class": "w-m"},
                         validators=[Needed(_l("Enter the city where you live."))])

    def __init__(self, *args, locale: str = "zh", **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = options([("", _("Choose…"))] + list(countries(locale)))
        self._codes = {code for code, _name in countries(locale)}

    def region(self) -> str | None:
        """The country chosen, when it is one of the list."""
        return self.country.data if self.country.data in self._codes else None

    def validate_country(self, field):
        if field.data not in self._codes:
            raise StopValidation(_("Choose the country where you live."))

    def validate_city(self, field):
        if len(field.data) > 100:
            raise ValidationError(_("Keep this to %(limit)s characters or fewer (now %(count)s).",
                                    limit=100, count=len(field.data)))

    def validate_email(self, field):
        if not (field.data or "").strip() and not (self.phone.data or "").strip():
            raise ValidationError(_("Give an email address or a phone number, so we can reach "
                                    "you."))

    def values(self) -> dict:
        """The clean values to start a case with (the zone follows the country)."""
        clean = self.clean()
        return {"email": clean["email"] or None, "phone": clean["phone"] or None,
                "language": clean["language"], "country": clean["country"],
                "city": clean["city"], "tz": zone_for(clean["country"], clean["tz"])}


# -- Entrustment ------------------------------------------------------------------------

#: A date typed in an ``<input type=date>``: year-month-day, a real day, 1900–2200.
DATE = {"type": "date", "constraint": "any", "required": True}


class EntrustmentForm(Form):
    """Do it myself, or entrust a relative at home: who, what they may do, for how long."""

    mode = RadioField(_l("Who will do the formalities"), choices=options([
        ("self", _l("I will do it myself")), ("agent", _l("I entrust a relative at home"))]),
        validate_choice=False,
        validators=[Check(lambda v: v in ("self", "agent"),
                          _l("Choose who will do the formalities in China."))])
    powers = MultiCheckboxField(_l("What your relative may do"),
                                choices=options((p, POWER_LABELS[p]) for p in POWERS),
                                validators=[Asked()])
    valid_from = StringField(_l("Valid from"), render_kw={"type": "date", "class": "w-date"},
                             validators=[Cleaned(DATE)])
    valid_until = StringField(
        _l("Valid until"), render_kw={"type": "date", "class": "w-date"},
        validators=[Cleaned(DATE)],
        description=_l("At most two years. Choose a date after you expect the matter to be "
                       "finished."))

    def __init__(self, *args, stored: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # A stored entrustment whose start date has since passed is still valid.
        self.stored = stored

    def agent_field_names(self) -> list[str]:
        """The fields that describe the relative."""
        return [f["key"] for f in agent_fields()]

    def validate(self, extra_validators=None) -> bool:
        """The agent's details are checked only when a relative is entrusted."""
        if not self.mode.validate(self):
            return False
        if self.mode.data == "self":
            return True
        valid = super().validate(extra_validators)
        return self._check_dates() and valid

    def _check_dates(self) -> bool:
        if self.valid_from.errors or self.valid_until.errors:
            return False
        start = date.fromisoformat(self.valid_from.clean)
        end = date.fromisoformat(self.valid_until.clean)
        if not self.stored and start < utcnow().date():
            self.valid_from.errors.append(_("The entrustment cannot start before today."))
        if end <= start:
            self.valid_until.errors.append(_("The end date must be after the start date."))
        elif end - start > timedelta(days=MAX_VALIDITY_DAYS):
            self.valid_until.errors.append(_("An entrustment can last at most two years."))
        return not (self.valid_from.errors or self.valid_until.errors)

    def validate_powers(self, field):
        if not field.data:
            raise ValidationError(_("Choose at least one thing your relative may do."))

    def values(self) -> dict:
        """What is stored on the case."""
        if self.mode.data == "self":
            return {"mode": "self"}
        values = {"mode": "agent", "powers": list(self.powers.data),
                  "valid_from": self.valid_from.clean, "valid_until": self.valid_until.clean}
        values.update({name: self[name].clean for name in self.agent_field_names()})
        return values


def entrustment_form(**kwargs):
    """The entrustment form with the relative's fields (their labels are catalog-style);
    ``kwargs`` go to the form (``formdata``, ``data``, ``stored``)."""
    attrs = {f["key"]: catalog_field(f, "CN") for f in agent_fields()}
    return type("Entrustment", (EntrustmentForm,), attrs)(**kwargs)


def entrustment_complete(values: dict | None) -> bool:
    """Whether a stored entrustment still passes the form's checks (again at submission)."""
    if not values or values.get("mode") not in ("self", "agent"):
        return False
    if values["mode"] == "self":
        return True
    data = MultiDict([(k, v) for k, v in values.items() if k != "powers"])
    for power in values.get("powers", []):
        data.add("powers", power)
    return entrustment_form(formdata=data, stored=True, meta={"csrf": False}).validate()


def default_entrustment() -> dict:
    """What the form shows before anything is chosen: valid from today for six months."""
    today = utcnow().date()
    return {"valid_from": today.isoformat(),
            "valid_until": (today + timedelta(days=182)).isoformat(),
            "powers": list(POWERS)}


# -- Declaration and finding a case ---------------------------------------------------

class DeclarationForm(Form):
    """The declaration, and the version of the case the applicant saw."""

    version = HiddenField()
    declare = BooleanField(_l("Declaration"), render_kw={"value": "yes"})


class _ReferenceCheck(Asked):
    """A reference with its check digits (the canonical form goes to ``field.clean``)."""

    def __call__(self, form, field):
        reference, problem = read_reference(field.data or "")
        if problem:
            raise StopValidation(problem)
        field.clean = reference


_reference_check = _ReferenceCheck()


#: A code typed from paper: no autocomplete, capitals, no spell check.
TYPED_CODE = {"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}


def _code_field(label, hint, check, width="s", max_chars=20):
    return TrimmedString(label, max_chars=max_chars, description=hint, validators=[check],
                         render_kw=dict(TYPED_CODE, **{"class": f"w-{width}"}))


class FindForm(Form):
    """Reference and access code."""

    reference = _code_field(_l("Reference"), _l("For example OV-1234-5678-90"),
                            _reference_check, "m", 40)
    code = _code_field(_l("Access code"), _l("8 letters and digits, for example K7QD-M2XA"),
                       Needed(_l("Enter the access code.")))


class AgentFindForm(FindForm):
    """The agent's sign-in: the reference and the agent's own code."""

    code = _code_field(_l("Agent's code"), _l("10 letters and digits, for example 7K2QD-M9XAT"),
                       Needed(_l("Enter the agent's code.")))


__all__ = ["StartForm", "step_form", "unknown_fields", "entrustment_form", "EntrustmentForm",
           "DeclarationForm", "FindForm", "AgentFindForm", "default_entrustment",
           "entrustment_complete"]
