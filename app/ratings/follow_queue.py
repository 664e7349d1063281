"""The list of follow-ups of bad ratings, ``/staff/follow-ups``: a tab at a time, in keyset
pages. Open ones (and overdue, and appeals waiting for the account's decision) in due
order; closed ones newest first. Every follow-up shown is one of a case the account may
open (:meth:`Case.visible_to`)."""

from datetime import date

from ..auth.permissions import allows
from ..clock import beijing_today
from ..ids import read_id
from ..models import Case, FollowUp, Office, Rating, Staff

PAGE_SIZE = 50
#: The tabs, as plain links.
TABS = ("open", "overdue", "appeals", "closed")
#: Tabs in due order (the rest: newest first).
DUE_TABS = ("open", "overdue", "appeals")


def tabs_for(staff) -> tuple:
    """The tabs ``staff`` sees: appeals waiting only for those who may decide them."""
    if allows(staff.role, "follow_ups") and not staff.read_only:
        return TABS
    return tuple(tab for tab in TABS if tab != "appeals")


def parse_filters(args, staff) -> dict:
    """The tab and the cursor from the query string (unknown values: the defaults)."""
    tab = args.get("tab", "open")
    return {"tab": tab if tab in tabs_for(staff) else "open",
            "after": (args.get("after") or "")[:60]}


def _after(after: str, by_due: bool):
    """The keyset condition after the cursor, or None when it cannot be read."""
    try:
        if not by_due:
            return FollowUp.id < read_id(after)
        value, ident = after.rsplit("|", 1)
        key, ident = date.fromisoformat(value), read_id(ident)
    except (TypeError, ValueError):
        return None
    return (FollowUp.due_date > key) | ((FollowUp.due_date == key) & (FollowUp.id > ident))


def _tab_condition(tab: str, staff, today):
    if tab == "closed":
        return FollowUp.status == "closed"
    condition = FollowUp.status != "closed"
    if tab == "overdue":
        condition &= FollowUp.due_date < today
    elif tab == "appeals":
        condition &= ((FollowUp.appeal == "pending")
                      & (FollowUp.appealed_by.is_null() | (FollowUp.appealed_by != staff.id))
                      & (FollowUp.assigned_to.is_null() | (FollowUp.assigned_to != staff.id))
                      & (FollowUp.appeal_holder.is_null()
                         | (FollowUp.appeal_holder != staff.id))
                      & FollowUp.rating.not_in(Rating.select(Rating.id).where(
                          Rating.staff == staff.id)))
    return condition


def follow_ups(staff, filters: dict):
    """``(rows, next_cursor, counts)``: a page of the tab, each row with its case's
    reference and locale, and how many are open, overdue and (for deciders) appealed."""
    scope = FollowUp.visible_to(staff)
    if scope is None:
        return [], None, {}
    tab, today = filters["tab"], beijing_today()
    by_due = tab in DUE_TABS
    where = [scope, _tab_condition(tab, staff, today)]
    condition = _after(filters["after"], by_due) if filters["after"] else None
    if condition is not None:
        where.append(condition)
    order = [FollowUp.due_date, FollowUp.id] if by_due else [FollowUp.id.desc()]
    rows = list(FollowUp.select(FollowUp, Case.reference, Case.locale)
                .join(Case, on=(FollowUp.case == Case.id)).where(*where)
                .order_by(*order).limit(PAGE_SIZE + 1))
    next_cursor = None
    if len(rows) > PAGE_SIZE:
        last = rows[PAGE_SIZE - 1]
        next_cursor = f"{last.due_date.isoformat()}|{last.id}" if by_due else str(last.id)
    return rows[:PAGE_SIZE], next_cursor, _counts(staff, scope, today)


def _counts(staff, scope, today) -> dict:
    def count(tab):
        return (FollowUp.select().join(Case, on=(FollowUp.case == Case.id))
                .where(scope, _tab_condition(tab, staff, today)).count())
    return {tab: count(tab) for tab in tabs_for(staff) if tab != "closed"}


def names(rows) -> dict:
    """The windows and holders a page names, each read once."""
    offices = {r.office_id for r in rows if r.office_id} or {0}
    holders = {r.assigned_to_id for r in rows if r.assigned_to_id} or {0}
    return {"offices": dict(Office.select(Office.id, Office.names)
                            .where(Office.id.in_(offices)).tuples()),
            "holders": dict(Staff.select(Staff.id, Staff.name)
                            .where(Staff.id.in_(holders)).tuples())}
