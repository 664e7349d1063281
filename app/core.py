"""Root redirect, home page and health check."""

from flask import Blueprint, make_response, redirect, render_template, url_for

from .i18n import negotiate_locale
from .models import Category, Department, Item, db
from .authz import public
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
    """Home: what OneVisit does, search, and the departments."""
    departments = (Department.select().order_by(Department.sort, Department.id))
    categories = Category.select().order_by(Category.sort, Category.id)
    return revalidated(make_response(render_template("home.html", departments=departments,
                                                     categories=categories)))


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
