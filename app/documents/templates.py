"""The Jinja environment for PDF templates, with bilingual text helpers.

A document prints every label twice: in Chinese and in the applicant's
language. ``bi("Date of birth")`` looks the message up in both catalogs.
"""

from functools import lru_cache

from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from ..config import BASE_DIR, LOCALES
from .render import PDFS_DIR

TRANSLATIONS_DIR = BASE_DIR / "translations"


@lru_cache(maxsize=8)
def translations(locale: str) -> Translations:
    """The compiled message catalog of one locale."""
    return Translations.load(str(TRANSLATIONS_DIR), [locale], domain="messages")


def second_locale(locale: str) -> str:
    """The language printed beside Chinese: the applicant's, or English for Chinese readers."""
    return "en" if locale == "zh" else locale


class Bilingual:
    """Looks up interface text in Chinese and in a second language."""

    def __init__(self, second: str):
        self.second = second
        self.zh = translations("zh")
        self.other = translations(second)

    def pair(self, message: str, **values) -> dict:
        """``{"zh": ..., "x": ...}`` for one message id."""
        if not message:
            return {"zh": "", "x": ""}
        zh = self.zh.gettext(message)
        other = self.other.gettext(message)
        if values:
            zh, other = zh % values, other % values
        return {"zh": zh, "x": other}

    def __call__(self, message: str, **values) -> Markup:
        """Both texts as two spans (the second omitted when identical)."""
        return pair_markup(self.pair(message, **values))


def pair_markup(pair: dict) -> Markup:
    """Render a ``{"zh", "x"}`` pair as HTML."""
    zh, other = pair.get("zh", ""), pair.get("x", "")
    if not other or other == zh:
        return Markup('<span class="zh">%s</span>') % escape(zh)
    return Markup('<span class="zh">%s</span> <span class="x">%s</span>') % (escape(zh), escape(other))


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The shared, autoescaping environment over ``pdfs/``."""
    env = Environment(loader=FileSystemLoader(str(PDFS_DIR)),
                      autoescape=select_autoescape(["html"], default=True),
                      extensions=["jinja2.ext.do"], trim_blocks=True, lstrip_blocks=True)
    env.filters["pair"] = pair_markup
    return env


#: Column widths of label/value/label/value tables (with a fixed table layout the
#: widths must sit on columns, or cell padding pushes the table off the page).
FOUR_COLUMNS = Markup('<colgroup><col class="k"><col class="v"><col class="k"><col class="v">'
                      '</colgroup>')


def render_html(doc_type: str, context: dict, second: str) -> str:
    """The HTML of one document from its plain-data context."""
    template = environment().get_template(f"{doc_type}/template.html")
    bilingual = Bilingual(second)
    return template.render(bi=bilingual, pair_of=bilingual.pair, four_cols=FOUR_COLUMNS, **context)


def prepare() -> None:
    """Compile every document's template and load every message catalog now (what the
    first document of a process would otherwise pay for); run at start, beside the
    render worker's warm-up."""
    env = environment()
    for name in env.list_templates(filter_func=lambda name: name.endswith("template.html")):
        env.get_template(name)
    for locale in LOCALES:
        translations(locale)
