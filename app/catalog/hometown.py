"""The applicant's hometown: the county whose catalog they see first.

It is a preference, not personal data: one cookie holding a jurisdiction key,
kept for a year, changed or cleared with the chooser on the home page and the
catalog. A catalog URL that names a county (``?county=qingtian``) shows that
county to everyone; ``?county=all`` every county; a URL without the parameter
shows the visitor's hometown when they chose one, else every county.
"""

from flask import current_app, g, request
from peewee import JOIN
from flask_babel import gettext as _, lazy_gettext as _l
from wtforms import SelectField, ValidationError

from ..forms import Form, options
from ..i18n import localized
from ..models import Jurisdiction
from ..models.organisation import LOCAL_LEVELS

COOKIE = "hometown"
MAX_AGE = 365 * 24 * 3600
#: The ``county`` value that asks for every county.
ALL = "all"


def current() -> Jurisdiction | None:
    """The hometown this browser chose, if it still exists."""
    return Jurisdiction.local_by_key(request.cookies.get(COOKIE, "")[:64])


def county_from_args(args) -> tuple[Jurisdiction | None, bool]:
    """``(county shown, whether it came from the hometown)`` for a catalog request.

    An unknown county in the URL is no filter (like an unknown department).
    """
    key = (args.get("county") or "").strip()[:64]
    if key:
        return (None if key == ALL else Jurisdiction.local_by_key(key)), False
    home = current()
    return home, home is not None


def remember(response, place: Jurisdiction | None):
    """Set (or, with None, clear) the hometown cookie on ``response``."""
    if place is None:
        response.delete_cookie(COOKIE, samesite="Lax")
    else:
        response.set_cookie(COOKIE, place.key, max_age=MAX_AGE, samesite="Lax",
                            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")
                                        or request.is_secure), httponly=True)
    return response


def county_choices() -> list[tuple[str, str]]:
    """``(key, "City · County")`` of every county and district (once per request)."""
    if "county_choices" not in g:
        city = Jurisdiction.alias()
        rows = (Jurisdiction.select(Jurisdiction.key, Jurisdiction.names,
                                    city.names.alias("city_names"))
                .join(city, JOIN.LEFT_OUTER, on=(Jurisdiction.parent == city.id))
                .where(Jurisdiction.level.in_(LOCAL_LEVELS))
                .order_by(Jurisdiction.sort, Jurisdiction.id).objects())
        g.county_choices = [(c.key, f"{localized(c.city_names)} · {localized(c.names)}"
                             if c.city_names else localized(c.names)) for c in rows]
    return g.county_choices


class HometownForm(Form):
    """Choose (or forget) the hometown.

    No CSRF token: the form only sets a preference cookie in the browser that
    posts it, and a token would give every visitor of the home page a session.
    """

    class Meta:
        csrf = False

    county = SelectField(_l("Your hometown"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.county.choices = options([("", _l("No hometown: show every county")),
                                       *county_choices()])

    def validate_county(self, field):
        if field.data and Jurisdiction.local_by_key(field.data) is None:
            raise ValidationError(_("Choose a county or district from the list."))


def chooser() -> HometownForm:
    """The chooser, showing the hometown chosen already."""
    home = current()
    return HometownForm(formdata=None, data={"county": home.key if home else ""})
