"""Reminders of deferred materials (容缺) as their due date comes near or passes."""

from datetime import timedelta

from ..i18n import localized
from ..models import Case, Event, utcnow
from . import services
from .decisions import beijing_today
from .notify import notify
from .workdays import add_working_days

ACTIVE = ("accepted", "transferred", "approved")
DAYS_BEFORE = 3


def send_due_reminders() -> int:
    """Email every applicant whose deferred materials are due within three working
    days or overdue, at most once a day; return how many were reminded."""
    today = beijing_today()
    horizon, _exact = add_working_days(today, DAYS_BEFORE)
    since = utcnow() - timedelta(hours=20)
    sent = 0
    for case in (Case.select().where(Case.status.in_(ACTIVE) & Case.deferred_due.is_null(False)
                                     & (Case.deferred_due <= horizon))):
        owed = [s for s in services.material_states(case) if s.deferred]
        if not owed:
            continue
        already = (Event.select().where((Event.case == case) & (Event.kind == "reminder")
                                        & (Event.created_at > since)).exists())
        if already:
            continue
        names = [localized(s.material.names, case.locale) for s in owed]
        notify(case, "reminder", deferred=names, deferred_due=case.deferred_due.isoformat())
        Event.create(case=case, kind="reminder", actor="system",
                     data={"overdue": case.deferred_due < today})
        sent += 1
    return sent
