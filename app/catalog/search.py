"""Catalog queries: browse by department and category, keyword search."""

from peewee import SQL, Case as SqlCase, NodeList

from ..models import Category, Department, Item
from .loader import normalize

PER_PAGE = 20
MAX_TERMS = 6


def _like(column, term):
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return NodeList((column, SQL("LIKE"), f"%{escaped}%", SQL("ESCAPE '\\'")))


def search_items(query: str = "", department: str | None = None, category: str | None = None,
                 page: int = 1, per_page: int = PER_PAGE):
    """Active items matching every term of ``query`` as a substring.

    Terms are matched against names, synonyms and material names in every
    locale, case- and accent-insensitively; items whose name matches come
    first. Returns ``(items, total)``; items carry only the list columns.
    """
    terms = normalize(query).split()[:MAX_TERMS]
    where = [Item.active == True]  # noqa: E712
    if department:
        where.append(Department.key == department)
    if category:
        where.append(Category.key == category)
    for term in terms:
        where.append(_like(Item.search_text, term))
    order = [Item.sort, Item.code]
    if terms:
        order.insert(0, SqlCase(None, [(_like(Item.name_text, terms[0]), 0)], 1))
    base = (Item.select(Item.id, Item.code, Item.names, Item.summary, Item.fee_amount,
                        Item.fee_currency, Item.time_limit_days, Item.parent,
                        Item.agent_allowed, Item.video_check,
                        Department.names.alias("department_names"),
                        Category.names.alias("category_names"))
            .join(Department).switch(Item).join(Category)
            .where(*where))
    total = base.count()
    page = max(1, page)
    rows = list(base.order_by(*order)
                .paginate(page, per_page).objects())
    return rows, total


def department_list():
    """Departments with their number of active items."""
    from peewee import fn
    return list(Department.select(Department, fn.COUNT(Item.id).alias("item_count"))
                .join(Item).where(Item.active == True)  # noqa: E712
                .group_by(Department).order_by(Department.sort, Department.id))


def category_list():
    """Categories with their number of active items."""
    from peewee import fn
    return list(Category.select(Category, fn.COUNT(Item.id).alias("item_count"))
                .join(Item).where(Item.active == True)  # noqa: E712
                .group_by(Category).order_by(Category.sort, Category.id))
