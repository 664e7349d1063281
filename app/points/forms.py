"""The forms of the service points: the admins' point form, and the volunteer's desk.

The admin form and the seed file go through the same :class:`ServicePointForm`:
a seed entry is first turned into the form's flat fields (``city_zh``,
``hours_tue`` …), so one set of rules and messages applies everywhere.
"""

import re

from babel import Locale
from flask_babel import gettext as _, lazy_gettext as _l
from wtforms import BooleanField, FileField, SelectField, TextAreaField
from wtforms.validators import StopValidation, ValidationError

from ..config import LOCALES
from ..documents.pack import MAX_BATCH
from ..forms import (Asked, Cleaned, Form, GetForm, MultiCheckboxField, Needed, TrimmedString,
                     options, to_int)
from ..i18n import LOCALE_NAMES, localized
from ..models import WEEKDAYS, Jurisdiction, Office, ServicePoint
from ..templating import format_locale
from . import window
from .scans import SIGNED_KEYS, SIGNED_LABELS

#: Locales in which a point's city and host must be named.
REQUIRED_LOCALES = ("zh", "en")
KEY_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SPAN_RE = re.compile(r"^(\d{1,2}:\d{2})\s*[-–—~]\s*(\d{1,2}:\d{2})$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")
#: At most this many opening spans on one day.
MAX_SPANS = 4
LIMITS = {"city": 100, "host": 200, "address": 300}


def parse_hours(text: str) -> list[list[str]]:
    """Read one day's hours, e.g. ``"09:30-12:30, 15:00-19:00"``; empty means closed.

    Spans are returned sorted as ``[["09:30", "12:30"], …]``. Raises
    ValueError with a message for the user when a span cannot be read, ends
    before it starts, overlaps another, or there are too many.
    """
    parts = [p.strip() for p in re.split(r"[,;，；]", text or "") if p.strip()]
    spans = []
    for part in parts:
        match = SPAN_RE.match(part)
        try:
            start, end = window.parse_hhmm(match[1]), window.parse_hhmm(match[2])
        except (TypeError, ValueError):
            raise ValueError(_("Write each span as HH:MM-HH:MM, separated by commas, for example "
                               "09:30-12:30, 15:00-19:00.")) from None
        if end <= start:
            raise ValueError(_("%(span)s must end after it starts.", span=part))
        spans.append((start, end, part))
    if len(spans) > MAX_SPANS:
        raise ValueError(_("At most %(num)d opening spans a day.", num=MAX_SPANS))
    spans.sort()
    for (_s1, end1, first), (start2, _e2, second) in zip(spans, spans[1:]):
        if start2 < end1:
            raise ValueError(_("%(first)s and %(second)s overlap.", first=first, second=second))
    return [[start.strftime("%H:%M"), end.strftime("%H:%M")] for start, end, _p in spans]


def format_hours(spans) -> str:
    """``[["09:30", "12:30"], ["15:00", "19:00"]]`` → ``"09:30-12:30, 15:00-19:00"``."""
    return ", ".join(f"{start}-{end}" for start, end in spans or [])


def _names_field(kind: str, locale: str):
    label = _l("City") if kind == "city" else _l("Host association")
    return TrimmedString(label, max_chars=1000, render_kw={"lang": locale},
                         description=LOCALE_NAMES[locale],
                         validators=[Asked()] if locale in REQUIRED_LOCALES else [])


def _hours_check(form, field):
    try:
        field.clean = parse_hours(field.data)
    except ValueError as error:
        raise StopValidation(str(error)) from None


