"""Work in hand per clerk, for a supervisor to see who carries what and rebalance (from
the queue, filtered by who holds the cases, with its bulk assignment)."""

from dataclasses import dataclass

from peewee import Case as When, fn

from ..cases.workdays import add_working_days
from ..clock import beijing_today
from ..models import Case, Staff
from ..models.cases import OPEN, WAITING
from .queue import holders


@dataclass
class Load:
    staff: Staff | None  # None: the open cases nobody holds
    open: int = 0
    waiting: int = 0  # waiting for the window (not with the applicant)
    overdue: int = 0
    soon: int = 0


def workload(staff) -> list[Load]:
    """One row per clerk and supervisor of the windows ``staff`` sees (busiest first),
    then the cases nobody holds; counts over the open cases ``staff`` may open."""
    seen = Case.visible_to(staff)
    if seen is None:
        return []
    today = beijing_today()
    soon, _exact = add_working_days(today, 3)
    rows = (Case.select(Case.assigned_to,
                        fn.COUNT(Case.id),
                        fn.SUM(When(None, [(Case.status.in_(list(WAITING)), 1)], 0)),
                        fn.SUM(When(None, [(Case.due_date < today, 1)], 0)),
                        fn.SUM(When(None, [((Case.due_date >= today) & (Case.due_date <= soon),
                                            1)], 0)))
            .where(seen & Case.status.in_(list(OPEN))).group_by(Case.assigned_to).tuples())
    counts = {holder: Load(None, *(int(n or 0) for n in numbers))
              for holder, *numbers in rows}
    loads = []
    for person in holders(staff):
        load = counts.pop(person.id, Load(None))
        load.staff = person
        loads.append(load)
    loads.sort(key=lambda load: (-load.open, load.staff.name))
    nobody = counts.pop(None, Load(None))
    # Cases held by someone no longer at these windows count as held by nobody here.
    for other in counts.values():
        for name in ("open", "waiting", "overdue", "soon"):
            setattr(nobody, name, getattr(nobody, name) + getattr(other, name))
    return [*loads, nobody]
