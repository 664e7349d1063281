"""Background jobs with huey: the email outbox, reminders and nightly upkeep.

By default huey keeps its queue in a SQLite file next to the database
(``instance/huey.db``). ``scripts/run.sh`` starts one consumer beside gunicorn
(``huey_consumer wsgi.huey``): ``wsgi.py`` makes the app, and
:func:`init_jobs` hands it to the jobs, which run inside its context. With
``ONEVISIT_HUEY_IMMEDIATE=1`` (the tests) jobs run at once in the caller's
process and context.

Emails are not job arguments: a job gets an event id, and the event row is the
record of what must be sent (:mod:`app.cases.outbox`).
"""

import logging
import os
from contextlib import contextmanager
from pathlib import Path

from flask import has_app_context
from huey import SqliteHuey, crontab

from .cases import lifecycle, outbox
from .cases.reminders import send_due_reminders
from .config import BASE_DIR
from .models import db
from .models.migrations import refresh_statistics
from .uploads.resumable import purge_expired

_instance = Path(os.environ.get("ONEVISIT_INSTANCE_DIR", BASE_DIR / "instance"))
_instance.mkdir(parents=True, exist_ok=True)

huey = SqliteHuey("onevisit", filename=str(_instance / "huey.db"),
                  immediate=os.environ.get("ONEVISIT_HUEY_IMMEDIATE", "") in {"1", "true"},
                  results=False)

log = logging.getLogger(__name__)
_jobs_app = None


def init_jobs(app) -> None:
    """Run jobs in ``app``'s context, and queue an outbox delivery after each commit."""
    global _jobs_app
    _jobs_app = app
    lifecycle.recorded.connect(_queue_deliveries, weak=False)


def _queue_deliveries(_sender, event_ids):
    # The change is committed already: a queue that cannot take the job must not turn it
    # into an error page. The outbox's sweep sends the email within a minute.
    for event_id in event_ids:
        try:
            deliver_event(event_id)
        except Exception:  # noqa: BLE001
            log.exception("event %s: could not queue its email; the sweep will send it",
                          event_id)


@contextmanager
def job_context():
    """The app's context and a database connection (the caller's, when it has one)."""
    if has_app_context():
        yield
        return
    if _jobs_app is None:
        raise RuntimeError("jobs need the app: start the consumer with `huey_consumer wsgi.huey`")
    with _jobs_app.app_context(), db.connection_context():
        yield


@huey.task()
def deliver_event(event_id: int) -> str:
    """Send the emails of one recorded event (the outbox retries on its own)."""
    with job_context():
        return outbox.deliver(event_id)


@huey.periodic_task(crontab(minute="*"))
def sweep_outbox() -> int:
    """Every minute: deliver what is due (retries, and jobs lost with a worker)."""
    with job_context():
        return outbox.sweep()


@huey.periodic_task(crontab(hour="1", minute="30"))
def daily_reminders() -> int:
    """Every morning Beijing time (01:30 UTC): remind applicants of deferred materials."""
    with job_context():
        return send_due_reminders()


@huey.periodic_task(crontab(hour="20", minute="0"))
def nightly_maintenance() -> None:
    """04:00 Beijing time: refresh the query planner's statistics."""
    with job_context():
        refresh_statistics()


@huey.periodic_task(crontab(minute="15"))
def purge_expired_uploads() -> int:
    """Every hour: delete unfinished resumable uploads past their expiry, with their bytes."""
    with job_context():
        return purge_expired()
