"""The public statistics' filter: county, service, service point and months (GET).

:func:`read_filter` checks what the address asks for and names each problem in the
page's language; the page answers 400 with the form, what was typed kept, when any is
found.
"""

import re

from flask_babel import gettext as _, lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice, SelectField, StringField, ValidationError
from wtforms.validators import StopValidation

from ..catalog.hometown import county_choices
from ..forms import GetForm, Optional, options
from ..i18n import localized
from ..models import Department, Item, Jurisdiction, ServicePoint
from ..questions.faq import county_items
from .figures import (DEFAULT_MONTHS, FIRST_MONTH, MAX_MONTHS, ONLINE, Scope, default_range,
                      month_index, month_of_index, point_dimension, this_month)

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
#: What a county's or service point's key and a service's code may look like: anything
#: else (a NUL, a quote, a kilobyte) is refused before it comes near the database.
_KEY = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Key:
    """A key or code of the lists (checked before any lookup), else ``message``."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if not _KEY.fullmatch(field.data or ""):
            raise StopValidation(str(self.message))


def format_month_value(month: int) -> str:
    """``yyyymm`` as the form writes it: ``2026-03``."""
    return f"{month // 100:04d}-{month % 100:02d}"


def _point_label(point: ServicePoint) -> str:
    return f"{localized(point.city)} · {localized(point.host)}"


class StatisticsFilter(GetForm):
    """What the statistics show: every field optional, every value checked."""

    county = SelectField(_l("County or district"), choices=[], validate_choice=False,
                         validators=[Optional(), Key(_l("Choose a county or district from "
                                                        "the list."))])
    item = SelectField(_l("Service"), choices=[], validate_choice=False,
                       validators=[Optional(), Key(_l("Choose a service from the list."))])
    point = SelectField(_l("Service point"), choices=[], validate_choice=False,
                        validators=[Optional(), Key(_l("Choose a service point from the "
                                                       "list."))])
    first = StringField(_l("From month"), name="from", validators=[Optional()],
                        render_kw={"type": "month", "class": "w-date"})
    last = StringField(_l("To month"), name="to", validators=[Optional()],
                       render_kw={"type": "month", "class": "w-date"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.found = {"county": None, "item": None, "point": None}
        self.county.choices = options([("", _("All counties")), *county_choices()])
        self.point.choices = options([("", _("All, and online")),
                                      (ONLINE, _("Online, without a service point"))] + [
            (p.key, _point_label(p)) for p in ServicePoint.select()
            .where(ServicePoint.active == True)  # noqa: E712
            .order_by(ServicePoint.sort, ServicePoint.id)])
        self.item.choices = options([("", _("All services"))])
        now = self.example = format_month_value(this_month())
        for field in (self.first, self.last):
            field.render_kw = dict(field.render_kw, min=format_month_value(FIRST_MONTH), max=now)

    def offer_items_of(self, county: Jurisdiction | None) -> None:
        """The service list: the county's items by department (none without a county)."""
        choices = [SelectChoice("", _("All services"))]
        if county is not None:
            for department, items in county_items(county.id):
                group = localized(department.names)
                choices += [SelectChoice(i.code, localized(i.names), optgroup=group)
                            for i in items]
        self.item.choices = choices

    def validate_county(self, field):
        county = Jurisdiction.local_by_key(field.data)
        if county is None:
            raise ValidationError(_("Choose a county or district from the list."))
        self.found["county"] = county

    def validate_item(self, field):
        item = Item.active_by_code(field.data)
        if item is None:
            raise ValidationError(_("Choose a service from the list."))
        county_id = Department.select(Department.jurisdiction).where(
            Department.id == item.department_id).scalar()
        county = self.found["county"]
        if county is None and not (self.county.data or "").strip():
            # A service alone: its own county.
            county = Jurisdiction.get_or_none(Jurisdiction.id == county_id)
            self.found["county"] = county
            self.county.data = county.key if county else ""
        elif county is None or county.id != county_id:
            raise ValidationError(_("This service is not one of the chosen county's. Choose "
                                    "one of its services, or all services."))
        self.found["item"] = item

    def validate_point(self, field):
        if field.data == ONLINE:
            self.found["point"] = ONLINE
            return
        point = ServicePoint.get_or_none(ServicePoint.key == field.data)
        if point is None:
            raise ValidationError(_("Choose a service point from the list."))
        self.found["point"] = point

    def validate_first(self, field):
        field.month = _month(field.data)

    def validate_last(self, field):
        field.month = _month(field.data)
        first = getattr(self.first, "month", None) if not self.first.errors else None
        if first and field.month < first:
            raise ValidationError(_("The last month must not be before the first."))
        if first and month_index(field.month) - month_index(first) + 1 > MAX_MONTHS:
            raise ValidationError(_("Choose at most %(num)d months.", num=MAX_MONTHS))

    def scope(self) -> Scope:
        """The validated filter as the counters' dimensions and months."""
        found = self.found
        first = getattr(self.first, "month", None)
        last = getattr(self.last, "month", None)
        if first is None and last is None:
            first, last = default_range()
        elif last is None:  # "from" alone: 13 months from it, or up to now
            last = min(month_of(first, DEFAULT_MONTHS - 1), this_month())
        elif first is None:  # "to" alone: the 13 months up to it
            first = max(month_of(last, 1 - DEFAULT_MONTHS), FIRST_MONTH)
        point = found["point"]
        return Scope(county=found["county"].id if found["county"] else 0,
                     item=found["item"].id if found["item"] else 0,
                     point=point_dimension(None if point in (None, ONLINE) else point.id,
                                           point == ONLINE),
                     first=first, last=last)


def month_of(month: int, offset: int) -> int:
    """The month ``offset`` months from ``yyyymm``."""
    return month_of_index(month_index(month) + offset)


def _month(value: str) -> int:
    match = _MONTH.match((value or "").strip())
    example = format_month_value(this_month())
    if not match:
        raise ValidationError(_("Enter a month as year and month, for example %(example)s.",
                                example=example))
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ValidationError(_("There is no month %(month)s. Enter a month from 01 to 12, "
                                "for example %(example)s.", month=match.group(2),
                                example=example))
    found = year * 100 + month
    if not FIRST_MONTH <= found <= this_month():
        raise ValidationError(_("Choose a month from %(first)s to %(last)s.",
                                first=format_month_value(FIRST_MONTH), last=example))
    return found


def read_filter(args) -> StatisticsFilter:
    """The filter of ``args`` (``?county=&item=&point=&from=&to=``; ``month=`` stands for
    both ``from`` and ``to``), validated: ``form.errors`` names what is wrong."""
    data = MultiDict(args)
    month = data.get("month")
    if month is not None and not data.get("from") and not data.get("to"):
        data.setlist("from", [month])
        data.setlist("to", [month])
    form = StatisticsFilter(formdata=data)
    form.validate()
    for field in (form.first, form.last):
        if field.errors:  # what was typed comes back as typed (a month field would drop it)
            field.render_kw = dict(field.render_kw, type="text")
            field.render_kw.pop("min"), field.render_kw.pop("max")
            # but a control character (a NUL) as a browser shows it: no HTML may hold one.
            field.data = _CONTROL.sub("\ufffd", field.data or "")
    form.offer_items_of(form.found["county"])
    return form
