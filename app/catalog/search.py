"""Catalog queries: browse by department and category, keyword search."""

from peewee import SQL, Case as SqlCase, NodeList, fn

from ..models import Category, Department, Item, ItemSearch
from .loader import normalize

PER_PAGE = 20
MAX_TERMS = 6


def _like(column, term):
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return NodeList((column, SQL("LIKE"), f"%{escaped}%", SQL("ESCAPE '\\'")))


def _department_id(key):
    row = Department.get_or_none(Department.key == key)
    return row.id if row else -1


def _category_id(key):
    row = Category.get_or_none(Category.key == key)
    return row.id if row else -1


def search_items(query: str = "", department: str | None = None, category: str | None = None,
                 page: int = 1, per_page: int = PER_PAGE):
    """Active items matching every term of ``query`` as a substring.

    Terms are matched against names, synonyms and material names in every
    locale, case- and accent-insensitively; items whose name matches come
    first. One scan of the narrow search table gives the ordered ids (and so
    the total); only the page's items are then read. Returns ``(items, total)``.
    """
    terms = normalize(query).split()[:MAX_TERMS]
    where = [ItemSearch.active == True]  # noqa: E712
    if department:
        where.append(ItemSearch.department == _department_id(department))
    if category:
        where.append(ItemSearch.category == _category_id(category))
    for term in terms:
        where.append(_like(ItemSearch.search_text, term))
    order = [ItemSearch.sort, ItemSearch.code]
    if terms:
        order.insert(0, SqlCase(None, [(_like(ItemSearch.name_text, terms[0]), 0)], 1))
    ids = [row[0] for row in ItemSearch.select(ItemSearch.item).where(*where)
           .order_by(*order).tuples()]
    page = max(1, page)
    page_ids = ids[(page - 1) * per_page: page * per_page]
    if not page_ids:
        return [], len(ids)
    rows = (Item.select(Item.id, Item.code, Item.names, Item.summary, Item.fee_amount,
                        Item.fee_currency, Item.time_limit_days, Item.parent,
                        Item.agent_allowed, Item.video_check,
                        Department.names.alias("department_names"))
            .join(Department).where(Item.id.in_(page_ids)).objects())
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in page_ids if i in by_id], len(ids)


def department_list():
    """Departments with their number of active items."""
    return list(Department.select(Department, fn.COUNT(ItemSearch.item).alias("item_count"))
                .join(ItemSearch, on=(ItemSearch.department == Department.id))
                .where(ItemSearch.active == True)  # noqa: E712
                .group_by(Department).order_by(Department.sort, Department.id))


def category_list():
    """Categories with their number of active items."""
    return list(Category.select(Category, fn.COUNT(ItemSearch.item).alias("item_count"))
                .join(ItemSearch, on=(ItemSearch.category == Category.id))
                .where(ItemSearch.active == True)  # noqa: E712
                .group_by(Category).order_by(Category.sort, Category.id))
