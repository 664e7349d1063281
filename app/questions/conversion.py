"""A question that turns out to be an application (or a dispute for mediation) becomes a
draft case of the right item, with the asker's details carried over.

The case is made by ``app/cases/`` (:func:`app.cases.from_question.start_from_question`:
reference, access link and code, the access email to the asker); the question is closed
as ``converted`` by :func:`app.questions.service.converted`, in the same transaction.
"""

from flask_babel import gettext as _, lazy_gettext as _l
from flask_babel import get_locale
from wtforms import HiddenField, SelectField
from wtforms.validators import ValidationError

from ..cases.from_question import first_text, start_from_question  # noqa: F401 (first_text: the page)
from ..cases.journey import Started
from ..cases.start import countries
from ..forms import Form, Needed, TrimmedString, options
from ..i18n import localized
from ..models import Case, Department, Item, Jurisdiction, Question, ServicePoint
from ..models.base import together
from . import service

#: Where askers most likely live, by their language (the form's first guess).
COUNTRY_OF_LOCALE = {"it": "IT", "fr": "FR", "es": "ES", "pt": "PT"}


class Refused(Exception):
    """The conversion is refused: ``message`` (in the staff member's language), ``status``."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.message = message
        self.status = status


def county_items(county_id: int, department_key: str = "", search: str = "") -> list[Item]:
    """The county's active items, department by department (``department_key`` and a
    few letters of the name narrow the list)."""
    query = (Item.select(Item, Department).join(Department)
             .where((Item.active == True)  # noqa: E712
                    & (Department.jurisdiction == county_id))
             .order_by(Department.sort, Department.id, Item.sort, Item.id))
    if department_key:
        query = query.where(Department.key == department_key)
    items = list(query)
    words = search.strip().casefold()
    if words:
        items = [i for i in items if words in " ".join(
            [i.code, *(i.names or {}).values()]).casefold()]
    return items


def departments_of(county_id: int) -> list[Department]:
    """The county's departments that have active items (the list's filter)."""
    return list(Department.select().where(
        (Department.jurisdiction == county_id) & Department.id.in_(
            Item.select(Item.department).where(Item.active == True)))  # noqa: E712
        .order_by(Department.sort, Department.id))


def item_choices(items: list[Item]) -> list:
    """The item list as the select shows it: department, then the item's name and code."""
    return [(item.code, f"{localized(item.department.names)} · {localized(item.names)} "
                        f"({item.code})") for item in items]


class ConvertForm(Form):
    """Which item the asker needs, and where they live (the case asks it)."""

    start_key = HiddenField()
    item = SelectField(_l("Service the asker needs"), choices=[], validate_choice=False,
                       validators=[Needed(_l("Choose the service the asker needs."))])
    country = SelectField(_l("Country where the asker lives"), choices=[],
                          validate_choice=False,
                          validators=[Needed(_l("Choose the country where the asker lives."))])
    city = TrimmedString(_l("City"), max_chars=100, render_kw={"class": "w-m"},
                         validators=[Needed(_l("Enter the city where the asker lives."))])

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.item.choices = options([("", _("Choose…"))] + item_choices(list(items)))
        self.country.choices = options([("", _("Choose…"))] + list(countries(_locale())))
        self._codes = {code for code, _name in countries(_locale())}

    def validate_country(self, field):
        if field.data not in self._codes:
            raise ValidationError(_("Choose the country where the asker lives."))


def _locale() -> str:
    return str(get_locale() or "zh")


def where_asker_lives(question: Question) -> tuple[str, str]:
    """The country and city the form proposes: the case's the question came from, the
    service point's that logged it, else the country of the asker's language."""
    if question.case_id:
        case = Case.get_or_none(Case.id == question.case_id)
        if case is not None:
            return case.country, case.city
    if question.service_point_id:
        point = ServicePoint.get_or_none(ServicePoint.id == question.service_point_id)
        if point is not None:
            return point.country, localized(point.city)
    return COUNTRY_OF_LOCALE.get(question.locale, ""), ""


def check_open(question: Question) -> None:
    """Refuse a question that was converted or closed already (409)."""
    if question.converted_case_id:
        case = Case.get_or_none(Case.id == question.converted_case_id)
        raise Refused(_("This question already became the application %(reference)s.",
                        reference=case.reference if case else "—"), 409)
    if question.is_closed:
        raise Refused(_("This question is closed. Reopen it first if the asker still needs "
                        "an application."), 409)


def chosen_item(question: Question, code: str) -> Item:
    """The active item ``code`` of the question's county, or :class:`Refused` (400)."""
    item = Item.active_by_code(code or "")
    if item is None or item.department.jurisdiction_id != question.jurisdiction_id:
        county = Jurisdiction.get_by_id(question.jurisdiction_id)
        raise Refused(_("Choose a service of %(county)s: the question is for this county.",
                        county=localized(county.names)), 400)
    return item


def convert(question: Question, staff, form: ConvertForm) -> Started:
    """Turn the question into a draft case of the chosen item, or raise :class:`Refused`."""
    check_open(question)
    item = chosen_item(question, form.item.data)
    try:
        with together():
            started = start_from_question(item, staff, question, country=form.country.data,
                                          city=form.city.data, start_key=form.start_key.data)
            if started.replayed:  # the same form sent twice: the first one made the case
                raise service.QuestionClosed(question.reference)
            service.converted(question, staff, started.case)
    except service.QuestionClosed:
        check_open(Question.get_by_id(question.id))
        raise Refused(_("Someone else changed this question meanwhile. Look at it again."),
                      409) from None
    return started
