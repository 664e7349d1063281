"""Which cases a staff member sees, and the queue query with filters and keyset pages."""

from datetime import date, datetime, timedelta

from peewee import SQL, NodeList, fn

from ..cases.reference import read_reference
from ..cases.workdays import add_working_days
from ..clock import beijing_today
from ..ids import read_id
from ..models import Case, Department, Item, Office, ServicePoint, Staff
from ..models.cases import OPEN, OPEN_SQL, WAITING

PAGE_SIZE = 50
SORTS = ("waiting", "deadline")


def parse_filters(args) -> dict:
    """Queue filters from the query string; unknown values are ignored."""
    status = args.get("status", "todo")
    if status not in {"todo", "open", "all", *OPEN, "rejected", "closed", "withdrawn"}:
        status = "todo"
    sort = args.get("sort", "waiting")
    return {
        "status": status,
        "item": (args.get("item") or "")[:32],
        "department": (args.get("department") or "")[:64],
        "due": args.get("due") if args.get("due") in {"soon", "overdue"} else "",
        "deferred": args.get("deferred") == "1",
        "q": (args.get("q") or "").strip()[:60],
        "sort": sort if sort in SORTS else "waiting",
        "after": (args.get("after") or "")[:80],
        "point": (args.get("point") or "")[:64],
        "holder": _holder(args.get("holder") or ""),
        # One window of the account's (the dashboard links here); any other id finds none.
        "office": args.get("office") if (args.get("office") or "").isdigit()
        and len(args.get("office")) < 10 else "",
    }


def _holder(value: str) -> str:
    """``mine``, ``nobody`` or a staff id (as text); anything else is no filter."""
    return value if value in ("mine", "nobody") or (value.isdigit() and len(value) < 10) else ""


#: Cases without a deadline sort last; a literal (not a parameter) so that the
#: expression index case_office_deadline serves the ORDER BY.
NO_DEADLINE = "9999-12-31"


def deadline_key():
    """The deadline sort expression, matching the index in migrations.queue_indexes."""
    return fn.COALESCE(Case.due_date, SQL(f"'{NO_DEADLINE}'"))


def _cursor(case, sort) -> str:
    if sort == "deadline":
        return f"{case.due_date.isoformat() if case.due_date else NO_DEADLINE}|{case.id}"
    return f"{(case.queued_at or datetime.min).isoformat()}|{case.id}"


def _after_condition(after: str, sort: str, dated: bool = False):
    try:
        value, ident = after.rsplit("|", 1)
        ident = read_id(ident)
        if sort == "deadline":
            key = date.fromisoformat(value)
            column = Case.due_date if dated else deadline_key()
            if not dated:
                key = key.isoformat()
        else:
            key = datetime.fromisoformat(value)
            column = Case.queued_at
    except (ValueError, TypeError):
        return None
    return (column > key) | ((column == key) & (Case.id > ident))


def _reference(text: str) -> str | None:
    """The reference ``text`` is (with its check digits), or None: then it is a name."""
    return read_reference(text)[0] if text else None


