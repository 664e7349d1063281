"""Reminders of deferred materials (容缺) as their due date comes near or passes."""

from datetime import timedelta

from ..clock import beijing_today, utcnow
from ..models import Case, Event
from ..models.cases import IN_PROGRESS
from . import lifecycle
from .journey import owed_materials
from .workdays import add_working_days

DAYS_BEFORE = 3


def send_due_reminders() -> int:
    """Email every applicant whose deferred materials are due within three working
    days or overdue, at most once a day; return how many were reminded."""
    today = beijing_today()
    horizon, _exact = add_working_days(today, DAYS_BEFORE)
    since = utcnow() - timedelta(hours=20)
    sent = 0
    for case in (Case.select().where(Case.status.in_(IN_PROGRESS)
                                     & Case.deferred_due.is_null(False)
                                     & (Case.deferred_due <= horizon))):
        owed = owed_materials(case)
        if not owed:
            continue
        already = (Event.select().where((Event.case == case) & (Event.kind == "reminder")
                                        & (Event.created_at > since)).exists())
        if already:
            continue
        lifecycle.record(case, "reminder", data={
            "overdue": case.deferred_due < today, "deferred_due": case.deferred_due.isoformat(),
            "deferred": [s.material.key for s in owed]}, notify=["applicant"])
        sent += 1
    return sent
