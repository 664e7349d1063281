"""The append-only audit trail of staff actions.

Every staff login (and failed login), case view, material or document
download and decision is recorded with who, what, when and from where. The
database refuses UPDATE and DELETE on the table (see migrations).
"""

from datetime import timedelta

from flask import request
from peewee import JOIN

from .clock import utcnow
from .models import AuditEvent, Staff


def client_ip() -> str:
    """The client's address as the app sees it (set ProxyFix behind a proxy)."""
    try:
        return (request.remote_addr or "")[:64]
    except RuntimeError:
        return ""


def record(action: str, staff=None, case=None, target: str = "", data: dict | None = None):
    """Append one audit event."""
    return AuditEvent.create(staff=staff.id if staff is not None else None, action=action,
                             case_id=case.id if case is not None else None,
                             target=target[:200], ip=client_ip(), data=data,
                             created_at=utcnow())


#: A case page's previews are part of its view: within this long after the account's
#: ``case_view`` event, an image shown on the page writes no event of its own (a page of
#: twelve photos is one write, not thirteen racing for the database).
PREVIEWS_OF_A_VIEW = timedelta(minutes=10)


def viewed_lately(staff, case) -> bool:
    """Whether ``staff`` opened ``case``'s page within :data:`PREVIEWS_OF_A_VIEW`."""
    return AuditEvent.select(AuditEvent.id).where(
        (AuditEvent.case_id == case.id) & (AuditEvent.staff == staff.id)
        & (AuditEvent.action == "case_view")
        & (AuditEvent.created_at >= utcnow() - PREVIEWS_OF_A_VIEW)).exists()


def _events(condition, limit=None):
    """Audit events matching ``condition``, newest first, each with its staff member."""
    return list(AuditEvent.select(AuditEvent, Staff)
                .join(Staff, JOIN.LEFT_OUTER, on=(AuditEvent.staff == Staff.id))
                .where(condition)
                .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(limit))


def trail(case):
    """A case's audit events, newest first, each with its staff member."""
    return _events(AuditEvent.case_id == case.id)


def about(target: str, actions: list[str], limit: int = 40):
    """The latest events of these ``actions`` on ``target`` (an item's code, say)."""
    return _events((AuditEvent.target == target) & AuditEvent.action.in_(actions), limit)