def queue(staff, filters: dict):
    """``(cases, next_cursor, counts)`` for the queue page."""
    base = Case.visible_to(staff)
    if base is None:
        return [], None, {}
    where = [base]
    reference = _reference(filters["q"])
    if reference is not None:
        # A reference finds its case in any state the account may see, whatever the tab.
        where.append(Case.reference == reference)
    elif filters["status"] == "todo":
        where.append(Case.status.in_(WAITING))
    elif filters["status"] == "open":
        where.append(Case.status.in_(OPEN))
    elif filters["status"] != "all":
        where.append(Case.status == filters["status"])
    if filters["item"]:
        where.append(Case.item == Item.select(Item.id).where(Item.code == filters["item"]))
    if filters["point"]:
        where.append(Case.service_point == ServicePoint.select(ServicePoint.id).where(
            ServicePoint.key == filters["point"]))
    if filters["office"]:
        where.append(Case.office == int(filters["office"]))
    if filters["holder"] == "mine":
        where.append(Case.assigned_to == staff.id)
    elif filters["holder"] == "nobody":
        where.append(Case.assigned_to.is_null())
    elif filters["holder"]:
        where.append(Case.assigned_to == int(filters["holder"]))
    if filters["department"]:
        department_items = (Item.select(Item.id).join(Department)
                            .where(Department.key == filters["department"]))
        where.append(Case.item.in_(department_items))
    today = beijing_today()
    is_open = NodeList((Case.status, SQL(OPEN_SQL)))
    due = filters["due"] if reference is None else ""
    if due == "overdue":
        where += [Case.due_date < today, is_open]
    elif due == "soon":
        soon, _exact = add_working_days(today, 3)
        where += [Case.due_date >= today, Case.due_date <= soon, is_open]
    if filters["deferred"] and reference is None:
        where += [Case.deferred_due.is_null(False), NodeList((Case.deferred, SQL("!= '[]'"))),
                  is_open]
    if filters["q"] and reference is None:  # anything but a reference is a name
        escaped = (filters["q"].replace("\\", "\\\\").replace("%", "\\%")
                   .replace("_", "\\_"))
        where.append(NodeList((Case.applicant_name, SQL("LIKE"), f"%{escaped}%",
                               SQL("ESCAPE '\\'"))))
    sort = filters["sort"]
    # With a time-limit filter every row has a due date: order by the column
    # itself, which the partial index of open cases already holds in order.
    dated = bool(due)
    if filters["after"]:
        condition = _after_condition(filters["after"], sort, dated)
        if condition is not None:
            where.append(condition)
    if sort == "deadline":
        order = [Case.due_date if dated else deadline_key(), Case.id]
    else:
        order = [Case.queued_at, Case.id]
    rows = list(Case.select(Case.id, Case.reference, Case.status, Case.item, Case.queued_at,
                            Case.due_date, Case.deferred, Case.deferred_due, Case.city,
                            Case.country, Case.timezone, Case.applicant_name,
                            Case.assigned_to_id, Case.transferred_to_id, Case.submitted_at)
                .where(*where).order_by(*order).limit(PAGE_SIZE + 1))
    next_cursor = _cursor(rows[PAGE_SIZE - 1], sort) if len(rows) > PAGE_SIZE else None
    counts = dict(Case.select(Case.status, fn.COUNT(Case.id)).where(base)
                  .group_by(Case.status).tuples())
    return rows[:PAGE_SIZE], next_cursor, counts


def flags(case, today=None) -> str:
    """``late``, ``soon`` or empty, for a case's time limit."""
    today = today or beijing_today()
    if not case.due_date or not case.is_open:
        return ""
    if case.due_date < today:
        return "late"
    if case.due_date <= today + timedelta(days=4):
        return "soon"
    return ""



def item_names(cases) -> dict:
    """The items of a page of the queue, by id (names only)."""
    ids = {c.item_id for c in cases}
    if not ids:
        return {}
    return {i.id: i for i in Item.select(Item.id, Item.code, Item.names).where(Item.id.in_(ids))}


def holders(staff) -> list:
    """The clerks and supervisors of the windows in ``staff``'s scope (who may hold a
    case), for the queue's filter and the bulk assignment."""
    return list(Staff.holders_in(staff.office_ids()).select_extend(Office).join(Office))


def holder_names(cases) -> dict:
    """``{staff id: name}`` of those holding ``cases``."""
    ids = {c.assigned_to_id for c in cases if c.assigned_to_id}
    return dict(Staff.select(Staff.id, Staff.name).where(Staff.id.in_(ids)).tuples()) if ids else {}


def new_transfers(staff) -> list:
    """Cases passed to an officer's department that no officer has opened yet: they head
    the officer's queue, oldest first."""
    if staff.role != "officer" or not staff.department_id:
        return []
    return list(Case.select(Case.id, Case.reference, Case.item, Case.applicant_name,
                            Case.queued_at, Case.due_date)
                .where((Case.transferred_to == staff.department_id)
                       & (Case.status == "transferred") & Case.transfer_opened_at.is_null())
                .order_by(Case.queued_at, Case.id).limit(PAGE_SIZE))
