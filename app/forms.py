"""What every form shares: the base class, the validators that run our cleaners, and
the fields HTML needs.

Forms are WTForms classes (CSRF from Flask-WTF). Their messages are ours,
written with gettext, so they read the same in every form and every locale;
``templates/_macros/forms.html`` renders any field and the error summary.
"""

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectMultipleField, StringField, ValidationError, widgets
from wtforms.validators import StopValidation

from .cases.fields import FieldError, clean_field
from .ids import read_id


def to_int(value, default: int = -1) -> int:
    """A whole number from a form value, or ``default`` (also for one beyond what a
    64-bit column holds: it is never a row's id, and SQLite could not compare it)."""
    try:
        return read_id(value)
    except (TypeError, ValueError):
        return default


def options(pairs) -> list[SelectChoice]:
    """``(value, label)`` pairs as the choices of a select, radio or checkbox field."""
    return [SelectChoice(str(value), label) for value, label in pairs]


class Form(FlaskForm):
    """The base of every form: posted data only, CSRF checked."""

    def errors_by_field(self) -> dict:
        """``{field name: first message}`` in the order the fields are shown."""
        return {field.name: field.errors[0] for field in self if field.errors}

    def clean(self) -> dict:
        """Every field's clean value (what :class:`Cleaned` made of it, else its data)."""
        return {field.name: getattr(field, "clean", field.data) for field in self
                if field.name != "csrf_token"}


class GetForm(Form):
    """A form sent with GET (filters, print choices): no CSRF token."""

    class Meta:
        csrf = False


class Cleaned:
    """Validates with a catalog-style field definition and :func:`clean_field`.

    The clean value (an E.164 phone number, an upper-case ID number…) is kept
    on ``field.clean``; what was typed stays on the field, to show again.
    """

    def __init__(self, definition: dict, country=None):
        self.definition = definition
        self.country = country
        self.field_flags = {"required": definition.get("required", True)}

    def __call__(self, form, field):
        country = self.country(form) if callable(self.country) else self.country
        raw = field.data if isinstance(field.data, str) else ("" if field.data is None
                                                               else str(field.data))
        try:
            field.clean = clean_field(self.definition, raw, country)
        except FieldError as error:
            field.clean = None
            raise StopValidation(str(error)) from None


class Check:
    """A validator from a function: ``test(value)`` is true, or ``message`` (lazy) is shown.
    The field is one the form asks for."""

    field_flags = {"required": True}

    def __init__(self, test, message, stop: bool = True):
        self.test = test
        self.message = message
        self.stop = stop

    def __call__(self, form, field):
        if not self.test(field.data):
            error = StopValidation if self.stop else ValidationError
            raise error(str(self.message))


class Needed:
    """A required value (the flag marks the label; the message is the caller's)."""

    field_flags = {"required": True}

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        value = field.data
        if value is None or (isinstance(value, str) and not value.strip()) or value == []:
            raise StopValidation(str(self.message))


class Asked:
    """Marks a field the form asks for (no "(optional)" beside its label) when the rule
    that checks it lives elsewhere (an inline validator, the command)."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        return None


class Optional:
    """Marks a field as optional in its label; validation stops when it is empty."""

    field_flags = {"required": False}

    def __call__(self, form, field):
        value = field.data
        if value is None or (isinstance(value, str) and not value.strip()):
            field.errors[:] = []
            raise StopValidation()


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form):
        """Unknown values are dropped instead of refusing the whole form."""
        known = {str(value) for value, *_rest in self.iter_choices()}
        self.data = [value for value in (self.data or []) if str(value) in known]


class TrimmedString(StringField):
    """Text with surrounding spaces removed, at most ``max_chars`` kept."""

    def __init__(self, *args, max_chars: int = 1000, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_chars = max_chars

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.data = (self.data or "").strip()[:self.max_chars]
