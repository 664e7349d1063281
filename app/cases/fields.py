"""Server-side validation of the typed form fields of catalog items.

Each validator takes the raw text and returns the clean value to store, or
raises :class:`FieldError` with a message in the page's language.
"""

import re
import unicodedata
from datetime import date

import phonenumbers
from flask_babel import gettext as _
from stdnum import exceptions as stdnum_errors, numdb
from stdnum.cn import ric

from ..clock import utcnow

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
NAME_ZH_RE = re.compile(rf"^[{_CJK}][{_CJK}·・•]{{0,24}}$")
NAME_LATIN_RE = re.compile(r"^[^\W\d_]+(?:[ '\-.][^\W\d_]+)*\.?$")
PASSPORT_RE = re.compile(r"^[A-Z0-9]{5,20}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


class FieldError(ValueError):
    """A field's value is not acceptable; ``args[0]`` is the user message."""


def _no_controls(text: str, multiline: bool) -> str:
    allowed = {"\n", "\t"} if multiline else set()
    text = "".join(ch for ch in text if ch in allowed or unicodedata.category(ch)[0] != "C")
    return text.replace("\r\n", "\n").strip()


def clean_text(field, raw, country=None):
    """Plain text: trimmed, no control characters, within the length limit."""
    multiline = field["type"] in {"textarea", "address_abroad", "address_home"}
    value = _no_controls(raw, multiline)
    limit = field.get("max_length", 200)
    if len(value) > limit:
        raise FieldError(_("Keep this to %(limit)s characters or fewer (now %(count)s).",
                           limit=limit, count=len(value)))
    return value


def clean_name_zh(field, raw, country=None):
    """A name in Chinese characters (rare characters included)."""
    value = re.sub(r"\s+", "", raw)
    if not NAME_ZH_RE.match(value):
        raise FieldError(_("Write the name in Chinese characters only, as on your Chinese ID card."))
    return value


def clean_name_latin(field, raw, country=None):
    """A name in Latin script, as in a passport."""
    value = " ".join(raw.split())
    if len(value) > 100 or not NAME_LATIN_RE.match(value):
        raise FieldError(_("Write the name in Latin letters, as in your passport (for example ZHANG Wei)."))
    return value


def clean_cn_id(field, raw, country=None):
    """An 18-character Chinese resident identity number, check digit verified."""
    value = re.sub(r"\s", "", raw).upper()
    if not re.match(r"^\d{17}[\dX]$", value):
        raise FieldError(_("A resident ID number has 18 characters: 17 digits and a last digit or X."))
    if value[-1] != ric.calc_check_digit(value):
        # The check digit only shows that some digit is wrong, not which one: never
        # suggest changing the last one until it passes.
        raise FieldError(_("These 18 characters do not add up to a valid ID number: at least "
                           "one of them is mistyped. Please compare every digit with your ID "
                           "card."))
    try:
        ric.get_birth_date(value)
    except stdnum_errors.ValidationError:
        raise FieldError(_("This ID number contains an impossible date of birth or region code. "
                           "Please compare it with your ID card.")) from None
    # The region code must exist, but not necessarily in the birth year: counties
    # such as Wencheng (330328, from 1981) issued their codes to people born earlier,
    # which python-stdnum's own birth-place check would wrongly refuse.
    region = dict(part for _prefix, props in numdb.get("cn/loc").info(value[:6])
                  for part in props.items())
    if "county" not in region:
        raise FieldError(_("This ID number contains an impossible date of birth or region code. "
                           "Please compare it with your ID card."))
    return value


def _clean_phone(raw, region, must_be_cn=False):
    text = raw.strip()
    try:
        number = phonenumbers.parse(text, "CN" if must_be_cn else (region or None))
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        if must_be_cn:
            raise FieldError(_("Enter a valid phone number in China, for example 138 0013 8000."))
        raise FieldError(_("Enter a valid phone number with its country code, for example "
                           "+39 312 345 6789."))
    if must_be_cn and phonenumbers.region_code_for_number(number) != "CN":
        raise FieldError(_("Enter a phone number in mainland China."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_phone(field, raw, country=None):
    """An international phone number; the country of residence is the default region."""
    return _clean_phone(raw, country)


def clean_phone_cn(field, raw, country=None):
    """A phone number in mainland China."""
    return _clean_phone(raw, "CN", must_be_cn=True)


def clean_email(field, raw, country=None):
    """An email address (shape only; delivery proves the rest)."""
    value = raw.strip()
    if len(value) > 254 or not EMAIL_RE.match(value):
        raise FieldError(_("Enter an email address like name@example.com."))
    return value


def clean_passport(field, raw, country=None):
    """A passport number: letters and digits only."""
    value = re.sub(r"[\s\-]", "", raw).upper()
    if not PASSPORT_RE.match(value):
        raise FieldError(_("A passport number has 5 to 20 letters and digits."))
    return value


def clean_date(field, raw, country=None):
    """An ISO date (from ``<input type=date>``), possible and within its constraint."""
    value = raw.strip()
    match = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})$", value)
    if not match:
        raise FieldError(_("Enter a date as year-month-day, for example 2027-03-31."))
    try:
        parsed = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise FieldError(_("This date does not exist. Check the day and the month.")) from None
    if parsed.year < 1900 or parsed.year > 2200:
        raise FieldError(_("Enter a year between 1900 and 2200."))
    today = utcnow().date()
    constraint = field.get("constraint", "any")
    if constraint == "past" and parsed > today:
        raise FieldError(_("This date must be in the past."))
    if constraint == "future" and parsed < today:
        raise FieldError(_("This date must be today or later."))
    return parsed.isoformat()


def clean_choice(field, raw, country=None):
    """One of the field's choices."""
    value = raw.strip()
    if value not in {c["value"] for c in field["choices"]}:
        raise FieldError(_("Choose one of the options."))
    return value


def clean_number(field, raw, country=None):
    """A whole number within the field's limits."""
    try:
        value = int(raw.strip())
    except ValueError:
        raise FieldError(_("Enter a whole number, for example 2.")) from None
    low, high = field.get("min"), field.get("max")
    if (low is not None and value < low) or (high is not None and value > high):
        raise FieldError(_("Enter a number between %(low)s and %(high)s.",
                           low=low if low is not None else "…", high=high if high is not None else "…"))
    return value


CLEANERS = {
    "text": clean_text, "textarea": clean_text, "address_abroad": clean_text,
    "address_home": clean_text, "name_zh": clean_name_zh, "name_latin": clean_name_latin,
    "cn_id": clean_cn_id, "phone": clean_phone, "phone_cn": clean_phone_cn,
    "email": clean_email, "passport": clean_passport, "date": clean_date,
    "choice": clean_choice, "number": clean_number,
}


def clean_field(field: dict, raw, country: str | None = None):
    """Validate one field; ``None`` for an empty optional field.

    Raises :class:`FieldError` for a missing required value or a bad one.
    """
    raw = "" if raw is None else str(raw)
    if not raw.strip():
        if field.get("required", True):
            raise FieldError(_("This answer is needed."))
        return None
    if len(raw) > 10_000:
        raise FieldError(_("This answer is far too long."))
    return CLEANERS[field["type"]](field, raw, country)


def display_value(field: dict, value, lt) -> str:
    """How a stored answer is shown back to people (check page, staff)."""
    if value is None or value == "":
        return ""
    if field["type"] == "choice":
        for choice in field["choices"]:
            if choice["value"] == value:
                return lt(choice["label"])
    if field["type"] in {"phone", "phone_cn"}:
        try:
            return phonenumbers.format_number(phonenumbers.parse(value, None),
                                              phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        except phonenumbers.NumberParseException:
            return str(value)
    return str(value)
