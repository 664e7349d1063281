"""Catalog queries: browse by department and category, keyword search."""

from peewee import SQL, Case as SqlCase, NodeList, fn

from ..models import Category, Department, Item, ItemSearch, Jurisdiction
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
                 page: int = 1, per_page: int = PER_PAGE, county: Jurisdiction | None = None):
    """Active items matching every term of ``query`` as a substring.

    Terms are matched against names, synonyms and material names in every
    locale, case- and accent-insensitively; items whose name matches come
    first. One scan of the narrow search table gives the ordered ids (and so
    the total); only the page's items are then read. ``county`` keeps one county's
    items. Returns ``(items, total)``.
    """
    terms = normalize(query).split()[:MAX_TERMS]
    where = [ItemSearch.active == True]  # noqa: E712
    if county is not None:
        where.append(ItemSearch.jurisdiction == county.id)
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
                        Department.names.alias("department_names"),
                        Jurisdiction.names.alias("county_names"))
            .join(Department).join(Jurisdiction).where(Item.id.in_(page_ids)).objects())
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in page_ids if i in by_id], len(ids)


def other_matters(county: Jurisdiction | None = None) -> list:
    """Each county's "another matter" item (for what the catalog does not list), the
    county shown first."""
    from ..models.cases import OTHER_MATTER
    rows = (Item.select(Item.code, Item.names, Jurisdiction.id.alias("county_id"),
                        Jurisdiction.names.alias("county_names"), Jurisdiction.sort)
            .join(Department).join(Jurisdiction)
            .where((Item.kind == OTHER_MATTER) & (Item.active == True))  # noqa: E712
            .order_by(Jurisdiction.sort).objects())
    return sorted(rows, key=lambda r: county is None or r.county_id != county.id)


def _counted_departments(*conditions):
    """Departments with their number of active items (``item_count``)."""
    return (Department.select(Department, fn.COUNT(ItemSearch.item).alias("item_count"))
            .join(ItemSearch, on=(ItemSearch.department == Department.id))
            .where(ItemSearch.active == True, *conditions)  # noqa: E712
            .group_by(Department).order_by(Department.sort, Department.id))


def county_departments(county: Jurisdiction) -> list:
    """The departments of ``county`` with their number of active items."""
    return list(_counted_departments(ItemSearch.jurisdiction == county.id))


def department_list(county: Jurisdiction | None = None) -> list[tuple]:
    """``[(county, [departments with their number of active items])]``, ``county`` first."""
    by_county = {}
    for row in _counted_departments():
        by_county.setdefault(row.jurisdiction_id, []).append(row)
    places = sorted(Jurisdiction.counties(),
                    key=lambda c: (county is None or c.id != county.id, c.sort, c.id))
    return [(c, by_county[c.id]) for c in places if c.id in by_county]


def category_list():
    """Categories with their number of active items."""
    return list(Category.select(Category, fn.COUNT(ItemSearch.item).alias("item_count"))
                .join(ItemSearch, on=(ItemSearch.category == Category.id))
                .where(ItemSearch.active == True)  # noqa: E712
                .group_by(Category).order_by(Category.sort, Category.id))
