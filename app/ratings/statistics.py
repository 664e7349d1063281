"""The public statistics: ``/<lang>/statistics`` and a CSV file of each of its tables.

The page is the same for everyone (no session, no form token): the figures of the
filter in the address, summed from the counters (:mod:`app.ratings.figures`). A bad
filter answers 400 with the page's form, what was asked kept, and what is wrong said
in the page's language. Browsers may keep the page five minutes, then revalidate
with its ETag (the figures move with every case).
"""

from flask import Blueprint, Response, abort, render_template, request

from ..authz import public
from ..security import revalidated
from . import presentation
from .figures import ONLINE, figures
from .statistics_form import format_month_value, read_filter

bp = Blueprint("statistics", __name__)

#: How long a browser keeps the page before asking again (seconds).
MAX_AGE = 300


def _figures_of(form):
    scope = form.scope()
    county = form.found["county"]
    return figures(scope, [county.id] if county else None)


def _filter_args(form, shown) -> dict:
    """The filter as the address writes it (the CSV links carry the same)."""
    found = form.found
    point = found["point"]
    return {"county": found["county"].key if found["county"] else None,
            "item": found["item"].code if found["item"] else None,
            "point": point if point == ONLINE else (point.key if point else None),
            "from": format_month_value(shown.scope.first),
            "to": format_month_value(shown.scope.last)}


def _kept(response):
    response = revalidated(response)
    response.headers["Cache-Control"] = f"private, max-age={MAX_AGE}"
    return response


@bp.route("/<lang:lang>/statistics")
@public
def page():
    """Cases, time limits kept, ratings, trips avoided and questions, per month, with a
    chart beside each table; 400 with the form for a filter that cannot be shown."""
    form = read_filter(request.args)
    if form.errors:
        return render_template("ratings/statistics.html", form=form, figures=None), 400
    shown = _figures_of(form)
    return _kept(render_template("ratings/statistics.html", form=form, figures=shown,
                                 p=presentation, csv_args=_filter_args(form, shown)))


@bp.route("/<lang:lang>/statistics/<name>.csv")
@public
def table_csv(name):
    """One table of the page as CSV (UTF-8 with BOM, headers in the page's language)."""
    if name not in presentation.TABLES:
        abort(404)
    form = read_filter(request.args)
    if form.errors:
        message = "\n".join(f"{form[key].label.text}: {errors[0]}"
                            for key, errors in form.errors.items())
        return Response(message + "\n", 400, mimetype="text/plain")
    shown = _figures_of(form)
    filename = (f"onevisit-{name}-{format_month_value(shown.scope.first)}"
                f"-{format_month_value(shown.scope.last)}.csv")
    response = Response(presentation.csv_bytes(shown, name), mimetype="text/csv")
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _kept(response)
