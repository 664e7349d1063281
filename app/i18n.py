"""Locale in the URL, negotiation, and picking catalog text for a locale."""

import re

from babel import Locale
from flask import current_app, g, request, session
from flask_babel import get_locale
from werkzeug.routing import BaseConverter

from .config import LOCALES

#: The language each locale is named in, for the language switch.
LOCALE_NAMES = {"zh": "中文", "en": "English", "it": "Italiano", "fr": "Français",
                "es": "Español", "pt": "Português"}


def language_name(code: str, locale: str | None = None) -> str:
    """The name of the language ``code`` in ``locale`` (the page's), "cinese" on an Italian
    page, for sentences such as "Written in …" (:data:`LOCALE_NAMES` names each language
    in itself, for choosing one)."""
    locale = locale or str(get_locale() or "zh")
    try:
        return Locale.parse(code).get_language_name(locale) or code
    except (ValueError, TypeError):
        return code


#: Where the session keeps the staff pages' language.
LANGUAGE_KEY = "staff_lang"

_LOOKS_LIKE_LOCALE = re.compile(r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$")


class LangConverter(BaseConverter):
    """Matches only the supported locale prefixes."""

    regex = "(?:" + "|".join(LOCALES) + ")"


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown or printed."""
    return message


def negotiate_locale() -> str:
    """Best supported locale for the request's Accept-Language; Chinese if none."""
    try:
        best = request.accept_languages.best_match(LOCALES)
    except Exception:  # a malformed header must never break a page
        best = None
    if not best:
        # Accept "zh-CN", "pt-BR" and the like by their primary tag.
        for value, _q in getattr(request, "accept_languages", []):
            primary = str(value).split("-")[0].split("_")[0].lower()
            if primary in LOCALES:
                return primary
    return best or "zh"


def select_locale() -> str:
    """flask-babel locale selector: the URL's locale, else negotiation (staff pages: see
    :func:`staff_locale`)."""
    lang = getattr(g, "lang", None)
    if lang:
        return lang
    if request.path.startswith("/staff"):
        return staff_locale()
    return negotiate_locale()


def staff_locale() -> str:
    """A staff page's language: ``?lang=`` shows one page in another language (the
    applicant's, at a volunteer's desk); else the account's choice, kept in the session
    from sign-in or the language switch; else the browser's."""
    shown = request.args.get("lang", "")
    if shown in LOCALES and request.method in ("GET", "HEAD"):
        return shown
    return own_staff_locale()


def own_staff_locale() -> str:
    """The staff member's own language (a page shown for the applicant goes back to it)."""
    chosen = session.get(LANGUAGE_KEY)
    return chosen if chosen in LOCALES else negotiate_locale()


def shown_for_applicant() -> bool:
    """Whether this staff page is shown, for once, in a language other than the staff
    member's own (with a way back)."""
    return request.args.get("lang", "") in LOCALES and request.method in ("GET", "HEAD")


def localized(texts, locale=None):
    """Pick the text for the locale from a ``{locale: text}`` mapping.

    Falls back to English, then Chinese, then any text, so a page never shows
    a blank where catalog content has not been translated yet.
    """
    if not texts:
        return ""
    if not isinstance(texts, dict):
        return str(texts)  # plain or lazily translated interface text
    locale = locale or str(get_locale() or "zh")
    for candidate in (locale, "en", "zh"):
        if texts.get(candidate):
            return texts[candidate]
    return next(iter(texts.values()), "")


def on_record(entry, question: str = "label") -> dict:
    """How the case record (staff pages, documents) names a step, a field or a material
    (``question="names"``), by locale:
    its ``record`` text, else the applicant's wording (``title`` or ``label``) in that
    locale."""
    get = entry.get if isinstance(entry, dict) else (lambda name: getattr(entry, name, None))
    return {**(get(question) or {}), **(get("record") or {})}


def locale_redirect_target(path: str) -> str | None:
    """For ``/de/services`` return ``/<best>/services``; ``None`` if not locale-like."""
    parts = path.lstrip("/").split("/", 1)
    first = parts[0]
    if not first or first in LOCALES or not _LOOKS_LIKE_LOCALE.match(first):
        return None
    primary = first.split("-")[0].split("_")[0].lower()
    target = primary if primary in LOCALES else negotiate_locale()
    rest = parts[1] if len(parts) > 1 else ""
    return f"/{target}/{rest}"


def init_i18n(app) -> None:
    """Register the converter and the URL value hooks for ``<lang:lang>``."""
    app.url_map.converters["lang"] = LangConverter

    @app.url_value_preprocessor
    def _pull_lang(endpoint, values):
        if values and "lang" in values:
            g.lang = values.pop("lang")

    @app.url_defaults
    def _add_lang(endpoint, values):
        if "lang" in values or not getattr(g, "lang", None):
            return
        if current_app.url_map.is_endpoint_expecting(endpoint, "lang"):
            values["lang"] = g.lang
