"""The staff's questions queue: one window's (or department's) questions, a tab at a time,
in keyset pages.

Every tab reads one index range: ``(office | department | assigned_to, status, due_at,
id)`` in due order for what waits, ``(…, status)`` newest first for the rest; the cursor
is the last row's ``due_at|id`` (or ``id``), so a page costs the same at any depth. The
counts are of what waits (and is overdue) at the chosen place: index ranges too.
"""

from datetime import datetime

from peewee import fn

from ..clock import utcnow
from ..ids import read_id
from ..models import (Department, Item, Jurisdiction, Office, Question, QuestionEvent,
                      ServicePoint, Staff)

PAGE_SIZE = 50
#: The tabs, as plain links: what waits for the window (due first), what the asker has
#: been answered, what is closed (newest first), what waits and is mine, overdue, or
#: nobody's yet.
TABS = ("waiting", "overdue", "nobody", "mine", "answered", "closed")
#: Tabs of questions that wait: sorted by due time.
DUE_TABS = ("waiting", "overdue", "nobody", "mine")
#: Characters of the question shown in the queue.
FIRST_LINE = 120


def places(staff) -> list[tuple[str, str, object]]:
    """Where ``staff`` may look: ``(value, kind, row)`` for each window of their scope and
    each department whose questions they see (an officer: their own)."""
    if staff.role == "officer":
        return [(f"d{staff.department_id}", "department", staff.department)] \
            if staff.department_id else []
    rows = [(f"o{o.id}", "office", o) for o in Office.select().where(
        Office.id.in_(staff.office_ids() or [0])).order_by(Office.sort, Office.id)]
    if staff.role == "admin" or staff.read_only:
        departments = Department.select().where(
            Department.jurisdiction.in_(staff.scope_ids() or [0]))
    elif staff.department_id:
        departments = Department.select().where(Department.id == staff.department_id)
    else:
        departments = []
    rows += [(f"d{d.id}", "department", d) for d in
             sorted(departments, key=lambda d: (d.jurisdiction_id, d.sort, d.id))]
    return rows


def parse_filters(args, choices) -> dict:
    """The tab, the place and the cursor from the query string (unknown values: defaults;
    the place by default: every window and department the account sees)."""
    tab = args.get("tab", "waiting")
    place = args.get("place", "all")
    if place != "all" and place not in {value for value, _kind, _row in choices}:
        place = "all"
    return {"tab": tab if tab in TABS else "waiting", "place": place,
            "after": (args.get("after") or "")[:60]}


def _place_condition(place: str):
    column = Question.office if place.startswith("o") else Question.department
    return column == int(place[1:])


def _after(after: str, by_due: bool):
    """The keyset condition after the cursor, or None when it cannot be read."""
    try:
        if not by_due:
            return Question.id < read_id(after)
        value, ident = after.rsplit("|", 1)
        key, ident = datetime.fromisoformat(value), read_id(ident)
    except (TypeError, ValueError):
        return None
    return (Question.due_at > key) | ((Question.due_at == key) & (Question.id > ident))


def _cursor(row, by_due: bool) -> str:
    return f"{row.due_at.isoformat()}|{row.id}" if by_due else str(row.id)


COLUMNS = (Question.id, Question.reference, Question.jurisdiction, Question.item,
           Question.office, Question.department, Question.channel, Question.service_point,
           Question.locale, Question.status, Question.due_at, Question.assigned_to,
           Question.created_at, Question.asker_name)


def queue(staff, filters: dict, choices):
    """``(questions, next_cursor, counts)`` for the queue page.

    Each place (window or department) is read on its own index range, a page at most,
    and the pages are merged: "everywhere" costs a few index reads, never a sort of
    every question of a county."""
    scope = Question.visible_to(staff)
    if scope is None or not choices:
        return [], None, {}
    places = ([_place_condition(value) for value, _kind, _row in choices]
              if filters["place"] == "all" else [_place_condition(filters["place"])])
    tab, now = filters["tab"], utcnow()
    by_due = tab in DUE_TABS
    where = [scope, Question.status == ("waiting" if by_due else tab)]
    if tab == "mine":
        # The holder's own index range: one's own work, wherever it is.
        places = [Question.assigned_to == staff.id]
    elif tab == "overdue":
        where.append(Question.due_at < now)
    elif tab == "nobody":
        where.append(Question.assigned_to.is_null())
    condition = _after(filters["after"], by_due) if filters["after"] else None
    if condition is not None:
        where.append(condition)
    order = [Question.due_at, Question.id] if by_due else [Question.id.desc()]
    found = {}
    for place in places:
        for row in (Question.select(*COLUMNS).where(place, *where).order_by(*order)
                    .limit(PAGE_SIZE + 1)):
            found[row.id] = row
    rows = sorted(found.values(), key=(lambda q: (q.due_at, q.id)) if by_due
                  else (lambda q: -q.id))[:PAGE_SIZE + 1]
    next_cursor = _cursor(rows[PAGE_SIZE - 1], by_due) if len(rows) > PAGE_SIZE else None
    return rows[:PAGE_SIZE], next_cursor, _counts(scope, filters["place"], now)


def _counts(scope, place: str, now) -> dict:
    """What waits at the place, and how much of it is overdue (index ranges)."""
    where = [scope, Question.status == "waiting"]
    if place != "all":
        where.append(_place_condition(place))
    return {"waiting": Question.select().where(*where).count(),
            "overdue": Question.select().where(*where, Question.due_at < now).count()}


def first_lines(questions) -> dict:
    """``{question id: the start of its text}`` for a page (one query)."""
    ids = [q.id for q in questions]
    if not ids:
        return {}
    rows = (QuestionEvent.select(QuestionEvent.question, fn.SUBSTR(QuestionEvent.body, 1,
                                                                   FIRST_LINE + 1).alias("head"))
            .where(QuestionEvent.question.in_(ids)
                   & QuestionEvent.kind.in_(("asked", "logged"))).tuples())
    return {question_id: head for question_id, head in rows}


def first_line(text: str) -> str:
    """The first line of a question, cut to :data:`FIRST_LINE` characters."""
    line = (text or "").strip().split("\n", 1)[0].strip()
    return line if len(line) <= FIRST_LINE else line[:FIRST_LINE - 1].rstrip() + "…"


def names(questions) -> dict:
    """What a page of the queue names, each read once: ``items``, ``counties``,
    ``points``, ``holders`` by id."""
    def ids(attribute):
        return {getattr(q, attribute) for q in questions if getattr(q, attribute)} or {0}
    return {
        "items": dict(Item.select(Item.id, Item.names).where(Item.id.in_(ids("item_id")))
                      .tuples()),
        "counties": dict(Jurisdiction.select(Jurisdiction.id, Jurisdiction.names)
                         .where(Jurisdiction.id.in_(ids("jurisdiction_id"))).tuples()),
        "points": dict(ServicePoint.select(ServicePoint.id, ServicePoint.city)
                       .where(ServicePoint.id.in_(ids("service_point_id"))).tuples()),
        "holders": dict(Staff.select(Staff.id, Staff.name)
                        .where(Staff.id.in_(ids("assigned_to_id"))).tuples()),
    }


def is_overdue(question, now=None) -> bool:
    """The window owes an answer and its due time has passed."""
    return bool(question.status == "waiting" and question.due_at
                and question.due_at < (now or utcnow()))
