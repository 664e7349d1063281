"""The FAQ editor's forms: a new entry, one language's text, the county and items, and an
entry drafted from a question."""

import secrets

from flask_babel import gettext as _, lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, TextAreaField, ValidationError

from ..config import LOCALES
from ..forms import Asked, Form, GetForm, MultiCheckboxField, Optional, options, to_int
from ..i18n import LOCALE_NAMES, localized
from ..models import Item, Jurisdiction
from ..models.questions import MAX_TEXT
from .faq import county_items

#: The statuses the list filters by.
FILTER_STATUSES = ("draft", "published", "withdrawn")


def _text(field, what):
    field.data = (field.data or "").replace("\r\n", "\n").strip()
    if not field.data:
        raise ValidationError(what)
    if len(field.data) > MAX_TEXT:
        raise ValidationError(_("At most %(num)d characters.", num=MAX_TEXT))


def scope_counties(staff) -> list[Jurisdiction]:
    """The counties (and districts) in the staff member's scope."""
    return [c for c in Jurisdiction.counties() if c.id in set(staff.scope_ids())]


class CountyChoice:
    """A select of the counties of the staff member's scope."""

    def set_counties(self, staff):
        self.places = scope_counties(staff)
        self.county.choices = options([(c.key, localized(c.names)) for c in self.places])

    def validate_county(self, field):
        if not any(c.key == field.data for c in self.places):
            raise ValidationError(_("Choose a county of your jurisdiction."))

    def chosen_county(self) -> Jurisdiction:
        return next(c for c in self.places if c.key == self.county.data)


class OneTimeKey:
    """A form that makes something carries a one-time key (given with the page): posted
    twice, it opens what the first post made (as the applicant's start form does)."""

    start_key = HiddenField()

    def give_key(self):
        if not self.is_submitted():
            self.start_key.data = secrets.token_urlsafe(24)

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if not 16 <= len(self.start_key.data or "") <= 64:
            self.start_key.data = secrets.token_urlsafe(24)  # what was typed stays
            self.form_errors.append(_("This form is out of date: it was reloaded, please "
                                      "send it again."))
            return False
        return valid


class NewEntryForm(OneTimeKey, CountyChoice, Form):
    """A new entry, started with its Chinese text."""

    county = SelectField(_l("County or district"), choices=[], validate_choice=False,
                         validators=[Asked()])
    question = TextAreaField(_l("Question in Chinese"), render_kw={"rows": 3, "lang": "zh"})
    answer = TextAreaField(_l("Answer in Chinese"), render_kw={"rows": 8, "lang": "zh"})

    def __init__(self, *args, staff=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_counties(staff)
        self.give_key()

    def validate_question(self, field):
        _text(field, _("Write the question."))

    def validate_answer(self, field):
        _text(field, _("Write the answer."))


class TextForm(Form):
    """One language of an entry: its question, its answer, and whether it is ready."""

    question = TextAreaField(_l("Question"), render_kw={"rows": 3})
    answer = TextAreaField(_l("Answer"), render_kw={"rows": 10})
    ready = BooleanField(_l("This language is checked and ready to publish"),
                         description=_l("Left unticked, it stays a draft. When the Chinese "
                                        "changes later, every language marked ready is a "
                                        "draft again."))
    seen = HiddenField()

    def __init__(self, *args, published=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.published = published

    def validate_question(self, field):
        field.data = (field.data or "").replace("\r\n", "\n").strip()
        if len(field.data) > MAX_TEXT:
            raise ValidationError(_("At most %(num)d characters.", num=MAX_TEXT))
        if self.published and not field.data:
            raise ValidationError(_("A published entry keeps its text in every language: "
                                    "withdraw it first to empty one."))
        if self.ready.data and not field.data:
            raise ValidationError(_("A language marked ready needs its question."))

    def validate_answer(self, field):
        field.data = (field.data or "").replace("\r\n", "\n").strip()
        if len(field.data) > MAX_TEXT:
            raise ValidationError(_("At most %(num)d characters.", num=MAX_TEXT))
        if self.published and not field.data:
            raise ValidationError(_("A published entry keeps its text in every language: "
                                    "withdraw it first to empty one."))
        if self.ready.data and not field.data:
            raise ValidationError(_("A language marked ready needs its answer."))

    def validate_ready(self, field):
        if self.published and not field.data:
            raise ValidationError(_("Readers see this entry, so every language stays ready: "
                                    "tick this, or withdraw the entry first to rework it."))


class PlaceForm(CountyChoice, Form):
    """The county an entry belongs to, and the items of it the entry is about."""

    county = SelectField(_l("County or district"), choices=[], validate_choice=False,
                         validators=[Asked()])
    items = MultiCheckboxField(_l("Services it is about"), choices=[],
                               description=_l("The entry is listed on these services' guides."))

    def __init__(self, *args, staff=None, county_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_counties(staff)
        self.groups = county_items(county_id) if county_id else []
        self.items.choices = options([(i.id, i.code) for _d, items in self.groups
                                      for i in items])

    def chosen_items(self) -> list[Item]:
        ids = [to_int(v) for v in self.items.data or []]
        return list(Item.select().where(Item.id.in_(ids or [0])))


class FromQuestionForm(OneTimeKey, Form):
    """An entry drafted from a question: its question and answer, anonymised, each in
    the language it was written in."""

    question = TextAreaField(_l("The question, anonymised"), render_kw={"rows": 5})
    question_lang = SelectField(_l("Language of the question"), choices=[],
                                validate_choice=False)
    answer = TextAreaField(_l("The answer, anonymised"), render_kw={"rows": 10})
    answer_lang = SelectField(_l("Language of the answer"), choices=[], validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        languages = options(LOCALE_NAMES.items())
        self.question_lang.choices = languages
        self.answer_lang.choices = languages
        self.give_key()

    def validate_question(self, field):
        _text(field, _("Write the question."))

    def validate_answer(self, field):
        _text(field, _("Write the answer."))

    def validate_question_lang(self, field):
        if field.data not in LOCALES:
            raise ValidationError(_("Choose a language."))

    def validate_answer_lang(self, field):
        if field.data not in LOCALES:
            raise ValidationError(_("Choose a language."))

    def texts(self) -> dict:
        texts = {self.question_lang.data: {"question": self.question.data, "answer": ""}}
        texts.setdefault(self.answer_lang.data, {"question": "", "answer": ""})
        texts[self.answer_lang.data]["answer"] = self.answer.data
        return texts


class ListFilters(GetForm):
    """The list's filters."""

    status = SelectField(_l("Status"), choices=[], validate_choice=False,
                         validators=[Optional()])
    county = SelectField(_l("County or district"), choices=[], validate_choice=False,
                         validators=[Optional()])
    lacking = SelectField(_l("Not ready in"), choices=[], validate_choice=False,
                          validators=[Optional()])

    def __init__(self, *args, staff=None, **kwargs):
        super().__init__(*args, **kwargs)
        labels = {"draft": _("Draft"), "published": _("Published"),
                  "withdrawn": _("Withdrawn")}
        self.status.choices = options([("", _("Any status"))] + [
            (s, labels[s]) for s in FILTER_STATUSES])
        self.county.choices = options([("", _("Every county"))] + [
            (c.key, localized(c.names)) for c in scope_counties(staff)])
        self.lacking.choices = options([("", _("Any language"))] + list(LOCALE_NAMES.items()))
