"""The ``catalog`` blueprint, ``/<lang>/services``: browse, search, the item guide, and
its blank forms."""

from flask import Blueprint, abort, g, redirect, render_template, request, send_file, url_for

from ..authz import public
from ..documents import service as documents
from ..documents.context import BLANK_TYPES, PAGE_SIZES
from ..documents.views import render_failed
from ..extensions import csrf
from ..fragments import page_or_fragment, wants_fragment
from ..models import Category, Department, Item, Jurisdiction
from ..pagecache import cached
from ..questions import faq
from ..questions.search import search_faq
from ..security import revalidated
from . import hometown
from .search import (PER_PAGE, category_list, county_departments, other_matters,
                     search_items)

bp = Blueprint("catalog", __name__, url_prefix="/<lang:lang>/services")

MAX_QUERY = 100
#: FAQ answers shown above a search's services.
ANSWERS = 3


def _page_arg() -> int:
    try:
        return max(1, min(int(request.args.get("page", "1")), 10_000))
    except ValueError:
        return 1


def _known(model, key):
    """``key`` if a row of ``model`` has it, else None (an unknown filter is no filter)."""
    return key if key and model.select().where(model.key == key).exists() else None


def _place():
    """``(county, whether it is the hometown, department key)`` asked for. A department
    belongs to one county: named alone (an older link) it shows its county; named with
    another county, it is no filter."""
    county, from_hometown = hometown.county_from_args(request.args)
    department = Department.get_or_none(Department.key == request.args.get("department", ""))
    if department is None:
        return county, from_hometown, None
    if from_hometown or county is None and not request.args.get("county"):
        return department.jurisdiction, False, department.key
    if county is not None and department.jurisdiction_id == county.id:
        return county, from_hometown, department.key
    return county, from_hometown, None


@bp.route("")
@public
def index():
    """Browse by department and category, or search by keyword."""
    return cached(_index_page)


def _index_page():
    query = (request.args.get("q") or "").strip()[:MAX_QUERY]
    county, from_hometown, department = _place()
    category = _known(Category, request.args.get("category"))
    page = _page_arg()
    items, total = search_items(query, department, category, page, county=county)
    answers, answers_total = (search_faq(query, g.lang, county=county, per_page=ANSWERS)
                              if query and page == 1 else ([], 0))
    response = revalidated(page_or_fragment(
        "catalog/index.html", "catalog/partial/results.html", query=query, county=county,
        from_hometown=from_hometown, department=department, category=category, items=items,
        others=other_matters(county), total=total, page=page, answers=answers,
        answers_total=answers_total,
        pages=max(1, -(-total // PER_PAGE)), fragment=wants_fragment(),
        departments=county_departments(county) if county else [],
        page_only=lambda: {"categories": category_list(),
                           "counties": hometown.county_choices(),
                           "form": hometown.chooser()}))
    response.vary.add("Cookie")
    return response


@bp.route("/hometown", methods=["POST"])
@csrf.exempt  # see HometownForm: a preference for the browser that posts it
@public
def choose_hometown():
    """Remember (or forget) the visitor's hometown, then show its services."""
    form = hometown.HometownForm()
    if not form.validate():
        return render_template("catalog/hometown.html", form=form), 422
    place = Jurisdiction.local_by_key(form.county.data)
    target = url_for("catalog.index", county=place.key if place else hometown.ALL)
    return hometown.remember(redirect(target, 303), place)


def blank_types(item: Item) -> list[str]:
    """The blank documents an item has: its form, and the letters that apply."""
    types = ["form"]
    if item.agent_allowed:
        types.append("entrustment")
    if any(not m.essential for m in item.ordered_materials()):
        types.append("commitment")
    return types


@bp.route("/<code>")
@public
def guide(code):
    """Item guide: materials checklist, fee, time limit, what happens next."""
    return cached(lambda: _guide_page(code))


def _guide_page(code):
    item = Item.active_by_code(code) or abort(404)
    children = list(item.children.where(Item.active == True).order_by(Item.sort))  # noqa: E712
    return revalidated(render_template(
        "catalog/guide.html", item=item, materials=item.ordered_materials(), children=children,
        blank_docs=blank_types(item), faq_entries=faq.for_item(item)))


@bp.route("/<code>/blank/<doc_type>.pdf")
@public
def blank_document(code, doc_type):
    """A blank form or letter of an item, for printing and handwriting."""
    item = Item.active_by_code(code) or abort(404)
    size = request.args.get("size", "a4").lower()
    size = size if size in PAGE_SIZES else "a4"
    if doc_type not in BLANK_TYPES:
        abort(404)
    try:
        path = documents.blank(item, doc_type, g.lang, size)
    except documents.NotAvailable:
        abort(404)
    except documents.RenderError as error:
        return render_failed(error)
    response = send_file(path, mimetype="application/pdf", as_attachment=True,
                         download_name=f"{item.code}-{doc_type}-{size}.pdf", max_age=86400)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
