"""The ``dashboard`` blueprint, ``/staff/dashboard``: per window and per clerk, work in
hand, overdue cases, the month's results, ratings and follow-ups, and the month's ranking
of windows, for the supervisors and admins who answer for those windows."""

from babel.dates import format_skeleton
from babel.numbers import format_percent
from flask import Blueprint, g, render_template, request

from ..authz import staff
from ..clock import utcnow
from ..i18n import localized
from ..templating import format_locale
from . import board as boards

bp = Blueprint("dashboard", __name__, url_prefix="/staff")


def format_month(month) -> str:
    """A month as people name it in the page's language (``März 2026``, ``2026年3月``)."""
    return format_skeleton("yMMMM", month, locale=format_locale())


def format_rate(value) -> str:
    """A rate with one decimal (``94.7%``); a dash when there is nothing to divide."""
    return "—" if value is None else format_percent(value, "#,##0.0%", locale=format_locale())


@bp.route("/dashboard")
@staff("dashboard")
def dashboard():
    """The dashboard of the month chosen (``?month=YYYY-MM``; the current Beijing month by
    default); a malformed month is 400 with the page and its message."""
    typed = (request.args.get("month") or "")[:20]
    helpers = {"months": boards.months_offered(), "format_month": format_month,
               "rate": format_rate, "shift": boards.shift, "now": utcnow(),
               "MIN_RANKED": boards.MIN_RANKED, "typed": typed}
    try:
        month = boards.parse_month(typed)
    except boards.BadMonth:
        return render_template("ratings/dashboard.html", bad=True, board=None, **helpers), 400
    board = boards.board(g.staff, month, names=lambda office: localized(office.names))
    return render_template("ratings/dashboard.html", bad=False, board=board, **helpers)
