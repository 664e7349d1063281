"""The asker's forms: ask (two steps), reply, and find a question by reference and code."""

from flask_babel import gettext as _, lazy_gettext as _l
from wtforms import HiddenField, MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.validators import StopValidation

from ..cases.forms import FindForm, _code_field
from ..cases.reference import parse_reference, ReferenceError_
from ..forms import Asked, Cleaned, Form, Needed, options
from ..i18n import localized
from ..models import Jurisdiction
from ..models.questions import MAX_TEXT
from ..templating import format_number
from .service import PREFIX

#: Files sent with a question or a reply: how many, and of which kinds.
MAX_FILES = 3
FILE_FORMATS = ["jpeg", "png", "pdf"]
#: The country a phone number is read in when it has no country code, by page language.
PHONE_REGIONS = {"it": "IT", "fr": "FR", "es": "ES", "pt": "PT"}
#: The county choice of someone who does not know which county answers their question.
UNKNOWN_COUNTY = "unknown"
#: Checked after Needed (which has the message for an empty text).
TEXT = {"type": "textarea", "max_length": MAX_TEXT, "required": True}


def _within_limit(form, field):
    """A long paste is refused with its length, before anything else reads it."""
    count = len((field.data or "").strip())
    if count > MAX_TEXT:
        raise StopValidation(_("Keep this to %(limit)s characters or fewer (now %(count)s).",
                               limit=format_number(MAX_TEXT), count=format_number(count)))


class _SomethingLeft:
    """After :class:`Cleaned`: text that was only control, bidi or zero-width characters
    is empty once cleaned, and refused with the message for an empty text."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if not field.clean:
            raise StopValidation(str(self.message))


def _text_field(label, hint, missing):
    return TextAreaField(label, description=hint,
                         validators=[Needed(missing), _within_limit, Cleaned(TEXT),
                                     _SomethingLeft(missing)],
                         render_kw={"rows": 8})


class AskForm(Form):
    """A question: its text, the county it is for, and how to reach the asker (no contact
    fields when it is asked from an open case: the case's are used)."""

    start_key = HiddenField()
    suggestion_key = HiddenField()
    item = HiddenField()
    case = HiddenField()
    text = _text_field(_l("Your question"),
                       _l("In your own words and your own language. Say what you want to do, "
                          "and what you already know or have."),
                       _l("Write your question."))
    county = SelectField(_l("County or district at home"), choices=[], validate_choice=False,
                         validators=[Asked()],
                         description=_l("Where the matter is handled, usually your hometown."))
    email = StringField(_l("Email address"),
                        description=_l("Recommended: we email you when the answer comes, with "
                                       "your private link."),
                        validators=[Cleaned({"type": "email", "required": False})],
                        render_kw={"type": "email", "autocomplete": "email"})
    phone = StringField(_l("Phone number"),
                        description=_l("With the country code, for example +39 312 345 6789."),
                        validators=[Cleaned({"type": "phone", "required": False},
                                            country=lambda form: form.region)],
                        render_kw={"type": "tel", "autocomplete": "tel", "class": "w-m"})
    name = StringField(_l("Your name"), validators=[Cleaned(
        {"type": "text", "max_length": 120, "required": False})],
        render_kw={"autocomplete": "name", "class": "w-m"})

    def __init__(self, *args, locale: str = "zh", from_case: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.region = PHONE_REGIONS.get(locale)
        if from_case:
            for name in ("county", "email", "phone", "name"):
                del self[name]
            return
        self._counties = {c.key: c for c in Jurisdiction.counties()}
        self.county.choices = options(
            [("", _("Choose…"))] + [(key, localized(c.names)) for key, c in self._counties.items()]
            + [(UNKNOWN_COUNTY, _("I don't know"))])

    def validate_county(self, field):
        if field.data != UNKNOWN_COUNTY and field.data not in self._counties:
            raise StopValidation(_("Choose the county or district, or “I don't know”."))

    def unknown_county(self) -> bool:
        """Whether the asker said they do not know the county (asked from a case: no)."""
        return "county" in self and self.county.data == UNKNOWN_COUNTY

    def chosen_county(self) -> Jurisdiction | None:
        """The county chosen; for "I don't know", the first in the network's order (its
        window passes the question on)."""
        if self.unknown_county():
            return next(iter(self._counties.values()), None)
        return self._counties.get(self.county.data)

    def contact(self) -> dict:
        """The asker's contact details, as :func:`app.questions.service.ask` takes them."""
        if "email" not in self:
            return {}
        return {"contact_email": self.email.clean or None,
                "contact_phone": self.phone.clean or None, "asker_name": self.name.clean or ""}


class FilesForm(Form):
    """The files of step 2 (or of a reply): 0 to 3 photos or PDFs."""

    files = MultipleFileField(_l("Photos or PDF documents"),
                              description=_l("Up to 3 files, if they help to understand your "
                                             "question: a letter you received, a document."),
                              render_kw={"accept": "image/jpeg,image/png,image/heic,"
                                                   "application/pdf"})


class ReplyForm(FilesForm):
    """The asker writes again."""

    text = _text_field(_l("Your reply"), None, _l("Write your reply."))


class _QuestionReference(Asked):
    """A question's reference with its check digits (canonical form in ``field.clean``)."""

    def __call__(self, form, field):
        try:
            field.clean = parse_reference(field.data or "", PREFIX)
        except ReferenceError_ as error:
            raise StopValidation(
                _("This reference has a typing mistake: its last two digits do not match. "
                  "Please compare it with your email or receipt.") if error.reason == "check"
                else _("A question's reference looks like QA-1234-5678-90.")) from None


class FindQuestionForm(FindForm):
    """A question's reference and access code."""

    reference = _code_field(_l("Reference"), _l("For example QA-1234-5678-90"),
                            _QuestionReference(), "m", 40)
