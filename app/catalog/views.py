"""Catalog pages: browse, search, and the item guide."""

from flask import Blueprint, abort, make_response, render_template, request

from ..extensions import is_partial_htmx
from ..models import Category, Department, Item
from ..security import access, revalidated
from .search import PER_PAGE, category_list, department_list, search_items

bp = Blueprint("catalog", __name__, url_prefix="/<lang:lang>/services")

MAX_QUERY = 100


def _page_arg() -> int:
    try:
        return max(1, min(int(request.args.get("page", "1")), 10_000))
    except ValueError:
        return 1


@bp.route("")
@access("public")
def index():
    """Browse by department and category, or search by keyword."""
    query = (request.args.get("q") or "").strip()[:MAX_QUERY]
    department = request.args.get("department") or None
    category = request.args.get("category") or None
    if department and not Department.select().where(Department.key == department).exists():
        department = None
    if category and not Category.select().where(Category.key == category).exists():
        category = None
    page = _page_arg()
    items, total = search_items(query, department, category, page)
    context = dict(query=query, department=department, category=category, items=items,
                   total=total, page=page, pages=max(1, -(-total // PER_PAGE)))
    if is_partial_htmx():
        return revalidated(make_response(render_template("catalog/partial/results.html", **context)))
    return revalidated(make_response(render_template(
        "catalog/index.html", departments=department_list(), categories=category_list(), **context)))


@bp.route("/<code>")
@access("public")
def guide(code):
    """Item guide: materials checklist, fee, time limit, what happens next."""
    item = Item.get_or_none((Item.code == code) & (Item.active == True))  # noqa: E712
    if item is None:
        abort(404)
    children = list(item.children.where(Item.active == True).order_by(Item.sort))  # noqa: E712
    from ..documents.context import TITLES
    materials = item.ordered_materials()
    blank_docs = ["form"]
    if item.agent_allowed:
        blank_docs.append("entrustment")
    if any(not m.essential for m in materials):
        blank_docs.append("commitment")
    return revalidated(make_response(render_template(
        "catalog/guide.html", item=item, materials=materials, children=children,
        blank_docs=blank_docs, DOC_TITLES=TITLES)))
