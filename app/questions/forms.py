"""The staff's forms on questions: answer, note, assign, transfer, close and reopen; the
volunteer's form for a question asked at the desk or on the phone; the admins' form of a
standard answer."""

import re
import sys

from flask_babel import gettext as _, lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, TextAreaField
from wtforms.validators import ValidationError

from ..cases.fields import clean_text
from ..config import LOCALES
from ..forms import Asked, Check, Cleaned, Form, Needed, TrimmedString, options, to_int
from ..i18n import LOCALE_NAMES, localized
from ..models.questions import MAX_TEXT


def plain_text(value):
    """A filter: typed text without control, bidi or zero-width characters, trimmed (text
    made only of them is empty, and refused as such)."""
    if not isinstance(value, str):
        return value
    return clean_text({"type": "textarea", "max_length": sys.maxsize}, value)


def _text_checks(needed):
    return [Needed(needed),
            Check(lambda v: len((v or "").strip()) <= MAX_TEXT,
                  _l("Keep it to %(num)s characters or fewer.", num=f"{MAX_TEXT:,}"))]


class AnswerForm(Form):
    """The window's answer: a standard answer (put in the box in the asker's language;
    staff may edit it, even rewrite it in Chinese, and say so with "Written in") or words
    of one's own, in Chinese or the asker's language."""

    standard = HiddenField()
    text = TextAreaField(_l("Answer"), render_kw={"rows": 8}, validators=[Asked()],
                         filters=[plain_text])
    lang = SelectField(_l("Written in"), choices=[], validate_choice=False,
                       validators=[Asked()])

    def __init__(self, *args, question=None, answers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.answers = {str(a.id): a for a in answers}
        self.asker = question.locale
        languages = dict.fromkeys(("zh", question.locale))
        self.lang.choices = options((code, LOCALE_NAMES[code]) for code in languages)

    def validate_standard(self, field):
        if field.data and field.data not in self.answers:
            raise ValidationError(_("Choose one of the standard answers offered."))

    def validate_lang(self, field):
        if not field.data and self.chosen() is not None:
            field.data = self.asker  # a page without the choice: the standard's language
        if field.data not in ("zh", self.asker):
            raise ValidationError(_("Choose Chinese or the asker's language."))

    def validate_text(self, field):
        chosen = self.answers.get(self.standard.data or "")
        if not (field.data or "").strip():
            if chosen is None:
                raise ValidationError(_("Write the answer, or choose a standard answer."))
            return
        if len(field.data.strip()) > MAX_TEXT:
            raise ValidationError(_("Keep it to %(num)s characters or fewer.",
                                    num=f"{MAX_TEXT:,}"))

    def chosen(self):
        """The standard answer chosen, or None."""
        return self.answers.get(self.standard.data or "")

    def values(self) -> tuple[str, str]:
        """``(text, language)`` to send. A standard answer sent as it is (or the box left
        empty) is in the asker's language, whatever the select says: it is the standard's
        text in that language. Once edited, the text is staff's own words: the language
        is the one "Written in" names (the asker's unless staff changed it)."""
        chosen = self.chosen()
        text = (self.text.data or "").strip()
        standard = chosen.texts[self.asker].strip() if chosen is not None else None
        if chosen is not None and text in ("", standard):
            return standard, self.asker
        return text, self.lang.data


class NoteForm(Form):
    """An internal note: the window's staff read it, the asker never does."""

    note = TextAreaField(_l("Internal note"), render_kw={"rows": 3},
                         description=_l("Only staff read it; the asker never does."),
                         validators=_text_checks(_l("Write the note.")), filters=[plain_text])


class AssignForm(Form):
    """Give the question to me, a colleague, or nobody."""

    to = SelectField(_l("Give it to"), choices=[], validate_choice=False,
                     validators=[Asked()])

    def __init__(self, *args, staff=None, colleagues=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {str(s.id): s for s in colleagues if s.id != staff.id}
        self.people[str(staff.id)] = staff
        self.to.choices = options([(staff.id, _("Me")), ("nobody", _("Nobody"))]
                                  + [(s.id, s.name) for s in colleagues if s.id != staff.id])

    def validate_to(self, field):
        if field.data != "nobody" and field.data not in self.people:
            raise ValidationError(_("Choose who handles the question."))

    def holder(self):
        """The chosen holder (None: nobody)."""
        return None if self.to.data == "nobody" else self.people[self.to.data]


class TransferForm(Form):
    """Pass the question to a department (of this county or another) or to another
    county's window, with the reason."""

    to = SelectField(_l("Pass it to"), choices=[], validate_choice=False,
                     validators=[Asked()])
    why = TextAreaField(_l("Why"), render_kw={"rows": 3},
                        description=_l("For the staff who receive it (the asker does not read "
                                       "it)."),
                        validators=_text_checks(_l("Say why the question goes there.")),
                        filters=[plain_text])

    def __init__(self, *args, targets=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.targets = targets or {}
        groups = {}
        for value, (group, label, _row) in self.targets.items():
            groups.setdefault(group, []).append((value, label))
        self.to.choices = {"": options([("", _("Choose…"))]),
                           **{group: options(pairs) for group, pairs in groups.items()}}

    def validate_to(self, field):
        if field.data not in self.targets:
            raise ValidationError(_("Choose a department or a window."))

    def target(self) -> dict:
        """``{"office": …}`` or ``{"department": …}`` for the service."""
        row = self.targets[self.to.data][2]
        return {"office" if self.to.data.startswith("o") else "department": row}


class ActionForm(Form):
    """A button (close, reopen): its CSRF token only."""


class DeskQuestionForm(Form):
    """A question asked at the service point's desk, or on its phone, written down by a
    volunteer."""

    start_key = HiddenField()
    channel = SelectField(_l("How was it asked?"), choices=[], validate_choice=False,
                          validators=[Asked()])
    county = SelectField(_l("County"), choices=[], validate_choice=False,
                         validators=[Needed(_l("Choose the county the question is for."))])
    item = SelectField(_l("Service"), choices=[], validate_choice=False)
    language = SelectField(_l("The asker's language (the answer comes in it)"),
                           choices=options(LOCALE_NAMES.items()), default="zh",
                           validate_choice=False, validators=[Asked()])
    text = TextAreaField(_l("The question"), render_kw={"rows": 8},
                         description=_l("In the asker's words, as fully as they said it."),
                         validators=_text_checks(_l("Write down the question.")),
                         filters=[plain_text])
    name = TrimmedString(_l("Name"), max_chars=200, render_kw={"autocomplete": "off"})
    email = TrimmedString(_l("Email address"), max_chars=300,
                          description=_l("The asker's own address: they are told there when "
                                         "the answer comes."),
                          validators=[Cleaned({"type": "email", "required": False})],
                          render_kw={"type": "email", "autocomplete": "off"})
    phone = TrimmedString(_l("Phone number"), max_chars=100,
                          validators=[Cleaned({"type": "phone", "required": False},
                                              country=lambda form: form.point.country)],
                          render_kw={"type": "tel", "autocomplete": "off"})

    def __init__(self, *args, point=None, counties=(), items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.point = point
        self.channel.choices = options([("desk", _("At the desk, in person")),
                                        ("phone", _("On the phone"))])
        self.counties = {str(c.id): c for c in counties}
        self.county.choices = options([("", _("Choose…"))]
                                      + [(c.id, localized_name(c)) for c in counties])
        self.items = {i.code: i for i in items}
        self.item.choices = options([("", _("Not known, or none in particular"))]
                                    + [(i.code, item_label(i)) for i in items])

    def validate_start_key(self, field):
        if not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", field.data or ""):
            raise ValidationError(_("This form is out of date: it was reloaded, please send "
                                    "it again."))

    def validate_channel(self, field):
        if field.data not in ("desk", "phone"):
            raise ValidationError(_("Choose how the question was asked."))

    def validate_county(self, field):
        if field.data not in self.counties:
            raise ValidationError(_("Choose the county the question is for."))

    def validate_item(self, field):
        item = self.items.get(field.data or "")
        if field.data and (item is None or str(item.department.jurisdiction_id)
                           != self.county.data):
            raise ValidationError(_("Choose a service of the county chosen, or none."))

    def validate_language(self, field):
        if field.data not in LOCALES:
            raise ValidationError(_("Choose a language."))

    def validate_name(self, field):
        if len(field.data or "") > 120:
            raise ValidationError(_("Keep this to %(limit)s characters or fewer (now %(count)s).",
                                    limit=120, count=len(field.data)))

    def values(self) -> dict:
        """What :func:`app.questions.service.ask` takes from the form."""
        return {"county": self.counties[self.county.data], "locale": self.language.data,
                "text": self.text.data.strip(), "item": self.items.get(self.item.data or ""),
                "asker_name": self.name.data or "", "contact_email": self.email.clean or None,
                "contact_phone": self.phone.clean or None, "channel": self.channel.data}


def localized_name(place) -> str:
    """A county's name in the page's language."""
    return localized(place.names)


def item_label(item) -> str:
    """An item's name and code."""
    return f"{localized(item.names)} · {item.code}"


KEY_RE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
MAX_TITLE = 120


class StandardAnswerForm(Form):
    """A standard answer: its key, its title and text in each language, order and state."""

    key = TrimmedString(_l("Key"), max_chars=64, validators=[Asked()],
                        description=_l("Lower-case letters, digits and underscores, for example "
                                       "apply_online. It cannot be changed later."))
    sort = TrimmedString(_l("Order"), max_chars=6, default="0")
    active = BooleanField(_l("Offered to staff"), default=True,
                          description=_l("Only once it has a title and a text in all six "
                                         "languages."))

    def validate(self, extra_validators=None):
        """The fields' own rules, then: a well-formed key, titles and texts short enough.
        A missing language is allowed (the answer is kept, not offered: see the page)."""
        valid = super().validate(extra_validators)
        if "key" in self and not KEY_RE.match(self.key.data or ""):
            self.key.errors.append(_("Use lower-case letters, digits and underscores only."))
        for code in LOCALES:
            if len(self[f"title_{code}"].data or "") > MAX_TITLE:
                self[f"title_{code}"].errors.append(_(
                    "Keep each title to %(num)d characters or fewer.", num=MAX_TITLE))
            if len(self[f"text_{code}"].data or "") > MAX_TEXT:
                self[f"text_{code}"].errors.append(_(
                    "Keep it to %(num)s characters or fewer.", num=f"{MAX_TEXT:,}"))
        if not any((self[f"text_{code}"].data or "").strip() for code in LOCALES):
            self.text_zh.errors.append(_("Write the answer at least in one language."))
        if to_int(self.sort.data, None) is None:
            self.sort.errors.append(_("Enter the order as a whole number."))
        return valid and not any(f.errors for f in self)

    def values(self) -> dict:
        """The answer's fields as the model keeps them."""
        values = {"titles": {code: self[f"title_{code}"].data for code in LOCALES
                             if self[f"title_{code}"].data},
                  "texts": {code: self[f"text_{code}"].data.strip() for code in LOCALES
                            if (self[f"text_{code}"].data or "").strip()},
                  "sort": to_int(self.sort.data, 0), "active": bool(self.active.data)}
        if "key" in self:
            values["key"] = self.key.data
        return values


for _code in LOCALES:
    setattr(StandardAnswerForm, f"title_{_code}", TrimmedString(
        _l("Title"), max_chars=1000, render_kw={"lang": _code}))
    setattr(StandardAnswerForm, f"text_{_code}", TextAreaField(
        _l("Text"), render_kw={"lang": _code, "rows": 5}))


def answer_form_data(answer) -> dict:
    """A standard answer as the form's fields."""
    data = {"key": answer.key, "sort": str(answer.sort), "active": answer.active}
    for code in LOCALES:
        data[f"title_{code}"] = (answer.titles or {}).get(code, "")
        data[f"text_{code}"] = (answer.texts or {}).get(code, "")
    return data
