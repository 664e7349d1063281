"""Background jobs with huey: the email outbox, reminders and nightly upkeep.

With ``ONEVISIT_HUEY_REDIS_URL`` (``redis://host:6379/0``) the queue lives in Redis,
which every host's consumer shares; without it, in a SQLite file next to the database
(``instance/huey.db``, one host). ``scripts/run.sh`` starts one consumer beside
gunicorn (``huey_consumer wsgi.huey``): ``wsgi.py`` makes the app, and
:func:`init_jobs` hands it to the jobs, which run inside its context. With
``ONEVISIT_HUEY_IMMEDIATE=1`` (the tests) jobs run at once in the caller's
process and context.

Periodic jobs fire in every consumer; each run first claims its period in the
database (:class:`~app.models.PeriodicRun`), so with several hosts a job still runs
once per period. A job that cannot be queued (Redis down) is not lost: the event row
is the record of what must be sent, and the minute's sweep sends it.

Emails are not job arguments: a job gets an event id, and the event row is the
record of what must be sent (:mod:`app.cases.outbox`).
"""

import functools
import logging
import os
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from flask import has_app_context
from huey import RedisHuey, SqliteHuey, crontab

from .cases import lifecycle, outbox
from .cases.access import purge_ended_grants
from .cases import retention
from .cases.reminders import send_due_reminders
from . import ratelimits
from .clock import utcnow
from .config import BASE_DIR
from .models import HeldRefusal, PeriodicRun, db
from .models.migrations import refresh_statistics
from .questions import service as questions
from .questions.access import purge_ended_grants as purge_question_grants
from .questions.notify import QUESTIONS
from .ratings.invitations import invite_due
from .questions import retention as question_retention
from .uploads.resumable import purge_expired

_instance = Path(os.environ.get("ONEVISIT_INSTANCE_DIR", BASE_DIR / "instance"))
_instance.mkdir(parents=True, exist_ok=True)



def make_huey(redis_url: str | None = None, immediate: bool | None = None):
    """The job queue: on Redis when a URL is given (several hosts), else a SQLite file."""
    if immediate is None:
        immediate = os.environ.get("ONEVISIT_HUEY_IMMEDIATE", "") in {"1", "true"}
    if redis_url:
        return RedisHuey("onevisit", url=redis_url, immediate=immediate, results=False)
    return SqliteHuey("onevisit", filename=str(_instance / "huey.db"), immediate=immediate,
                      results=False)


huey = make_huey(os.environ.get("ONEVISIT_HUEY_REDIS_URL") or None)

#: How each periodic job's period is written (its claim in the database).
PERIODS = {"minute": "%Y-%m-%dT%H:%M", "hour": "%Y-%m-%dT%H", "day": "%Y-%m-%d"}

log = logging.getLogger(__name__)
_jobs_app = None


def init_jobs(app) -> None:
    """Run jobs in ``app``'s context, and queue an outbox delivery after each commit."""
    global _jobs_app
    _jobs_app = app
    lifecycle.recorded.connect(_queue_deliveries, weak=False)
    questions.recorded.connect(_queue_question_deliveries, weak=False)


def _queue(task, event_ids):
    # The change is committed already: a queue that cannot take the job must not turn it
    # into an error page. The outbox's sweep sends the email within a minute.
    for event_id in event_ids:
        try:
            task(event_id)
        except Exception:  # noqa: BLE001
            log.exception("event %s: could not queue its email; the sweep will send it",
                          event_id)


def _queue_deliveries(_sender, event_ids):
    _queue(deliver_event, event_ids)


def _queue_question_deliveries(_sender, event_ids):
    _queue(deliver_question_event, event_ids)


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


def once_per(period: str):
    """Run a periodic job's body at most once per ``period`` (minute, hour, day), whichever
    consumer fires it first; the others skip."""
    def wrap(body):
        @functools.wraps(body)
        def run():
            with job_context():
                slot = utcnow().strftime(PERIODS[period])
                if not PeriodicRun.claim(body.__name__, slot):
                    log.info("%s for %s: already run by another consumer", body.__name__, slot)
                    return None
                return body()
        return run
    return wrap


@huey.task()
def deliver_event(event_id: int) -> str:
    """Send the emails of one recorded event (the outbox retries on its own)."""
    with job_context():
        return outbox.deliver(event_id)


@huey.task()
def deliver_question_event(event_id: int) -> str:
    """Send the email of one recorded event of a question's thread."""
    with job_context():
        return outbox.deliver(event_id, QUESTIONS)


@huey.periodic_task(crontab(minute="*"))
@once_per("minute")
def sweep_outbox() -> int:
    """Every minute: deliver what is due (retries, and jobs lost with a worker), of cases
    and of questions."""
    return outbox.sweep(boxes=(outbox.CASES, QUESTIONS))


@huey.periodic_task(crontab(hour="1", minute="30"))
@once_per("day")
def daily_reminders() -> int:
    """Every morning Beijing time (01:30 UTC): remind applicants of deferred materials."""
    return send_due_reminders()


@huey.periodic_task(crontab(hour="20", minute="0"))
@once_per("day")
def nightly_maintenance() -> None:
    """04:00 Beijing time: refresh the query planner's statistics; forget old claims and
    refused decisions never shown; end what the retention periods end
    (app/cases/retention.py, app/questions/retention.py)."""
    PeriodicRun.delete().where(PeriodicRun.started_at < utcnow() - timedelta(days=7)).execute()
    HeldRefusal.purge()
    ratelimits.purge_expired()
    purge_ended_grants()
    purge_question_grants()
    retention.nightly()
    question_retention.nightly()
    refresh_statistics()


@huey.periodic_task(crontab(minute="40"))
@once_per("hour")
def rating_invitations() -> int:
    """Every hour: invite to rate the cases delivered three days ago that have no rating
    (once per case; app/ratings/invitations.py)."""
    return invite_due()


@huey.periodic_task(crontab(minute="15"))
@once_per("hour")
def purge_expired_uploads() -> int:
    """Every hour: delete unfinished resumable uploads past their expiry, with their bytes."""
    return purge_expired()