class PointFields(Form):
    """The fields every point has (the per-language and per-day ones are added below)."""

    key = TrimmedString(_l("Key"), max_chars=100, validators=[Asked()],
                        description=_l("Lower-case letters, digits and hyphens, e.g. milan. It "
                                       "cannot be changed later."),
                        render_kw={"class": "w-m", "spellcheck": "false",
                                   "autocapitalize": "none"})
    country = SelectField(_l("Country"), choices=[], validate_choice=False, validators=[Asked()])
    address = TextAreaField(_l("Address"), render_kw={"rows": 3, "maxlength": 300},
                            validators=[Needed(_l("Enter the address where applicants can find "
                                                  "the point."))])
    phone = TrimmedString(_l("Phone number"), description=_l("With the country code, e.g. +39 "
                                                             "02 3310 4521."),
                          validators=[Cleaned({"type": "phone", "required": False},
                                              country=lambda form: form.region())],
                          render_kw={"type": "tel", "class": "w-m"})
    email = TrimmedString(_l("Email address"), validators=[Cleaned({"type": "email",
                                                                    "required": False})],
                          render_kw={"type": "email", "class": "w-m"})
    languages = TrimmedString(
        _l("Languages spoken"), validators=[Asked()],
        render_kw={"class": "w-m", "spellcheck": "false", "autocapitalize": "none"},
        description=_l("Language codes separated by commas: zh Chinese, wuu Wenzhounese (Wu), "
                       "yue Cantonese, it Italian, fr French, es Spanish, pt Portuguese, en "
                       "English, ar Arabic."))
    timezone = TrimmedString(_l("Time zone"), validators=[Asked()],
                             description=_l("The IANA name of the local time, e.g. Europe/Rome."),
                             render_kw={"class": "w-m", "list": "zones", "spellcheck": "false",
                                        "autocapitalize": "none"})
    office = SelectField(_l("Window at home"), choices=[], validate_choice=False,
                         description=_l("The window that looks after the point and its "
                                        "volunteers' accounts."))
    serves = MultiCheckboxField(_l("Counties and districts served"), choices=[],
                                validators=[Asked()],
                                description=_l("Volunteers start cases for these places; each "
                                               "case goes to the responsible county's window."))
    sort = TrimmedString(_l("Order in the list"), description=_l("Smaller numbers come first."),
                         validators=[Asked()],
                         render_kw={"inputmode": "numeric", "class": "w-s"})
    active = BooleanField(_l("Shown in the public directory (untick to take the point off "
                             "without deleting it)"))


def item_label(item) -> str:
    """An item as a desk lists it: its county, then its name (points serve several)."""
    return f"{localized(item.department.jurisdiction.names)} · {localized(item.names)}"


def _point_form_class():
    attrs = {f"{kind}_{loc}": _names_field(kind, loc) for kind in ("city", "host")
             for loc in LOCALES}
    attrs.update({f"hours_{day}": TrimmedString(day, validators=[Asked(), _hours_check],
                                                render_kw={"class": "w-m", "spellcheck": "false"})
                  for day in WEEKDAYS})
    return type("ServicePointFields", (PointFields,), attrs)


