"""Root redirect, home page and health check."""

from flask import Blueprint, g, make_response, redirect, render_template, request, session, url_for

from .i18n import LANGUAGE_KEY, negotiate_locale
from .catalog import hometown
from .catalog.search import department_list
from .models import Category, Item, db
from .authz import public
from .pagecache import cached
from .security import revalidated

bp = Blueprint("core", __name__)


@bp.route("/")
@public
def root():
    """Send the visitor to their language's home page."""
    response = redirect(url_for("core.home", lang=negotiate_locale()), 303)
    response.headers["Vary"] = "Accept-Language"
    return response


@bp.route("/<lang:lang>/")
@public
def home():
    """Home: what OneVisit does, the hometown, search, and each county's departments."""
    return cached(_home_page)


def _home_page():
    home = hometown.current()
    categories = Category.select().order_by(Category.sort, Category.id)
    response = revalidated(make_response(render_template(
        "home.html", home=home, departments=department_list(home), categories=categories,
        form=hometown.chooser())))
    response.vary.add("Cookie")
    return response


@bp.route("/<lang:lang>/staff/", defaults={"rest": ""})
@bp.route("/<lang:lang>/staff/<path:rest>")
@public
def staff_in(rest):
    """``/it/staff/…``: the staff page, in that language from now on in this browser
    (staff URLs carry no language; the header's switch also keeps it for the account)."""
    session[LANGUAGE_KEY] = g.lang
    query = request.query_string.decode()
    return redirect(f"/staff/{rest}" + (f"?{query}" if query else ""), 303)


@bp.route("/healthz")
@public
def healthz():
    """Liveness and database check."""
    try:
        db.execute_sql("SELECT 1").fetchone()
        items = Item.select().where(Item.active == True).count()  # noqa: E712
    except Exception:
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok", "items": items}
