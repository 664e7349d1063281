"""Background jobs with huey: mail delivery and reminders.

By default huey keeps its queue in a SQLite file next to the database
(``instance/huey.db``); ``ONEVISIT_HUEY_REDIS_URL`` switches to Redis when
several hosts share the work. ``scripts/run.sh`` starts one consumer beside
gunicorn. With ``ONEVISIT_HUEY_IMMEDIATE=1`` (the tests) jobs run at once
in the caller's process.

Jobs receive plain data (a finished email, a config mapping), so a slow or
unreachable mail server only ever delays the consumer, never a clerk.
"""

import os
from pathlib import Path

from huey import SqliteHuey, crontab

from .config import BASE_DIR

_instance = Path(os.environ.get("ONEVISIT_INSTANCE_DIR", BASE_DIR / "instance"))
_instance.mkdir(parents=True, exist_ok=True)

huey = SqliteHuey("onevisit", filename=str(_instance / "huey.db"),
                  immediate=os.environ.get("ONEVISIT_HUEY_IMMEDIATE", "") in {"1", "true"},
                  results=False)


@huey.task(retries=5, retry_delay=60)
def deliver_mail(message_bytes: bytes, config: dict) -> str:
    """Send one email with the settings the app had when it was queued."""
    from email import message_from_bytes, policy
    from .mail import deliver
    message = message_from_bytes(message_bytes, policy=policy.default)
    outcome = deliver(message, config)
    if outcome == "failed":
        raise RuntimeError("mail delivery failed; huey retries")
    return outcome


_app = None


def _app_for_jobs():
    global _app
    if _app is None:
        from . import create_app
        _app = create_app()
    return _app


@huey.periodic_task(crontab(hour="1", minute="30"))
def daily_reminders():
    """Every morning Beijing time (01:30 UTC): remind applicants of deferred materials."""
    from .cases.reminders import send_due_reminders
    from .models import db
    app = _app_for_jobs()
    with app.app_context(), db.connection_context():
        return send_due_reminders()


@huey.periodic_task(crontab(hour="20", minute="0"))
def nightly_maintenance():
    """04:00 Beijing time: refresh the query planner's statistics."""
    from .models import db
    from .models.migrations import refresh_statistics
    app = _app_for_jobs()
    with app.app_context(), db.connection_context():
        refresh_statistics()


@huey.periodic_task(crontab(minute="15"))
def purge_expired_uploads():
    """Every hour: delete unfinished resumable uploads past their expiry, with their bytes."""
    from .models import db
    from .uploads.tus import purge_expired
    app = _app_for_jobs()
    with app.app_context(), db.connection_context():
        return purge_expired()