class ServicePointForm(_point_form_class()):
    """A service point as admins edit it (and as the seed file gives it)."""

    def __init__(self, *args, point: ServicePoint | None = None, check_unique: bool = True,
                 countries=(), offices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.point, self.check_unique = point, check_unique
        self.country.choices = options([("", _("Choose…"))] + list(countries))
        self._counties = {c.key: c.id for c in Jurisdiction.counties()}
        self.serves.choices = options(
            (c.key, localized(c.names)) for c in Jurisdiction.counties())
        # An admin gives a point to one of its own windows (the seed file: to any).
        self._offices = list(offices if offices is not None else
                             Office.select().order_by(Office.sort, Office.key))
        self.office.choices = options([("", _("None"))] + [
            (o.id, localized(o.names)) for o in self._offices])
        if point is not None:
            self.key.data = point.key
        days = Locale.parse(format_locale()).days["format"]["wide"]
        for number, day in enumerate(WEEKDAYS):
            self[f"hours_{day}"].label.text = days[number]
        for kind, label in (("city", _("City")), ("host", _("Host association"))):
            for loc in LOCALES:
                self[f"{kind}_{loc}"].label.text = f"{label} · {LOCALE_NAMES[loc]}"

    def region(self) -> str | None:
        """The country typed, when it is a known one."""
        code = (self.country.data or "").upper()
        return code if code in Locale.parse("en").territories else None

    def validate_key(self, field):
        if self.point is not None:
            return
        if not field.data or len(field.data) > 64 or not KEY_RE.match(field.data):
            raise ValidationError(_("Use lower-case letters, digits and hyphens, for example "
                                    "milan or la-spezia."))
        if self.check_unique and ServicePoint.select().where(
                ServicePoint.key == field.data).exists():
            raise ValidationError(_("Another service point already has this key."))

    def validate_country(self, field):
        if not re.match(r"^[A-Z]{2}$", (field.data or "").upper()) or self.region() is None:
            raise ValidationError(_("Choose a country."))

    def validate_address(self, field):
        if len(self.address_text()) > LIMITS["address"]:
            raise ValidationError(_("Keep this to %(limit)s characters or fewer (now %(count)s).",
                                    limit=LIMITS["address"], count=len(self.address_text())))

    def validate_languages(self, field):
        codes = self.language_codes()
        unknown = [c for c in codes if not LANGUAGE_RE.match(c)
                   or c not in Locale.parse("en").languages]
        if unknown:
            raise ValidationError(_("Unknown language code: %(code)s. Use codes such as zh, wuu, "
                                    "it.", code=unknown[0][:20]))
        if not codes:
            raise ValidationError(_("Give at least one language, for example zh, wuu, it."))
        if len(codes) > 12:
            raise ValidationError(_("At most %(num)d languages.", num=12))

    def validate_timezone(self, field):
        if window.zone(field.data) is None:
            raise ValidationError(_("Unknown time zone. Use a name such as Europe/Rome."))

    def validate_office(self, field):
        if field.data and to_int(field.data) not in {o.id for o in self._offices}:
            raise ValidationError(_("Choose an office from the list."))

    def validate_serves(self, field):
        if not field.data:
            raise ValidationError(_("Tick at least one county or district."))
        if not set(field.data) <= set(self._counties):
            raise ValidationError(_("Choose the counties and districts from the list."))

    def validate_sort(self, field):
        if not re.match(r"^-?\d{1,5}$", field.data or "0"):
            raise ValidationError(_("Enter a whole number."))

    def validate(self, extra_validators=None) -> bool:
        """The field checks, then the names: zh and en required, each within its limit."""
        valid = super().validate(extra_validators)
        for kind in ("city", "host"):
            for loc in LOCALES:
                field = self[f"{kind}_{loc}"]
                value = " ".join((field.data or "").split())
                if len(value) > LIMITS[kind]:
                    field.errors.append(_("Keep this to %(limit)s characters or fewer (now "
                                          "%(count)s).", limit=LIMITS[kind], count=len(value)))
                elif not value and loc in REQUIRED_LOCALES:
                    field.errors.append(_("Enter the name in Chinese and in English at least."))
        return valid and not any(field.errors for field in self)

    def address_text(self) -> str:
        """The address without empty lines or stray spaces."""
        return "\n".join(line.strip() for line in (self.address.data or "").splitlines()
                         if line.strip())

    def language_codes(self) -> list[str]:
        """The language codes typed, once each."""
        codes = [c for c in re.split(r"[\s,，、;]+", (self.languages.data or "").lower()) if c]
        return list(dict.fromkeys(codes))

    def values(self) -> dict:
        """The model's fields from a valid form."""
        names = {kind: {loc: " ".join(self[f"{kind}_{loc}"].data.split()) for loc in LOCALES
                        if (self[f"{kind}_{loc}"].data or "").strip()} for kind in ("city", "host")}
        return {"key": self.key.data, "city": names["city"], "host": names["host"],
                "country": self.country.data.upper(), "address": self.address_text(),
                "phone": self.phone.clean or "", "email": self.email.clean or "",
                "languages": self.language_codes(), "timezone": self.timezone.data,
                "hours": {day: self[f"hours_{day}"].clean for day in WEEKDAYS
                          if self[f"hours_{day}"].clean},
                "office": to_int(self.office.data) if self.office.data else None,
                "serves": sorted({self._counties[key] for key in self.serves.data}),
                "active": bool(self.active.data), "sort": int(self.sort.data or 0)}


class DeskStartForm(Form):
    """The volunteer starts an application for a walk-in applicant, with their consent."""

    item = SelectField(_l("Service"), choices=[], validate_choice=False,
                       validators=[Needed(_l("Choose the service the applicant needs."))])
    language = SelectField(_l("The applicant's language for letters and emails"),
                           choices=options(LOCALE_NAMES.items()), default="zh",
                           validate_choice=False, validators=[Asked()])
    email = TrimmedString(_l("Email address"), max_chars=300,
                          description=_l("The applicant's own address: the private link and "
                                         "access code go there."),
                          validators=[Cleaned({"type": "email", "required": False})],
                          render_kw={"type": "email", "autocomplete": "off"})
    phone = TrimmedString(_l("Phone number"), max_chars=100,
                          validators=[Cleaned({"type": "phone", "required": False},
                                              country=lambda form: form.point.country)],
                          render_kw={"type": "tel", "autocomplete": "off"})
    city = TrimmedString(_l("City"), max_chars=200, render_kw={"autocomplete": "off"})
    consent = BooleanField(_l("The applicant agrees that I fill in this application with them "
                              "and see its contents. It will show that it was started at this "
                              "service point, with my name."))

    def __init__(self, *args, point=None, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.point = point
        self.item.choices = options([("", _("Choose…"))] + [(i.code, item_label(i))
                                                            for i in items])
        self._codes = {i.code for i in items}

    def validate_item(self, field):
        if field.data not in self._codes:
            raise ValidationError(_("Choose the service the applicant needs."))

    def validate_language(self, field):
        if field.data not in LOCALES:
            raise ValidationError(_("Choose a language."))

    def validate_email(self, field):
        if not field.data and not self.phone.data:
            raise ValidationError(_("Give an email address or a phone number, so we can reach "
                                    "you."))

    def validate_city(self, field):
        if len(field.data or "") > 100:
            raise ValidationError(_("Keep this to %(limit)s characters or fewer (now %(count)s).",
                                    limit=100, count=len(field.data)))

    def validate_consent(self, field):
        if not field.data:
            raise ValidationError(_("Tick the box once the applicant has agreed that you fill in "
                                    "the application with them."))


class ScanForm(Form):
    """The scan of a signed paper form."""

    kind = SelectField(_l("Which paper"),
                       choices=options((k, SIGNED_LABELS[k]) for k in SIGNED_KEYS),
                       validate_choice=False, validators=[Asked()])
    file = FileField(_l("Scan (PDF, JPEG or PNG)"), validators=[Asked()],
                     render_kw={"accept": "application/pdf,image/jpeg,image/png"})

    def validate_kind(self, field):
        if field.data not in SIGNED_KEYS:
            raise ValidationError(_("Choose which signed paper this is."))

    def validate_file(self, field):
        if field.data is None or not getattr(field.data, "filename", ""):
            raise ValidationError(_("Choose the scan to upload."))


class BlankBatchForm(GetForm):
    """Blank forms of several services in one PDF (a GET form: it only prints)."""

    items = MultiCheckboxField(_l("Services"), choices=[], validators=[Asked()])
    language = SelectField(_l("Second language on the forms"),
                           choices=options(LOCALE_NAMES.items()), default="zh",
                           validate_choice=False, validators=[Asked()])
    size = SelectField(_l("Paper"), choices=options([("a4", "A4"), ("letter", "US Letter")]),
                       default="a4", validate_choice=False, validators=[Asked()])

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items.choices = options((i.code, item_label(i)) for i in items)

    def validate_items(self, field):
        if not field.data:
            raise ValidationError(_("Tick at least one service to print its blank forms."))
        if len(field.data) > MAX_BATCH:
            raise ValidationError(_("Print at most %(num)d services at a time.", num=MAX_BATCH))

    def validate_language(self, field):
        if field.data not in LOCALES or self.size.data not in ("a4", "letter"):
            raise ValidationError(_("Choose a language and a paper size."))
